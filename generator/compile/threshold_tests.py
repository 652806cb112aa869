"""promtool tests for the fixed-threshold alerts: TTFT jumping to 7s, an error burst, truncations."""

from __future__ import annotations

import math

from generator import conventions as conv
from generator import promql as q
from generator.compile.checks import counter, firing_count
from generator.ir import ExprCheck, Series, TestCase
from generator.resolve import ResolvedThresholds

RATE = 600


def _firing(
    t: ResolvedThresholds, what: str, at: int, count: int, severity: str | None = None, by: dict[str, str] | None = None
) -> ExprCheck:
    """`count` alerts `what` firing at minute `at`; when some fire, `by` names the series they must be about."""
    match = {conv.LABEL_ALERTSTATE: conv.STATE_FIRING, conv.LABEL_ALERTNAME: conv.threshold_alert(t.service, what)}
    return firing_count({**match, **({conv.LABEL_SEVERITY: severity} if severity else {})}, at, count, by=by if count else None)


def _status(t: ResolvedThresholds, selector: q.Selector) -> tuple[str, str]:
    """The status label and a failing value the selector counts, in the exporter's spelling."""
    return t.status_label, next(v for v in map(t.outcome.spell, ("500", "529", "503", "timeout")) if selector.admits(t.status_label, v))


def _dims(t: ResolvedThresholds, **canonical: str) -> dict[str | None, str]:
    """Test labels under the exporter's names (q.series leaves out those it does not have)."""
    return {t.by[k]: v for k, v in canonical.items()}



def _server_error_cases(t: ResolvedThresholds) -> list[TestCase]:
    assert t.server_errors is not None
    bad, total, share, _ = t.server_errors
    label, spell = t.status_label, t.outcome.spell
    failing = max(2, math.ceil(RATE * float(share) * 2))  # twice the line
    ok = {label: spell("200")}
    return [
        TestCase(
            "thresholds: server errors going on for half an hour are noticed",
            (Series(q.series(total, ok), f"0+{RATE}x60"), Series(q.series(total, {label: spell("529")}), f"0x10 {counter([(50, failing)])}")),
            exprs=(_firing(t, "ServerErrorsSustained", 10, 0), _firing(t, "ServerErrorsSustained", 45, 1)),
        ),
        TestCase(
            "thresholds: a 3-minute burst of 500s, rate limiting and client errors are not sustained server errors",
            (
                Series(q.series(total, ok), f"0+{RATE}x60"),
                Series(q.series(total, {label: spell("500")}), f"0x10 {counter([(3, RATE // 5), (47, 0)])}"),
                Series(q.series(total, {label: spell("429")}), f"0+{failing}x60"),
                Series(q.series(total, {label: spell("400")}), f"0+{failing}x60"),
            ),
            exprs=tuple(_firing(t, "ServerErrorsSustained", m, 0) for m in (15, 20, 25, 30, 40, 60)),
        ),
    ]


def _tokens(t: ResolvedThresholds, labels: dict[str, str], kind: str, segments: list[tuple[int, float]]) -> Series:
    return Series(t.tokens.series(labels, kind), counter(segments))


def _cache_cases(t: ResolvedThresholds) -> list[TestCase]:
    assert t.cache is not None
    steady, _ = t.cache
    share = min(0.9, float(steady) * 3)  # well above the steady line
    cached, plain = _dims(t, feature="chat", model="claude-sonnet-4-6"), _dims(t, feature="batch", model="claude-sonnet-4-6")
    # Without a feature label the share is the service's: there is no second feature to stay quiet.
    by_feature = t.by[conv.LABEL_FEATURE] is not None
    prompt = 100_000  # prompt tokens a minute
    lead, after = 360, 90

    def feature_series(labels: dict[str, str], reads: list[tuple[int, float]]) -> list[Series]:
        # Where input tokens already hold the cache reads (LiteLLM), input is the whole prompt.
        fresh = [(m, prompt if t.input_includes_cache else prompt - r) for m, r in reads]
        return [_tokens(t, labels, "cache_read", reads), _tokens(t, labels, "input", fresh), _tokens(t, labels, "output", [(lead + after, 20_000)])]

    def alerts(at: int, count: int) -> ExprCheck:
        return _firing(t, "CacheReadsCollapsed", at, count, by={conv.LABEL_FEATURE: "chat"} if by_feature else {})

    return [
        TestCase(
            "thresholds: prompt caching collapsing to zero for a feature is noticed; a feature that never cached is not",
            (*feature_series(cached, [(lead, prompt * share), (after, 0)]), *(feature_series(plain, [(lead + after, 0)]) if by_feature else ())),
            exprs=(alerts(lead, 0), alerts(lead + 20, 0), alerts(lead + 60, 1)),
        ),
        TestCase(
            "thresholds: steady caching, and traffic stopping, raise no cache alert",
            tuple(feature_series(cached, [(lead, prompt * share), (after, 0)])[:1])
            + (_tokens(t, cached, "input", [(lead, prompt * (1 if t.input_includes_cache else 1 - share)), (after, 0)]),),
            exprs=tuple(alerts(m, 0) for m in (lead - 60, lead + 30, lead + 60, lead + after)),
        ),
    ]


