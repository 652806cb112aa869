"""amtool/check-config, amtool/routes and amtool/templates: the real Alertmanager tool decides."""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

from generator import conventions as conv
from generator import promql as q
from generator.tools.lint.base import Check, Context, Problem, Severity

TIMEOUT = 120
MISSING = "amtool not found; `make test` installs it (Debian package prometheus-alertmanager)"


def _amtool(ctx: Context, args: list[str]) -> subprocess.CompletedProcess[str] | None:
    amtool = ctx.tools.get("amtool")
    if not amtool:
        return None
    return subprocess.run([amtool, *args], capture_output=True, text=True, timeout=TIMEOUT, check=False)


class _Amtool(Check):
    severity = Severity.BUG

    def run(self, ctx: Context) -> list[Problem]:
        config = ctx.out / conv.alertmanager_file()
        if not config.is_file():
            return [self.problem(ctx.out, f"missing {conv.alertmanager_file()}")]
        if not ctx.tools.get("amtool"):
            return [self.problem("amtool", MISSING)]
        return self.check(ctx, config)

    def check(self, ctx: Context, config: Path) -> list[Problem]:
        raise NotImplementedError


class CheckConfig(_Amtool):
    name = "amtool/check-config"

    def check(self, ctx: Context, config: Path) -> list[Problem]:
        result = _amtool(ctx, ["check-config", str(config)])
        return [] if result.returncode == 0 else [self.problem(config, (result.stdout + result.stderr).strip())]


def route_args(config: Path, labels: dict[str, str], receivers: list[str]) -> list[str]:
    pairs = [f"{k}={q.string(v)}" for k, v in sorted(labels.items())]
    return ["config", "routes", "test", f"--config.file={config}", f"--verify.receivers={','.join(receivers)}", *pairs]


class Routes(_Amtool):
    name = "amtool/routes"

    def check(self, ctx: Context, config: Path) -> list[Problem]:
        tests = ctx.out / conv.routing_tests_file()
        if not tests.is_file():
            return [self.problem(ctx.out, f"missing {conv.routing_tests_file()}")]
        problems = []
        for case in (yaml.safe_load(tests.read_text(encoding="utf-8")) or {}).get("cases", []):
            result = _amtool(ctx, route_args(config, case["labels"], case["receivers"]))
            if result.returncode != 0:
                problems.append(
                    self.problem(
                        f"{tests}: {case['alert']} {case['labels']}",
                        f"expected {','.join(case['receivers'])}, amtool routed to {result.stdout.strip() or result.stderr.strip()}",
                    )
                )
        return problems


class Templates(_Amtool):
    name = "amtool/templates"

    def check(self, ctx: Context, config: Path) -> list[Problem]:
        glob = str(config.parent / "templates" / "*.tmpl")
        problems = []
        for name in (conv.TEMPLATE_TITLE, conv.TEMPLATE_TEXT, conv.TEMPLATE_HTML):
            result = _amtool(ctx, ["template", "render", f"--template.glob={glob}", f'--template.text={{{{ template "{name}" . }}}}'])
            if result.returncode != 0:
                problems.append(self.problem(glob, f"template {name!r} does not render: {result.stderr.strip()}"))
        return problems
