"""promtool/check-rules and promtool/test-rules: the real Prometheus tools decide."""

from __future__ import annotations

import subprocess

from generator.lint.base import Check, Context, Problem, Severity

TIMEOUT = 600


def _run(ctx: Context, args: list[str]) -> subprocess.CompletedProcess[str] | None:
    promtool = ctx.tools.get("promtool")
    if not promtool:
        return None
    return subprocess.run([promtool, *args], capture_output=True, text=True, timeout=TIMEOUT, check=False)


class CheckRules(Check):
    name = "promtool/check-rules"
    severity = Severity.BUG

    def run(self, ctx: Context) -> list[Problem]:
        files = ctx.files("prometheus/rules/*.yaml")
        if not files:
            return [self.problem(ctx.out, "no rule files in prometheus/rules/")]
        result = _run(ctx, ["check", "rules", "--lint=all", "--lint-fatal", *map(str, files)])
        if result is None:
            return [self.problem("promtool", "promtool not found; `make test` installs it (Debian package prometheus)")]
        if result.returncode != 0:
            return [self.problem(files[0].parent, (result.stdout + result.stderr).strip())]
        return []


class TestRules(Check):
    name = "promtool/test-rules"
    severity = Severity.BUG

    def run(self, ctx: Context) -> list[Problem]:
        files = ctx.files("prometheus/tests/*.yaml")
        if not files:
            return [self.problem(ctx.out, "no promtool tests in prometheus/tests/")]
        problems = []
        for path in files:
            result = _run(ctx, ["test", "rules", str(path)])
            if result is None:
                return [self.problem("promtool", "promtool not found; `make test` installs it (Debian package prometheus)")]
            if result.returncode != 0:
                problems.append(self.problem(path, (result.stdout + result.stderr).strip()))
        return problems