def _speed_cases(t: ResolvedThresholds) -> list[TestCase]:
    assert t.duration_sum is not None
    model = _dims(t, model="claude-sonnet-4-6", feature="chat")
    lead, after = 240, 60
    rpm, tokens = 60, 100  # requests a minute, output tokens per request
    slow = 1 / (1 - float(t.speed_drop)) * 2 * 2.5  # seconds per request: well past the drop line

    def traffic(seconds: list[tuple[int, float]], volume: list[tuple[int, float]]) -> tuple[Series, Series]:
        return (
            _tokens(t, model, "output", [(m, rpm * tokens * k) for m, k in volume]),
            Series(q.series(t.duration_sum, model), counter([(m, rpm * s * k) for (m, s), (_, k) in zip(seconds, volume)])),
        )

    requests = {t.requests_model: "claude-sonnet-4-6", t.by[conv.LABEL_FEATURE]: "chat"}

    def alerts(at: int, count: int) -> ExprCheck:
        return _firing(t, "OutputSpeedDegraded", at, count, by={conv.LABEL_MODEL: "claude-sonnet-4-6"})

    return [
        TestCase(
            "thresholds: output tokens per second falling well below the model's usual speed is noticed",
            traffic([(lead, 2), (after, slow)], [(lead, 1), (after, 1)]),
            exprs=(alerts(lead, 0), alerts(lead + 10, 0), alerts(lead + after, 1)),
        ),
        TestCase(
            "thresholds: traffic halving at the usual speed is no slowdown",
            traffic([(lead, 2), (after, 2)], [(lead, 1), (after, 0.5)]),
            exprs=tuple(alerts(m, 0) for m in (lead, lead + 30, lead + after)),
        ),
        *([TestCase(
            "thresholds: a storm of failed calls (no tokens, time spent) raises no latency warning",
            (
                _tokens(t, model, "output", [(lead, rpm * tokens), (after, 0)]),
                Series(q.series(t.duration_sum, model), counter([(lead, rpm * 2), (after, rpm * 0.3)])),  # 401s answer in 0.3s
                Series(q.series(t.requests, {**requests, t.status_label: t.outcome.spell("200")}), counter([(lead, rpm), (after, 0)])),
                Series(q.series(t.requests, {**requests, t.status_label: t.outcome.spell("401")}), counter([(lead, 0), (after, rpm)])),
            ),
            exprs=tuple(alerts(m, 0) for m in (lead + 10, lead + 30, lead + after)),
        )] if t.status_label else []),
    ]


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
        label, failing = _status(t, bad)
        errors = int(RATE * float(share) * 2)
        cases.append(
            TestCase(
                "thresholds: an error burst is noticed and forgotten",
                (
                    Series(q.series(total, {label: t.outcome.spell("200")}), f"0+{RATE}x40"),
                    Series(q.series(total, {label: failing}), f"0x20 {errors}+{errors}x9 {errors * 11}+0x10"),
                ),
                exprs=(_firing(t, "ErrorBurst", 19, 0), _firing(t, "ErrorBurst", 30, 1), _firing(t, "ErrorBurst", 40, 0)),
            )
        )
    if t.server_errors is not None:
        cases += _server_error_cases(t)
    if t.cache is not None:
        cases += _cache_cases(t)
    if t.duration_sum is not None:
        cases += _speed_cases(t)
    if t.responses is not None and t.truncated is not None:
        stop = t.truncated.matchers[-1].label
        cut = int(RATE * float(t.truncation_share) * 2)
        cases.append(
            TestCase(
                "thresholds: answers cut off by max_tokens are noticed",
                (
                    Series(q.series(t.responses, {stop: t.stop_values.get("end_turn", "end_turn")}), f"0+{RATE - cut}x40"),
                    Series(q.series(t.responses, {stop: t.stop_values.get("max_tokens", "max_tokens")}), f"0+{cut}x40"),
                ),
                exprs=(_firing(t, "MaxTokensTruncations", 5, 0), _firing(t, "MaxTokensTruncations", 20, 1)),
            )
        )
    return cases
