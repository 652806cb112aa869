"""The seeds' fixed-threshold alerts: slow first tokens, error bursts, truncated answers."""

from __future__ import annotations

from generator import conventions as conv
from generator import promql as q
from generator.durations import format_number, parse_seconds
from generator.compile.alert_rules import service_alert
from generator.ir import AlertingRule, RecordingRule, RuleGroup
from generator.resolve import ResolvedThresholds

# 2m holds four scrapes at a 30s interval, yet reacts within minutes.
BURST_WINDOW = "2m"
MIN_FAILURES = 5


def _own(metric: str, t: ResolvedThresholds) -> q.Selector:
    return q.Selector(metric, (q.Matcher(conv.LABEL_SERVICE, "=", t.service),))


def _alert(t: ResolvedThresholds, what: str, expr: str, severity: str, category: str, hold: str, summary: str, description: str) -> AlertingRule:
    labels = {**t.labels, conv.LABEL_SEVERITY: severity, conv.LABEL_CATEGORY: category, conv.LABEL_SERVICE: t.service}
    return service_alert(conv.threshold_alert(t.service, what), expr, labels, t.runbook_base, summary, description, hold)


def build(t: ResolvedThresholds) -> RuleGroup | None:
    labels = {conv.LABEL_SERVICE: t.service}
    rules: list[RecordingRule | AlertingRule] = []
    if t.ttft_bucket is not None:
        rules.append(RecordingRule(conv.TTFT_P95, f"histogram_quantile(0.95, sum by (le) (rate({t.ttft_bucket}[5m])))", labels))
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
        expr = (
            f"(sum(rate({bad}[{BURST_WINDOW}])) or 0 * sum(rate({total}[{BURST_WINDOW}])))"
            f" / clamp_min(sum(rate({total}[{BURST_WINDOW}])), 1e-12)"
        )
        rules.append(RecordingRule(conv.ERROR_SHARE_2M, expr, labels))
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
        expr = f"sum(rate({t.truncated}[1h])) / clamp_min(sum(rate({t.responses}[1h])), 1e-12)"
        rules.append(RecordingRule(conv.TRUNCATED_SHARE_1H, expr, labels))
        rules.append(
            _alert(
                t, "MaxTokensTruncations", f"{_own(conv.TRUNCATED_SHARE_1H, t)} > {format_number(float(t.truncation_share))}",
                conv.SEVERITY_TICKET, conv.CATEGORY_QUALITY, "10m",
                f"{t.service}: answers cut off by max_tokens",
                f"{{{{ $value | humanizePercentage }}}} of responses over the last hour stopped at max_tokens "
                f"(line: {format_number(float(t.truncation_share * 100))}%): users get half answers. Raise max_tokens or shorten outputs.",
            )
        )
    return RuleGroup(conv.threshold_group(t.service), tuple(rules)) if rules else None
