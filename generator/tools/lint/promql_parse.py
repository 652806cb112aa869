"""promql/parse: every expression parses, in-process, before any tool sees it."""

from __future__ import annotations

import promql_parser

from generator.tools.lint.base import Check, Context, Problem, Severity


class PromqlParse(Check):
    name = "promql/parse"
    severity = Severity.FATAL

    def run(self, ctx: Context) -> list[Problem]:
        problems = []
        for path, rule in ctx.rules():
            try:
                promql_parser.parse(rule["expr"])
            except ValueError as exc:
                problems.append(self.problem(f"{path}: {rule.get('record') or rule.get('alert')}", f"does not parse: {exc}"))
        return problems
