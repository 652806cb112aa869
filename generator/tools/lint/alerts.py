"""alerts/runbook and alerts/tested: every alert links a runbook that exists, and some test sees it fire."""

from __future__ import annotations

import re

import yaml

from generator import conventions as conv
from generator.tools.lint.base import Check, Context, Problem, Severity


class Runbook(Check):
    name = "alerts/runbook"
    severity = Severity.BUG

    def run(self, ctx: Context) -> list[Problem]:
        problems = []
        for path, rule in ctx.rules():
            if "alert" not in rule:
                continue
            url = rule.get("annotations", {}).get("runbook_url", "")
            if not url:
                problems.append(self.problem(f"{path}: {rule['alert']}", "has no runbook_url annotation"))
            elif not (ctx.out / conv.runbook_file(rule["alert"])).is_file():
                problems.append(self.problem(f"{path}: {rule['alert']}", f"links {url}, but out/{conv.runbook_file(rule['alert'])} does not exist"))
        return problems


class Tested(Check):
    name = "alerts/tested"
    severity = Severity.BUG

    def run(self, ctx: Context) -> list[Problem]:
        fired: set[str] = set()
        for path in ctx.files("prometheus/tests/*.yaml"):
            doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
            for test in doc.get("tests", []):
                for check in test.get("alert_rule_test", []):
                    if check.get("exp_alerts"):
                        fired.add(check["alertname"])
                for check in test.get("promql_expr_test", []):
                    if check.get("exp_samples") and "ALERTS" in check["expr"]:
                        fired.update(re.findall(r'alertname="([^"]+)"', check["expr"]))
        return [
            self.problem(f"{path}: {rule['alert']}", "no promtool test expects this alert to fire")
            for path, rule in ctx.rules()
            if "alert" in rule and rule["alert"] not in fired
        ]
