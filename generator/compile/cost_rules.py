"""Cost: tokens x pricing into USD per second, then the burn-rate machinery applied to money.

The pace is the spend rate that uses exactly the monthly budget in 30 days; a burn rate of 14.4
over an hour spends 2% of the month's budget in that hour, as for error budgets.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

from generator import conventions as conv
from generator import promql as q
from generator.compile.alert_rules import service_alert
from generator.durations import format_number
from generator.ir import AlertingRule, RecordingRule, RuleGroup
from generator.resolve import ResolvedCost

DERIVED_WINDOWS = ("15m", "30m", "1h", "2h", "6h", "1d", "3d")
ANOMALY_WINDOW, BASELINE_WINDOW, FORECAST_WINDOW = "15m", "1d", "1d"


def own(metric: str, cost: ResolvedCost, **extra: str) -> q.Selector:
    return q.Selector(metric, (q.Matcher(conv.LABEL_SERVICE, "=", cost.service), *(q.Matcher(k, "=", v) for k, v in extra.items())))


def cost_rate_expr(cost: ResolvedCost) -> str:
    if cost.cost_counter is not None:
        return q.summed_rate(cost.cost_counter, "5m", {k: cost.by[k] for k in (conv.LABEL_MODEL, conv.LABEL_FEATURE)})
    tokens, price, default = priced_as(cost), own(conv.TOKEN_PRICE, cost), own(conv.TOKEN_PRICE_DEFAULT, cost)
    on = f"on ({conv.LABEL_PRICED_AS}, type)"
    priced = f"sum by (model, feature) ({tokens} * {on} group_left {price})"
    # Tokens of a model no listed name prices still cost money: the default price meanwhile.
    unpriced = f"sum by (model, feature) (({tokens} unless on ({conv.LABEL_PRICED_AS}) {price}) * on (type) group_left {default})"
    return f"{priced}\nor\n{unpriced}"


def priced_as(cost: ResolvedCost) -> str:
    """The token rates, each labelled with the listed model that prices it: the model itself, or the longest listed
    name its id starts with (`claude-sonnet-4-6-20260101`, `claude-haiku-4-5-latest`), as slogen.instrument prices
    it. A model no listed name starts gets no such label."""
    names = sorted({m for m, _, _ in cost.prices}, key=lambda m: (-len(m), m))  # RE2 alternation: leftmost first wins
    pattern = f"({q.alternation(names)}).*" if names else "()"
    return f'label_replace({own(conv.TOKENS_RATE, cost)}, "{conv.LABEL_PRICED_AS}", "$1", "{conv.LABEL_MODEL}", {q.string(pattern)})'


def _recordings(cost: ResolvedCost) -> list[RecordingRule]:
    labels = {conv.LABEL_SERVICE: cost.service}
    rules = []
    if cost.cost_counter is None:
        rules += [
            RecordingRule(conv.TOKEN_PRICE, f"vector({format_number(p)})", {**labels, conv.LABEL_MODEL: m, conv.LABEL_PRICED_AS: m, conv.LABEL_TOKEN_TYPE: t})
            for m, t, p in cost.prices
        ]
        rules += [RecordingRule(conv.TOKEN_PRICE_DEFAULT, f"vector({format_number(p)})", {**labels, conv.LABEL_TOKEN_TYPE: t}) for t, p in cost.default_prices]
        rules.append(RecordingRule(conv.TOKENS_RATE, cost.tokens.rate("5m", cost.by), labels))
    rules += [
        RecordingRule(conv.COST_RATE, cost_rate_expr(cost), labels),
        RecordingRule(conv.spend_rate("5m"), f"sum({own(conv.COST_RATE, cost)})", labels),
        RecordingRule(conv.requests_rate("5m"), f"sum(rate({cost.requests}[5m]))", labels),
    ]
    for window in DERIVED_WINDOWS:
        rules.append(RecordingRule(conv.spend_rate(window), f"avg_over_time({own(conv.spend_rate('5m'), cost)}[{window}])", labels))
    rules.append(RecordingRule(conv.requests_rate("1h"), f"avg_over_time({own(conv.requests_rate('5m'), cost)}[1h])", labels))
    if cost.allocations:
        for a in cost.allocations:
            # A quiet feature spends 0, not nothing: the long windows must average the silence in.
            features = own(conv.COST_RATE, cost).plus(q.Matcher(conv.LABEL_FEATURE, "=~", q.alternation(list(a.features))))
            spent = f"sum({features}) or vector(0)"
            rules.append(RecordingRule(conv.budget_spend_rate("5m"), spent, {**labels, conv.LABEL_BUDGET: a.name}))
        for window in _allocation_windows(cost):
            expr = f"avg_over_time({own(conv.budget_spend_rate('5m'), cost)}[{window}])"
            rules.append(RecordingRule(conv.budget_spend_rate(window), expr, labels))
    return rules


def _allocation_windows(cost: ResolvedCost) -> list[str]:
    used = {w for p in cost.pairs for w in (p.long, p.short)} | {FORECAST_WINDOW}
    return [w for w in DERIVED_WINDOWS if w in used]


def _alert(cost: ResolvedCost, what: str, expr: str, severity: str, summary: str, description: str, hold: str | None, **extra: str) -> AlertingRule:
    labels = {**cost.labels, conv.LABEL_SEVERITY: severity, conv.LABEL_CATEGORY: conv.CATEGORY_COST, conv.LABEL_SERVICE: cost.service, **extra}
    return service_alert(conv.cost_alert(cost.service, what), expr, labels, cost.runbook_base, summary, description, hold)


def _budget_alerts(cost: ResolvedCost, spend: Callable[[str], q.Selector], monthly: float, overspend: Fraction, of: str, **extra: str) -> list[AlertingRule]:
    """Burn-rate pairs on the spend pace, and the 30-day forecast, for the service or one allocation."""
    pace = format_number(monthly / (30 * 86400))
    month = format_number(monthly)
    alerts = []
    for pair in cost.pairs:
        factor = format_number(float(pair.factor))
        expr = q.AND.join(f"{spend(w)} / {pace} > {factor}" for w in (pair.long, pair.short))
        alerts.append(
            _alert(
                cost, "SpendBudgetBurn", expr, pair.severity,
                f"{cost.service}: spending the ${month} monthly budget{of} too fast",
                f'Spend{of} over the last {pair.long} and {pair.short} runs at {{{{ $value | printf "%.1f" }}}}x the pace that '
                f"uses ${month} in 30 days; at {factor}x, {format_number(float(pair.budget_percent))}% of the month's budget goes in {pair.long}.",
                None, long_window=pair.long, short_window=pair.short, **extra,
            )
        )
    limit = format_number(float(overspend) * monthly)
    alerts.append(
        _alert(
            cost, "SpendForecastOverBudget", f"{spend(FORECAST_WINDOW)} * {30 * 86400} > {limit}", conv.SEVERITY_TICKET,
            f"{cost.service}: on course to spend more than {format_number(float(overspend * 100))}% of the monthly budget{of}",
            f'At the last day\'s pace, 30 days{of} cost ${{{{ $value | printf "%.0f" }}}}, above ${limit} '
            f"({format_number(float(overspend * 100))}% of ${month}).",
            "30m", **extra,
        )
    )
    return alerts


def _alerts(cost: ResolvedCost) -> list[AlertingRule]:
    alerts = _budget_alerts(cost, lambda w: own(conv.spend_rate(w), cost), cost.monthly_usd, cost.max_overspend, "")
    for a in cost.allocations:
        alerts += _budget_alerts(
            cost, lambda w, a=a: own(conv.budget_spend_rate(w), cost, budget=a.name), a.monthly_usd, a.max_overspend, f" of {a.name}",
            **a.labels, budget=a.name,
        )
    if cost.per_request_usd is not None:
        per = format_number(cost.per_request_usd)
        spend, reqs = own(conv.spend_rate("1h"), cost), own(conv.requests_rate("1h"), cost)
        alerts.append(
            _alert(
                cost, "CostPerRequestHigh", f"{spend} / clamp_min({reqs}, 1e-12) > {per}\nand\n{reqs} > 0", conv.SEVERITY_TICKET,
                f"{cost.service}: requests cost more than ${per} on average",
                f'Over the last hour a request cost ${{{{ $value | printf "%.4f" }}}} on average (line: ${per}). Look for longer '
                "prompts, larger max_tokens, a pricier model or lost prompt caching.",
                "15m",
            )
        )
    factor = format_number(cost.anomaly_factor)
    recent, baseline = own(conv.spend_rate(ANOMALY_WINDOW), cost), own(conv.spend_rate(BASELINE_WINDOW), cost)
    alerts.append(
        _alert(
            cost, "SpendAnomaly", f"{recent} / clamp_min({baseline}, 1e-12) > {factor}\nand\n{baseline} > 0", conv.SEVERITY_TICKET,
            f"{cost.service}: spend jumped above {factor}x its daily average",
            f'Spend over the last {ANOMALY_WINDOW} runs at {{{{ $value | printf "%.1f" }}}}x its {BASELINE_WINDOW} average: '
            "a token runaway, a retry loop or a model switch.",
            "3m",
        )
    )
    if cost.cost_counter is None:
        alerts.append(
            _alert(
                cost, "ModelWithoutPrice",
                f"count by (model) ({priced_as(cost)} unless on ({conv.LABEL_PRICED_AS}) {own(conv.TOKEN_PRICE, cost)}) > 0",
                conv.SEVERITY_INFO,
                f"{cost.service}: tokens from {{{{ $labels.model }}}} have no price",
                "pricing has no entry for {{ $labels.model }} nor for any name it starts with; its cost uses the default price until you add one to slo.yaml.",
                "10m",
            )
        )
    return alerts


def build(cost: ResolvedCost) -> RuleGroup:
    return RuleGroup(conv.cost_group(cost.service), tuple([*_recordings(cost), *_alerts(cost)]))

