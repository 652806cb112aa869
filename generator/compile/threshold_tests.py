"""promtool tests for the fixed-threshold alerts: TTFT jumping to 7s, an error burst, truncations."""

from __future__ import annotations

import re

from generator import conventions as conv
from generator import promql as q
from generator.compile.checks import firing_count
from generator.ir import ExprCheck, Series, TestCase
from generator.resolve import ResolvedThresholds

RATE = 600


def _firing(t: ResolvedThresholds, what: str, at: int, count: int, severity: str | None = None) -> ExprCheck:
    match = {conv.LABEL_ALERTSTATE: conv.STATE_FIRING, conv.LABEL_ALERTNAME: conv.threshold_alert(t.service, what)}
    return firing_count({**match, **({conv.LABEL_SEVERITY: severity} if severity else {})}, at, count)


def _status(selector: q.Selector, negative: bool) -> tuple[str, str]:
    """A status label and a value the selector counts (or not)."""
    m = next(m for m in selector.matchers if m.op == "!~" and m.label)
    pick = next(c for c in ("500", "529", "503", "timeout") if not re.fullmatch(m.value, c)) if not negative else "200"
    return m.label, pick


def build(t: ResolvedThresholds) -> list[TestCase]:
    cases = []
    warn = next(s for sev, s, _ in t.ttft_lines if sev == conv.SEVERITY_TICKET)
    crit = next(s for sev, s, _ in t.ttft_lines if sev == conv.SEVERITY_PAGE)
    if t.ttft_bucket is not None and warn < 7 < crit:
        # 60 minutes with every first token under 1s, then every one takes 7s: in the (5s, 10s] bucket.
        fast, mid, slow = "1", "5", "10"
        buckets = {fast: f"0+{RATE}x60 {RATE * 61}+0x20", mid: f"0+{RATE}x60 {RATE * 61}+0x20", slow: f"0+{RATE}x80", "+Inf": f"0+{RATE}x80"}
        series = tuple(Series(q.series(t.ttft_bucket, {"le": le}), v) for le, v in buckets.items())
        cases.append(
            TestCase(
                "thresholds: time to first token jumping to 7s warns within 10 minutes",
                series,
                exprs=(
                    _firing(t, "TtftP95High", 60, 0),
                    _firing(t, "TtftP95High", 70, 1, conv.SEVERITY_TICKET),
                    _firing(t, "TtftP95High", 75, 0, conv.SEVERITY_PAGE),
                ),
            )
        )
    if t.burst is not None:
        bad, total, share, _ = t.burst
        label, failing = _status(bad, negative=False)
        errors = int(RATE * float(share) * 2)
        cases.append(
            TestCase(
                "thresholds: an error burst is noticed and forgotten",
                (
                    Series(q.series(total, {label: "200"}), f"0+{RATE}x40"),
                    Series(q.series(total, {label: failing}), f"0x20 {errors}+{errors}x9 {errors * 11}+0x10"),
                ),
                exprs=(_firing(t, "ErrorBurst", 19, 0), _firing(t, "ErrorBurst", 30, 1), _firing(t, "ErrorBurst", 40, 0)),
            )
        )
    if t.responses is not None and t.truncated is not None:
        stop = next(m.label for m in t.truncated.matchers if m.value == "max_tokens")
        cut = int(RATE * float(t.truncation_share) * 2)
        cases.append(
            TestCase(
                "thresholds: answers cut off by max_tokens are noticed",
                (
                    Series(q.series(t.responses, {stop: "end_turn"}), f"0+{RATE - cut}x40"),
                    Series(q.series(t.responses, {stop: "max_tokens"}), f"0+{cut}x40"),
                ),
                exprs=(_firing(t, "MaxTokensTruncations", 5, 0), _firing(t, "MaxTokensTruncations", 20, 1)),
            )
        )
    return cases
