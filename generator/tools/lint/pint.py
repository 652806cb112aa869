"""pint/lint: cloudflare's pint over the rules with the bundle's generated policy, when a `pint` binary is on PATH.

pint ships only as GitHub release binaries and container images, so it is optional: without it
the check says it skipped (info) instead of passing silently.
"""

from __future__ import annotations

import subprocess

from generator import conventions as conv
from generator.tools.lint.base import Check, Context, Problem, Severity

TIMEOUT = 300


class Pint(Check):
    name = "pint/lint"
    severity = Severity.BUG

    def run(self, ctx: Context) -> list[Problem]:
        pint = ctx.tools.get("pint")
        if not pint:
            return [Problem(self.name, Severity.INFO, "pint", "skipped: no `pint` binary on PATH (github.com/cloudflare/pint/releases)")]
        config = ctx.out / conv.pint_config_file()
        rules = [str(p) for p in ctx.files("prometheus/rules/*.yaml")]
        args = [pint, "--no-color", "--offline", f"--config={config}", "lint", "--fail-on=bug", *rules]
        result = subprocess.run(args, capture_output=True, text=True, timeout=TIMEOUT, check=False)
        return [self.problem(config.parent / "rules", (result.stdout + result.stderr).strip())] if result.returncode != 0 else []
