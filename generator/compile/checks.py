"""Assertions on Prometheus' ALERTS series, shared by every generated promtool test."""

from __future__ import annotations

from generator import conventions as conv
from generator import promql as q
from generator.ir import ExprCheck


def firing_count(match: dict[str, str], at: int, count: int, by: dict[str, str] | None = None) -> ExprCheck:
    """`count` firing alerts among those matching `match` at minute `at`; `by` groups them (label -> expected value)."""
    selector = q.Selector(conv.ALERTS, tuple(q.Matcher(k, "=", v) for k, v in match.items()))
    if by:
        expr = f"count by ({', '.join(by)}) ({selector})"
        labels = str(q.Selector("", tuple(q.Matcher(k, "=", v) for k, v in by.items())))
    else:
        expr, labels = f"count({selector})", "{}"
    return ExprCheck(expr, f"{at}m", ((labels, float(count)),) if count else ())
