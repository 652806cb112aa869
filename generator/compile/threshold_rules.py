"""The seeds' fixed-threshold alerts: slow first tokens, error bursts, truncated answers."""

from __future__ import annotations

from generator import conventions as conv
from generator import promql as q
from generator.durations import format_number, parse_seconds
from generator.compile.alert_rules import service_alert
from generator.ir import AlertingRule, RecordingRule, RuleGroup
from generator.resolve import ResolvedThresholds

# In conventions, where the spec's schema descriptions read them too.
BURST_WINDOW, MIN_FAILURES = conv.BURST_WINDOW, conv.BURST_MIN_FAILURES
SUSTAINED_WINDOW, SUSTAINED_SHORT, SUSTAINED_MIN = conv.SUSTAINED_WINDOW, conv.SUSTAINED_SHORT, conv.SUSTAINED_MIN
CACHE_WINDOW, CACHE_BASELINE = conv.CACHE_WINDOW, conv.CACHE_BASELINE
SPEED_WINDOW, SPEED_BASELINE = conv.SPEED_WINDOW, conv.SPEED_BASELINE


def _own(metric: str, t: ResolvedThresholds) -> q.Selector:
    return q.Selector(metric, (q.Matcher(conv.LABEL_SERVICE, "=", t.service),))


def _alert(t: ResolvedThresholds, what: str, expr: str, severity: str, category: str, hold: str, summary: str, description: str) -> AlertingRule:
    labels = {**t.labels, conv.LABEL_SEVERITY: severity, conv.LABEL_CATEGORY: category, conv.LABEL_SERVICE: t.service}
    return service_alert(conv.threshold_alert(t.service, what), expr, labels, t.runbook_base, summary, description, hold)


def _share(bad: q.Selector, total: q.Selector, window: str) -> str:
    """Share of `total` that is `bad`: 0, not nothing, while requests flow without failures."""
    return f"(sum(rate({bad}[{window}])) or 0 * sum(rate({total}[{window}]))) / clamp_min(sum(rate({total}[{window}])), 1e-12)"


def _parenthesised(expr: str) -> str:
    return f"({expr})" if "\nor\n" in expr else expr


def _ratio_of(part: str, whole: str) -> str:
    """part / whole, silent (absent, not NaN) where the whole is zero."""
    return f"{_parenthesised(part)} / ({whole} > 0)"


def _server_errors(t: ResolvedThresholds) -> list[RecordingRule | AlertingRule]:
    assert t.server_errors is not None
    bad, total, share, hold = t.server_errors
    labels = {conv.LABEL_SERVICE: t.service}
    line = format_number(float(share))
    windows = (SUSTAINED_WINDOW, SUSTAINED_SHORT)
    expr = "\nand on ()\n".join(
        [f"{_own(conv.server_error_share(w), t)} > {line}" for w in windows]
        + [f"sum(rate({bad}[{SUSTAINED_WINDOW}])) * {int(parse_seconds(SUSTAINED_WINDOW))} >= {SUSTAINED_MIN}"]
    )
    percent = format_number(float(share * 100))
    return [
        *(RecordingRule(conv.server_error_share(w), _share(bad, total, w), labels) for w in windows),
        _alert(
            t, "ServerErrorsSustained", expr, conv.SEVERITY_TICKET, conv.CATEGORY_AVAILABILITY, hold,
            f"{t.service}: server errors (5xx, 529 overloaded) above {percent}% for {hold}",
            f"{{{{ $value | humanizePercentage }}}} of requests over the last {SUSTAINED_WINDOW} were answered 5xx or 529 "
            f"(line: {percent}% over both {SUSTAINED_WINDOW} and {SUSTAINED_SHORT}, for {hold}): the provider is failing, not a blip.",
        ),
    ]


def _cache_reads(t: ResolvedThresholds) -> list[RecordingRule | AlertingRule]:
    assert t.cache is not None
    steady, collapsed = t.cache
    by = {conv.LABEL_FEATURE: t.by[conv.LABEL_FEATURE]}
    reads, prompt = t.tokens.only("=", "cache_read"), t.prompt
    w = CACHE_WINDOW
    # No prompt tokens at all is silence, not a collapse: the share is then absent, not 0.
    expr = _ratio_of(reads.rate(w, by), prompt.rate(w, by))
    share = _own(conv.CACHE_READ_SHARE_30M, t)
    alert = (
        f"{share} < {format_number(float(collapsed))}\n"
        f"and\nquantile_over_time(0.5, {share}[{CACHE_BASELINE}]) > {format_number(float(steady))}"
    )
    return [
        RecordingRule(conv.CACHE_READ_SHARE_30M, expr, {conv.LABEL_SERVICE: t.service}),
        _alert(
            t, "CacheReadsCollapsed", alert, conv.SEVERITY_TICKET, conv.CATEGORY_COST, conv.CACHE_HOLD,
            f"{t.service}: prompt caching stopped working for {{{{ $labels.{conv.LABEL_FEATURE} }}}}",
            f"Cache reads are {{{{ $value | humanizePercentage }}}} of prompt tokens over the last {w}, after a day mostly above "
            f"{format_number(float(steady * 100))}%: the cache prefix changed or expired, and every request now pays full input price.",
        ),
    ]


