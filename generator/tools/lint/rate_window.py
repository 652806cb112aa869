"""rules/rate-window: a rate() window holds at least four scrapes, or one missed scrape empties it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import promql_parser

from generator import conventions as conv
from generator.durations import parse_seconds
from generator.tools.lint.base import Check, Context, Problem, Severity

RANGE_FUNCTIONS = {"rate", "irate", "increase", "delta", "idelta", "deriv"}


def ranges(node: object) -> list[tuple[str, dt.timedelta]]:
    """(function, range) for every range-vector function call in the expression tree."""
    found = []
    if isinstance(node, promql_parser.Call) and node.func.name in RANGE_FUNCTIONS:
        for arg in node.args:
            if isinstance(arg, promql_parser.MatrixSelector):
                found.append((node.func.name, arg.range))
    for attr in ("lhs", "rhs", "expr", "param"):
        child = getattr(node, attr, None)
        if child is not None and not isinstance(child, str | int | float):
            found += ranges(child)
    for arg in getattr(node, "args", None) or []:
        found += ranges(arg)
    return found


class RateWindow(Check):
    name = "rules/rate-window"
    severity = Severity.WARNING

    def run(self, ctx: Context) -> list[Problem]:
        if not ctx.services:
            return []
        # Each service's rules against its own scrape interval.
        intervals = {conv.rules_file(s.name).name: s.scrape_interval for s in ctx.services}
        problems = []
        for path, rule in ctx.rules():
            interval = intervals.get(Path(str(path)).name, ctx.services[0].scrape_interval)
            scrape = parse_seconds(interval)
            for func, window in ranges(promql_parser.parse(rule["expr"])):
                if window.total_seconds() < conv.MIN_SCRAPES * scrape:
                    problems.append(
                        self.problem(
                            f"{path}: {rule.get('record') or rule.get('alert')}",
                            f"{func}() over {window.total_seconds():g}s holds fewer than {conv.MIN_SCRAPES} scrapes at a "
                            f"{interval} scrape interval",
                        )
                    )
        return problems
