"""The tools around the compiler: lint, import and export, explain, the log report."""
