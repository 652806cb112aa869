"""promtool/check-rules and promtool/test-rules: the real Prometheus tools decide."""

from __future__ import annotations

import subprocess
from pathlib import Path

from generator.tools.lint.base import Check, Context, Problem, Severity

TIMEOUT = 900
MISSING = "promtool not found; `make test` installs it (Debian package prometheus)"


class _Promtool(Check):
    """Run promtool once per call that `calls` lists; any non-zero exit is a problem at that place."""

    severity = Severity.BUG
    pattern: str

    def calls(self, files: list[Path]) -> list[tuple[Path, list[str]]]:
        raise NotImplementedError

    def run(self, ctx: Context) -> list[Problem]:
        files = ctx.files(self.pattern)
        if not files:
            return [self.problem(ctx.out, f"no files match {self.pattern}")]
        needs = next((s.profile.needs for s in ctx.services if s.profile.needs), "")
        if needs:
            # Debian's promtool is Prometheus 2: it cannot parse what only a newer Prometheus reads.
            return [Problem(self.name, Severity.INFO, "promtool", f"skipped: the bundle needs {needs}; run this check with its promtool")]
        promtool = ctx.tools.get("promtool")
        if not promtool:
            return [self.problem("promtool", MISSING)]
        problems = []
        for where, args in self.calls(files):
            result = subprocess.run([promtool, *args], capture_output=True, text=True, timeout=TIMEOUT, check=False)
            if result.returncode != 0:
                problems.append(self.problem(where, (result.stdout + result.stderr).strip()))
        return problems


class CheckRules(_Promtool):
    name = "promtool/check-rules"
    pattern = "prometheus/rules/*.yaml"

    def calls(self, files: list[Path]) -> list[tuple[Path, list[str]]]:
        return [(files[0].parent, ["check", "rules", "--lint=all", "--lint-fatal", *map(str, files)])]


class TestRules(_Promtool):
    name = "promtool/test-rules"
    pattern = "prometheus/tests/*.yaml"

    def calls(self, files: list[Path]) -> list[tuple[Path, list[str]]]:
        return [(path, ["test", "rules", str(path)]) for path in files]
