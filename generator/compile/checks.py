"""Assertions on Prometheus' ALERTS series, shared by every generated promtool test."""

from __future__ import annotations

from generator import conventions as conv
from generator import promql as q
from generator.durations import format_number
from generator.ir import ExprCheck


def counter(segments: list[tuple[int, float]]) -> str:
    """promtool input for a counter growing by `per_minute` for `minutes`, segment after segment (one sample a minute)."""
    parts, total = [], 0.0
    for minutes, per_minute in segments:
        parts.append(f"{format_number(round(total, 6))}+{format_number(round(per_minute, 6))}x{minutes - 1}")
        total += per_minute * minutes
    return " ".join(parts)


def firing_count(match: dict[str, str], at: int, count: int, by: dict[str, str] | None = None) -> ExprCheck:
    """`count` firing alerts among those matching `match` at minute `at`; `by` groups them (label -> expected value)."""
    selector = q.Selector(conv.ALERTS, tuple(q.Matcher(k, "=", v) for k, v in match.items()))
    if by:
        expr = f"count by ({', '.join(by)}) ({selector})"
        labels = str(q.Selector("", tuple(q.Matcher(k, "=", v) for k, v in by.items())))
    else:
        expr, labels = f"count({selector})", "{}"
    return ExprCheck(expr, f"{at}m", ((labels, float(count)),) if count else ())
