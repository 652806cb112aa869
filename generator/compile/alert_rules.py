"""Burn-rate alerts (one rule per window pair, so the pair that fired is a label) and no-data alerts."""

from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

from generator import conventions as conv
from generator import promql as q
from generator.compile.sli_rules import recorded, recording_selector
from generator.durations import format_number
from generator.ir import AlertingRule, RecordingRule
from generator.resolve import ResolvedSLO
from generator.windows import BurnPair


def build(slo: ResolvedSLO, expressions: bool = True) -> list[AlertingRule]:
    """The SLO's alerts; without `expressions`, their names, labels and annotations only (what the
    generated tests assert on: promtool evaluates the real rules), a third of the cost."""
    return [_burn(slo, pair, expressions) for pair in slo.pairs] + [_nodata(slo)]


def conditions(slo: ResolvedSLO, grouped: bool = False) -> list[RecordingRule]:
    """Per severity with more than one pair: whether any of its pairs burns, which the latch holds on
    (per group, for a grouped SLO's per-group alerts)."""
    if grouped and not slo.group_by:
        return []
    out = []
    for severity in (conv.SEVERITY_PAGE, conv.SEVERITY_TICKET):
        pairs = slo.pairs_of(severity)
        if len(pairs) > 1:
            expr = q.filled(_any(slo.budget, slo.min_events, pairs, grouped), slo.identity_matchers)
            out.append(RecordingRule(conv.burn_condition(severity, grouped), expr, slo.identity))
    return out


def alert_labels(slo: ResolvedSLO, severity: str, category: str) -> dict[str, str]:
    return {**slo.labels, conv.LABEL_SEVERITY: severity, conv.LABEL_CATEGORY: category, **slo.identity}


def alert_expr(slo: ResolvedSLO, pair: BurnPair, grouped: bool = False) -> str:
    by = slo.group_labels if grouped else ()
    return q.filled(_latched(slo.budget, slo.min_events, slo.pairs_of(pair.severity), pair, by), slo.identity_matchers, _alertname(slo, grouped))


@lru_cache(maxsize=256)  # SLOs of one shape differ only by their identity and alert name
def _latched(budget: Fraction, min_events: int, pairs: tuple[BurnPair, ...], pair: BurnPair, by: tuple[str, ...] = ()) -> str:
    """The pair's condition, latched so that one incident raises one alert of each severity.

    The pairs of a severity share one alert name; without the latch an outage raised one alert
    per pair (three pages as the slower windows caught up, each a new notification). The latch
    reads ALERTS from the previous evaluation, so it holds on Prometheus and vmalert alike; a tie
    in one evaluation goes to the faster pair by its condition, not by rule order. Per group (`by`),
    the same, matched on the group labels too: one alert of each severity per group and incident."""
    grouped = bool(by)
    own = _burn_expr(budget, min_events, pair, grouped)
    if len(pairs) == 1:
        return own
    on = conv.on_identity(by)
    faster = pairs[: pairs.index(pair)]
    others = _firing(pair.severity, (q.Matcher(conv.LABEL_TIER, "!=", pair.tier),))
    if faster:
        start = q.shape(q.LATCH_TIE, own=own, on=on, faster=_any(budget, min_events, faster, grouped), others=others)
    else:
        start = q.shape(q.LATCH_START, own=own, on=on, others=others)
    burning = recorded(conv.burn_condition(pair.severity, grouped), q.IDENTITY)
    mine = _firing(pair.severity, (q.Matcher(conv.LABEL_TIER, "=", pair.tier),))
    return q.shape(q.LATCH_HOLD, start=start, any=burning, on=on, mine=mine)


def _any(budget: Fraction, min_events: int, pairs: tuple[BurnPair, ...], grouped: bool = False) -> str:
    return q.OR.join(
        f"({_burn_expr(budget, min_events, p, grouped)})" if len(pairs) > 1 else _burn_expr(budget, min_events, p, grouped) for p in pairs
    )


def firing_burn_alerts(slo: ResolvedSLO, severity: str, grouped: bool = False) -> str:
    """ALERTS of this SLO's firing burn alerts of one severity (the generated tests count them)."""
    return q.filled(_firing(severity, ()), slo.identity_matchers, _alertname(slo, grouped))


def _alertname(slo: ResolvedSLO, grouped: bool = False) -> str:
    return q.equality(conv.LABEL_ALERTNAME, slo.group_alert if grouped else slo.burn_alert)


@lru_cache(maxsize=64)
def _firing(severity: str, more: tuple[q.Matcher, ...]) -> str:
    """ALERTS of an SLO's firing burn alerts of one severity, `more` matchers on top."""
    firing, of_severity = q.equality(conv.LABEL_ALERTSTATE, conv.STATE_FIRING), q.equality(conv.LABEL_SEVERITY, severity)
    return q.braced(conv.ALERTS, q.ALERTNAME, firing, of_severity, q.IDENTITY_MATCHERS, *map(q.matcher, more))


def burn_expr(slo: ResolvedSLO, pair: BurnPair, grouped: bool = False) -> str:
    return q.filled(_burn_expr(slo.budget, slo.min_events, pair, grouped), slo.identity_matchers)


