"""Burn-rate alerts (one rule per window pair, so the pair that fired is a label) and no-data alerts."""

from __future__ import annotations

from generator import conventions as conv
from generator import promql as q
from generator.compile.sli_rules import RAW_UP_TO_SECONDS, recording_selector
from generator.durations import format_number, parse_seconds
from generator.ir import AlertingRule
from generator.resolve import ResolvedSLO
from generator.windows import BurnPair


def build(slo: ResolvedSLO) -> list[AlertingRule]:
    return [_burn(slo, pair) for pair in slo.pairs] + [_nodata(slo)]


def alert_labels(slo: ResolvedSLO, severity: str, category: str) -> dict[str, str]:
    return {**slo.labels, conv.LABEL_SEVERITY: severity, conv.LABEL_CATEGORY: category, **slo.identity}


def burn_expr(slo: ResolvedSLO, pair: BurnPair) -> str:
    budget, factor = format_number(float(slo.budget)), format_number(float(pair.factor))
    parts = [
        q.shape(q.BURN_CONDITION, ratio=recording_selector(conv.sli_error_ratio(w), slo), budget=budget, factor=factor)
        for w in (pair.long, pair.short)
    ]
    if slo.min_events:
        parts.append(q.shape(q.MIN_EVENTS, events=events_expr(slo, pair.long), min_events=slo.min_events))
    return q.AND.join(parts)


def events_expr(slo: ResolvedSLO, window: str) -> str:
    """Bad events in the window. An average rate times the window would overcount while the
    window is not yet full of data (a new service), so derived windows sum the 5m rates instead."""
    if parse_seconds(window) <= RAW_UP_TO_SECONDS:
        return q.shape(q.EVENTS_RAW, rate=recording_selector(conv.sli_error_rate(window), slo), seconds=int(parse_seconds(window)))
    base = recording_selector(conv.sli_error_rate(conv.RATE_BASE_WINDOW), slo)
    return q.shape(q.EVENTS_DERIVED, rate=base, window=window, interval=format_number(parse_seconds(slo.evaluation_interval)))


def _burn(slo: ResolvedSLO, pair: BurnPair) -> AlertingRule:
    labels = alert_labels(slo, pair.severity, slo.category)
    labels[conv.LABEL_LONG_WINDOW] = pair.long
    labels[conv.LABEL_SHORT_WINDOW] = pair.short
    remaining = recording_selector(conv.BUDGET_REMAINING, slo)
    about = f" ({q.go_text(slo.description)})" if slo.description else ""
    description = (
        f"SLO {slo.name}{about}: {slo.objective_text}% {q.go_text(slo.sli.phrase)} over {slo.period}. "
        f'Over the last {pair.long} and {pair.short}, bad events ran at {{{{ $value | printf "%.1f" }}}}x the sustainable rate; '
        f"at {format_number(float(pair.factor))}x, {format_number(float(pair.budget_percent))}% of the {slo.period} error budget "
        f"goes in {pair.long}. "
        f"Budget left over {slo.period}: {{{{ with query `{remaining}` }}}}{{{{ . | first | value | humanizePercentage }}}}"
        f"{{{{ else }}}}unknown{{{{ end }}}}."
    )
    return AlertingRule(
        alert=slo.burn_alert,
        expr=burn_expr(slo, pair),
        labels=labels,
        annotations={
            "summary": f"{slo.service}: the {slo.name} SLO is burning its error budget too fast",
            "description": description,
            "runbook_url": conv.runbook_url(slo.runbook_base, slo.burn_alert),
        },
    )


def service_alert(
    name: str, expr: str, labels: dict[str, str], runbook_base: str, summary: str, description: str, hold: str | None = None
) -> AlertingRule:
    """An alert of the service as a whole (cost, rate limits, thresholds): the same annotations as the SLO alerts."""
    return AlertingRule(
        name, expr, labels, {"summary": summary, "description": description, "runbook_url": conv.runbook_url(runbook_base, name)}, for_=hold
    )


def result_labels(slo: ResolvedSLO, rule: AlertingRule) -> dict[str, str]:
    """Labels the expression itself puts on the alert: absent() keeps the selector's equality matchers."""
    if rule.alert != slo.nodata_alert:
        return {}
    return {m.label: m.value for m in slo.sli.total.matchers if m.op == "="}


def nodata_expr(slo: ResolvedSLO) -> str:
    return f"absent({slo.sli.total})"


def _nodata(slo: ResolvedSLO) -> AlertingRule:
    return AlertingRule(
        alert=slo.nodata_alert,
        expr=nodata_expr(slo),
        for_=slo.nodata_for,
        labels=alert_labels(slo, conv.SEVERITY_TICKET, conv.CATEGORY_TRAFFIC),
        annotations={
            "summary": f"{slo.service}: no data for the {slo.name} SLO",
            "description": (
                f"No series has matched {q.go_text(str(slo.sli.total))} for {slo.nodata_for}: the {slo.name} SLO cannot be "
                "measured and its burn-rate alerts cannot fire. Check that the service is running and scraped."
            ),
            "runbook_url": conv.runbook_url(slo.runbook_base, slo.nodata_alert),
        },
    )
