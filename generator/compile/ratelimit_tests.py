"""promtool tests for the rate-limit alerts: headroom at 85% and 95%, a 429 storm, frozen gauges."""

from __future__ import annotations

import math

from generator import conventions as conv
from generator.durations import parse_seconds
from generator import promql as q
from generator.compile.checks import firing_count
from generator.ir import ExprCheck, Series, TestCase
from generator.resolve import ResolvedRateLimits

MODEL, DIMENSION, LIMIT = "claude-sonnet-4-6", "requests", 1000
MINUTES = 30


def _gauges(rl: ResolvedRateLimits, used: float, moving: bool = True) -> list[Series]:
    dims = {rl.by[conv.LABEL_MODEL]: MODEL, rl.by[conv.LABEL_DIMENSION]: DIMENSION}
    remaining = round(LIMIT * (1 - used))
    values = " ".join(str(remaining - (i % 2 if moving else 0)) for i in range(MINUTES + 1))
    return [
        Series(q.series(rl.limit, dims), f"{LIMIT}x{MINUTES}"),
        Series(q.series(rl.remaining, dims), values),
    ]


def _requests(rl: ResolvedRateLimits, throttled_per_minute: int = 0) -> list[Series]:
    base = {rl.by[conv.LABEL_MODEL]: MODEL}
    out = [Series(q.series(rl.requests, {**base, **rl.ok}), f"0+300x{MINUTES}")]
    if throttled_per_minute:
        out.append(Series(q.series(rl.requests, {**base, **rl.throttled_labels}), f"0+{throttled_per_minute}x{MINUTES}"))
    return out


def _firing(alert: str, at: int, by: tuple[str, ...], severity: str | None = None, count: int = 1) -> ExprCheck:
    match = {conv.LABEL_ALERTNAME: alert, conv.LABEL_ALERTSTATE: conv.STATE_FIRING, **({conv.LABEL_SEVERITY: severity} if severity else {})}
    values = {conv.LABEL_MODEL: MODEL, conv.LABEL_DIMENSION: DIMENSION}
    return firing_count(match, at, count, {k: values[k] for k in by})


def _minutes(duration: str) -> int:
    return math.ceil(parse_seconds(duration) / 60)


def build(rl: ResolvedRateLimits) -> list[TestCase]:
    headroom, throttled, stale = conv.headroom_alert(rl.service), conv.throttled_alert(rl.service), conv.stale_gauge_alert(rl.service)
    dims = (conv.LABEL_MODEL, conv.LABEL_DIMENSION)
    warn_at = float(rl.warning + (rl.critical - rl.warning) / 2)
    page_at = float(rl.critical + (1 - rl.critical) / 2)
    warn_for, page_for, storm_for = (_minutes(d) for d in (rl.warning_for, rl.critical_for, rl.throttled_for))
    return [
        TestCase(
            f"rate limits: {round(warn_at * 100)}% used warns and does not page",
            tuple(_gauges(rl, warn_at) + _requests(rl)),
            exprs=(
                *([_firing(headroom, warn_for - 2, dims, conv.SEVERITY_TICKET, 0)] if warn_for > 2 else []),
                _firing(headroom, warn_for + 5, dims, conv.SEVERITY_TICKET),
                _firing(headroom, warn_for + 5, dims, conv.SEVERITY_PAGE, 0),
                _firing(headroom, max(25, warn_for + 5), dims, conv.SEVERITY_PAGE, 0),
                _firing(stale, 25, dims, None, 0),
            ),
        ),
        TestCase(
            f"rate limits: {round(page_at * 100)}% used pages",
            tuple(_gauges(rl, page_at) + _requests(rl)),
            exprs=(_firing(headroom, 1, dims, conv.SEVERITY_PAGE, 0), _firing(headroom, page_for + 8, dims, conv.SEVERITY_PAGE)),
        ),
        TestCase(
            "rate limits: a 429 storm is noticed",
            tuple(_gauges(rl, 0.5) + _requests(rl, throttled_per_minute=round(rl.throttled_per_second * 60 * 3))),
            exprs=(
                *([_firing(throttled, storm_for - 2, (conv.LABEL_MODEL,), None, 0)] if storm_for > 2 else []),
                _firing(throttled, storm_for + 10, (conv.LABEL_MODEL,)),
            ),
        ),
        TestCase(
            "rate limits: frozen header gauges are noticed",
            tuple(_gauges(rl, 0.5, moving=False) + _requests(rl)),
            exprs=(_firing(stale, 5, dims, None, 0), _firing(stale, 25, dims)),
        ),
        TestCase(
            "rate limits: healthy headroom is quiet",
            tuple(_gauges(rl, 0.5) + _requests(rl)),
            exprs=tuple(_firing(a, t, (conv.LABEL_MODEL,), None, 0) for a in (headroom, throttled, stale) for t in (10, 25)),
        ),
    ]
