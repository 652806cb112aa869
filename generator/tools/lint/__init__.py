"""Run every check over a bundle and report; the exit status follows the worst severity."""

from __future__ import annotations

import shutil
from dataclasses import dataclass

from generator.tools.lint.alerts import Runbook, Tested
from generator.tools.lint.amtool import CheckConfig, Routes, Templates
from generator.tools.lint.base import Check, Context, Problem, Severity
from generator.tools.lint.dashboards import Grid, Identity, QueryParse, Schema, Sources, Variables
from generator.tools.lint.drift import Drift
from generator.tools.lint.engines import Portable, VmalertDryRun
from generator.tools.lint.kubernetes import Crd, Kustomization
from generator.tools.lint.pint import Pint
from generator.tools.lint.promql_parse import PromqlParse
from generator.tools.lint.promtool import CheckRules, TestRules
from generator.tools.lint.rate_window import RateWindow
from generator.tools.lint.secrets import ObjectSize, SecretScan

CHECKS: tuple[Check, ...] = (
    Drift(), PromqlParse(), RateWindow(), Runbook(), Tested(), Schema(), Identity(), Grid(), QueryParse(), Sources(), Variables(),
    CheckConfig(), Routes(), Templates(), CheckRules(), TestRules(), Pint(), Crd(), Kustomization(), Portable(), VmalertDryRun(),
    SecretScan(), ObjectSize(),
)


@dataclass(frozen=True)
class Report:
    problems: tuple[Problem, ...]
    checks: tuple[str, ...]

    @property
    def failed(self) -> bool:
        return any(p.severity >= Severity.BUG for p in self.problems)

    def render(self) -> str:
        lines = []
        for p in self.problems:
            lines.append(f"{p.severity.name.lower():<7} {p.check}: {p.where}")
            lines += [f"        {line}" for line in p.message.splitlines()]
        counts = {s: sum(1 for p in self.problems if p.severity == s) for s in Severity}
        summary = ", ".join(f"{n} {s.name.lower()}" for s, n in counts.items() if n) or "no problems"
        lines.append(f"{len(self.checks)} checks, {summary}")
        return "\n".join(lines)


def run(ctx: Context, checks: tuple[Check, ...] = CHECKS) -> Report:
    for tool in ("promtool", "amtool", "pint", "vmalert"):
        ctx.tools.setdefault(tool, shutil.which(tool))
    problems = [p for check in checks for p in check.run(ctx)]
    problems.sort(key=lambda p: (-p.severity, p.check, p.where))
    return Report(tuple(problems), tuple(c.name for c in checks))
