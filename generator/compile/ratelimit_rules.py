"""Rate-limit headroom: utilisation per model and dimension, 429 pressure, and stale header gauges.

The header gauges are per replica: the tightest replica (lowest remaining) against the largest
limit is what the next request will meet.
"""

from __future__ import annotations

from generator import conventions as conv
from generator import promql as q
from generator.durations import format_number
from generator.ir import AlertingRule, RecordingRule, RuleGroup
from generator.resolve import ResolvedRateLimits



def _by(rl: ResolvedRateLimits, *names: str) -> str:
    return q.by_clause(*(rl.by[n] for n in names))


def utilisation_expr(rl: ResolvedRateLimits) -> str:
    by = _by(rl, conv.LABEL_MODEL, conv.LABEL_DIMENSION)
    expr = f"1 - min by ({by}) ({rl.remaining}) / max by ({by}) ({rl.limit} > 0)"
    return q.canonical(expr, rl.by)


def throttled_expr(rl: ResolvedRateLimits) -> str:
    return q.summed_rate(rl.throttled, "5m", {conv.LABEL_MODEL: rl.by[conv.LABEL_MODEL]})


def stale_expr(rl: ResolvedRateLimits) -> str:
    model, both = rl.by[conv.LABEL_MODEL], _by(rl, conv.LABEL_MODEL, conv.LABEL_DIMENSION)
    window = rl.stale_after
    unchanged = f"max by ({both}) (changes({rl.remaining}[{window}])) == 0"
    # Only a gauge that already existed a full window ago can be called frozen.
    existed = f"max by ({both}) (last_over_time({rl.remaining}[5m] offset {window}))"
    flowing = f"sum by ({model}) (rate({rl.requests}[{window}])) > 0"
    return q.canonical(f"({unchanged}) and on ({both}) {existed} and on ({model}) ({flowing})", rl.by)


def _labels(rl: ResolvedRateLimits, severity: str) -> dict[str, str]:
    return {**rl.labels, conv.LABEL_SEVERITY: severity, conv.LABEL_CATEGORY: conv.CATEGORY_RATELIMIT, conv.LABEL_SERVICE: rl.service}


def _annotations(rl: ResolvedRateLimits, alert: str, summary: str, description: str) -> dict[str, str]:
    return {"summary": summary, "description": description, "runbook_url": conv.runbook_url(rl.runbook_base, alert)}


def build(rl: ResolvedRateLimits) -> RuleGroup:
    own = str(q.Selector(conv.RATELIMIT_UTILISATION, (q.Matcher(conv.LABEL_SERVICE, "=", rl.service),)))
    throttled = str(q.Selector(conv.THROTTLED_RATE, (q.Matcher(conv.LABEL_SERVICE, "=", rl.service),)))
    headroom = conv.headroom_alert(rl.service)
    used = '{{ $labels.model }} {{ $labels.dimension }} limit is {{ $value | humanizePercentage }} used'
    rules: list[RecordingRule | AlertingRule] = [
        RecordingRule(conv.RATELIMIT_UTILISATION, utilisation_expr(rl), {conv.LABEL_SERVICE: rl.service}),
        RecordingRule(conv.THROTTLED_RATE, throttled_expr(rl), {conv.LABEL_SERVICE: rl.service}),
    ]
    for severity, level, hold in ((conv.SEVERITY_TICKET, rl.warning, rl.warning_for), (conv.SEVERITY_PAGE, rl.critical, rl.critical_for)):
        pct = format_number(float(level * 100))
        rules.append(
            AlertingRule(
                headroom,
                f"{own} > {format_number(float(level))}",
                _labels(rl, severity),
                _annotations(
                    rl, headroom,
                    f"{rl.service}: rate-limit headroom below {format_number(float(100 - level * 100))}%",
                    f"{used}, above the {pct}% {severity} line; requests will soon meet 429s. Slow or shed low-value traffic, "
                    "spread load across models, or raise the limit.",
                ),
                for_=hold,
            )
        )
    per_second = format_number(rl.throttled_per_second)
    rules.append(
        AlertingRule(
            conv.throttled_alert(rl.service),
            f"{throttled} > {per_second}",
            _labels(rl, conv.SEVERITY_TICKET),
            _annotations(
                rl, conv.throttled_alert(rl.service),
                f"{rl.service}: requests to {{{{ $labels.model }}}} are being rate limited",
                f'{{{{ $value | printf "%.2f" }}}} responses per second are 429s (above {per_second}/s for {rl.throttled_for}).',
            ),
            for_=rl.throttled_for,
        )
    )
    rules.append(
        AlertingRule(
            conv.stale_gauge_alert(rl.service),
            stale_expr(rl),
            _labels(rl, conv.SEVERITY_TICKET),
            _annotations(
                rl, conv.stale_gauge_alert(rl.service),
                f"{rl.service}: rate-limit gauges of {{{{ $labels.model }}}} stopped updating",
                f"{rl.remaining.metric} has not changed for {rl.stale_after} although requests flow: the headroom alerts are blind. "
                "Check that the client still reads the anthropic-ratelimit-* headers.",
            ),
        )
    )
    return RuleGroup(conv.ratelimit_group(rl.service), tuple(rules), interval=None)