def _output_speed(t: ResolvedThresholds) -> list[RecordingRule | AlertingRule]:
    assert t.duration_sum is not None
    model = t.by[conv.LABEL_MODEL]
    seconds = q.summed_rate(t.duration_sum, "5m", {conv.LABEL_MODEL: model})
    expr = _ratio_of(t.tokens.only("=", "output").rate("5m", {conv.LABEL_MODEL: model}), seconds)
    labels = {conv.LABEL_SERVICE: t.service}
    fast, slow = _own(conv.OUTPUT_SPEED_5M, t), _own(conv.OUTPUT_SPEED_30M, t)
    keep = format_number(float(1 - t.speed_drop))
    # Failed calls take time and write no tokens: while many fail, slow output is the failure, which the availability
    # alerts report. The speed of a model is judged only while few of its requests fail.
    failing = t.requests.plus(q.Matcher(t.status_label, "!~", t.outcome.good)) if t.status_label else t.requests
    per = {conv.LABEL_MODEL: t.requests_model}
    failed = _ratio_of(q.summed_rate(failing, SPEED_WINDOW, per), q.summed_rate(t.requests, SPEED_WINDOW, per))
    on = f"on ({conv.LABEL_MODEL})" if t.requests_model else "on ()"
    guard = f"\nunless {on}\n{failed} >= {format_number(conv.SPEED_MAX_FAILED / 100)}" if t.status_label else ""
    return [
        RecordingRule(conv.OUTPUT_SPEED_5M, expr, labels),
        RecordingRule(conv.OUTPUT_SPEED_30M, f"avg_over_time({fast}[{SPEED_WINDOW}])", labels),
        _alert(
            t, "OutputSpeedDegraded", f"{slow} < {keep} * quantile_over_time(0.5, {fast}[{SPEED_BASELINE}]){guard}",
            conv.SEVERITY_TICKET, conv.CATEGORY_LATENCY, conv.SPEED_HOLD,
            f"{t.service}: {{{{ $labels.{conv.LABEL_MODEL} }}}} writes output more slowly than usual",
            f'{{{{ $labels.{conv.LABEL_MODEL} }}}} produced {{{{ $value | printf "%.1f" }}}} output tokens per second of request time over '
            f"the last {SPEED_WINDOW}, more than {format_number(float(t.speed_drop * 100))}% below its median of the last day: provider degradation, "
            "queueing, or much shorter answers.",
        ),
    ]


def build(t: ResolvedThresholds) -> RuleGroup | None:
    labels = {conv.LABEL_SERVICE: t.service}
    rules: list[RecordingRule | AlertingRule] = []
    if t.ttft_bucket is not None:
        rules.append(RecordingRule(conv.TTFT_P95, f"histogram_quantile(0.95, sum by (le) (rate({t.ttft_bucket}[{conv.TTFT_WINDOW}])))", labels))
        for severity, seconds, hold in t.ttft_lines:
            rules.append(
                _alert(
                    t, "TtftP95High", f"{_own(conv.TTFT_P95, t)} > {format_number(seconds)}", severity, conv.CATEGORY_LATENCY, hold,
                    f"{t.service}: p95 time to first token above {format_number(seconds)}s",
                    f'95% of requests wait up to {{{{ $value | printf "%.1f" }}}}s for the first token (line: {format_number(seconds)}s, for {hold}).',
                )
            )
    if t.burst is not None:
        bad, total, share, hold = t.burst
        rules.append(RecordingRule(conv.ERROR_SHARE_2M, _share(bad, total, BURST_WINDOW), labels))
        rules.append(
            _alert(
                t, "ErrorBurst",
                # A handful of failures at low traffic is a large share but no burst.
                f"{_own(conv.ERROR_SHARE_2M, t)} > {format_number(float(share))}\nand on ()\n"
                f"sum(rate({bad}[{BURST_WINDOW}])) * {int(parse_seconds(BURST_WINDOW))} >= {MIN_FAILURES}",
                conv.SEVERITY_TICKET, conv.CATEGORY_AVAILABILITY, hold,
                f"{t.service}: {format_number(float(share * 100))}%+ of requests failing",
                f"{{{{ $value | humanizePercentage }}}} of requests failed over the last {BURST_WINDOW} (line: "
                f"{format_number(float(share * 100))}% for {hold}); the SLO burn-rate alerts decide whether it pages.",
            )
        )
    if t.responses is not None and t.truncated is not None:
        expr = _share(t.truncated, t.responses, conv.TRUNCATION_WINDOW)
        rules.append(RecordingRule(conv.TRUNCATED_SHARE_1H, expr, labels))
        rules.append(
            _alert(
                t, "MaxTokensTruncations", f"{_own(conv.TRUNCATED_SHARE_1H, t)} > {format_number(float(t.truncation_share))}",
                conv.SEVERITY_TICKET, conv.CATEGORY_QUALITY, conv.TRUNCATION_HOLD,
                f"{t.service}: answers cut off by max_tokens",
                f"{{{{ $value | humanizePercentage }}}} of responses over the last hour stopped at max_tokens "
                f"(line: {format_number(float(t.truncation_share * 100))}%): users get half answers. Raise max_tokens or shorten outputs.",
            )
        )
    if t.server_errors is not None:
        rules += _server_errors(t)
    if t.cache is not None:
        rules += _cache_reads(t)
    if t.duration_sum is not None:
        rules += _output_speed(t)
    return RuleGroup(conv.threshold_group(t.service), tuple(rules)) if rules else None