@lru_cache(maxsize=256)  # every SLO of one objective reads the same conditions but for its identity
def _burn_expr(budget: Fraction, min_events: int, pair: BurnPair, grouped: bool = False) -> str:
    """Both windows over the threshold and, so one failure at low traffic never pages, at least
    `min_events` bad events in the long window: per group, each group's own events."""
    budget_text, factor = format_number(float(budget)), format_number(float(pair.factor))
    parts = [
        q.shape(q.BURN_CONDITION, ratio=recorded(conv.sli_error_ratio(w, grouped), q.IDENTITY), budget=budget_text, factor=factor)
        for w in (pair.long, pair.short)
    ]
    if min_events:
        events = q.shape(q.EVENTS_RAW, rate=recorded(conv.sli_error_rate(pair.long, grouped), q.IDENTITY), seconds=pair.long_seconds)
        parts.append(q.shape(q.MIN_EVENTS, events=events, min_events=min_events))
    return q.AND.join(parts)


def _burn(slo: ResolvedSLO, pair: BurnPair, expressions: bool = True) -> AlertingRule:
    labels = alert_labels(slo, pair.severity, slo.category)
    labels[conv.LABEL_LONG_WINDOW] = pair.long
    labels[conv.LABEL_SHORT_WINDOW] = pair.short
    labels[conv.LABEL_TIER] = pair.tier
    remaining = recording_selector(conv.BUDGET_REMAINING, slo)
    about = f" ({q.go_text(slo.description)})" if slo.description else ""
    holds = (
        f"It stays the one {pair.severity} alert of this incident while any {pair.severity} pair of the SLO burns. "
        if len(slo.pairs_of(pair.severity)) > 1 else ""
    )
    description = (
        f"SLO {slo.name}{about}: {slo.objective_text}% {q.go_text(slo.sli.phrase)} over {slo.period}. "
        f'Over the last {pair.long} and {pair.short}, bad events ran at {{{{ $value | printf "%.1f" }}}}x the sustainable rate; '
        f"at {pair.factor_text}x, {pair.percent_text}% of the {slo.period} error budget "
        f"goes in {pair.long}. {holds}"
        f"Budget left over {slo.period}: {{{{ with query `{remaining}` }}}}{{{{ . | first | value | humanizePercentage }}}}"
        f"{{{{ else }}}}unknown{{{{ end }}}}."
    )
    return AlertingRule(
        alert=slo.burn_alert,
        expr=alert_expr(slo, pair) if expressions else "",
        labels=labels,
        annotations={
            "summary": f"{slo.service}: the {slo.name} SLO is burning its error budget too fast",
            "description": description,
            "runbook_url": conv.runbook_url(slo.runbook_base, slo.burn_alert),
        },
    )


def build_grouped(slo: ResolvedSLO, expressions: bool = True) -> list[AlertingRule]:
    """A grouped SLO's per-group burn alerts: the same pairs, thresholds and min_events guard, each
    group judged on its own traffic, the group's value a label. No per-group no-data alert: a group
    that stops (a model retired, a feature switched off) is traffic moving, not an outage, and the
    service-wide no-data alert still watches the metric."""
    return [_group_burn(slo, pair, expressions) for pair in slo.pairs] if slo.group_by else []


def _group_burn(slo: ResolvedSLO, pair: BurnPair, expressions: bool) -> AlertingRule:
    labels = alert_labels(slo, pair.severity, slo.category)
    labels.update({conv.LABEL_LONG_WINDOW: pair.long, conv.LABEL_SHORT_WINDOW: pair.short, conv.LABEL_TIER: pair.tier})
    which = ", ".join(f"{name} {{{{ $labels.{name} }}}}" for name in slo.group_labels)
    about = f" ({q.go_text(slo.description)})" if slo.description else ""
    description = (
        f"SLO {slo.name}{about}, for {which} alone: {slo.objective_text}% {q.go_text(slo.sli.phrase)} over {slo.period}. "
        f'Over the last {pair.long} and {pair.short}, its bad events ran at {{{{ $value | printf "%.1f" }}}}x the sustainable rate '
        f"(threshold {pair.factor_text}x, at least {slo.min_events} bad events in {pair.long}), whatever the rest of the service does. "
        f"While the service-wide {slo.burn_alert} fires at this severity or above, Alertmanager holds this one back."
    )
    return AlertingRule(
        alert=slo.group_alert,
        expr=alert_expr(slo, pair, grouped=True) if expressions else "",
        labels=labels,
        annotations={
            "summary": f"{slo.service}: the {slo.name} SLO is burning its error budget too fast for one {' and '.join(slo.group_labels)}",
            "description": description,
            "runbook_url": conv.runbook_url(slo.runbook_base, slo.group_alert),
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
    """Labels the expression itself puts on the alert: absent() keeps the selector's equality matchers;
    a per-group alert carries its group's value (an example one, for the routing tests)."""
    if slo.group_by and rule.alert == slo.group_alert:
        return {name: f"example-{name}" for name in slo.group_labels}
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
