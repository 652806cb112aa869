"""One runbook per alert: what it means, what to query first, the likely LLM-API causes."""

from __future__ import annotations

from collections.abc import Callable

from generator import conventions as conv
from generator.compile.alert_rules import burn_expr, nodata_expr
from generator.compile.sli_rules import recording_selector
from generator.durations import format_number
from generator.ir import Runbook
from generator.profiles import Profile
from generator.compile import cost_rules, ratelimit_rules
from generator.resolve import HistogramSLI, ResolvedCost, ResolvedRateLimits, ResolvedSLO, ResolvedThresholds


def _by(label: str, selector: object, window: str = "5m") -> str:
    return f"sum by ({label}) (rate({selector}[{window}]))"


def _queries(slo: ResolvedSLO, profile: Profile) -> list[tuple[str, str]]:
    model, feature = profile.labels["model"], profile.labels["feature"]
    sli = slo.sli
    out = [
        ("Bad-event ratio over 5m", str(recording_selector(conv.sli_error_ratio("5m"), slo))),
        ("Bad-event ratio over 1h", str(recording_selector(conv.sli_error_ratio("1h"), slo))),
        (f"Error budget left over {slo.period}", str(recording_selector(conv.BUDGET_REMAINING, slo))),
    ]
    if isinstance(sli, HistogramSLI):
        bucket = sli.good
        base = sli.total.renamed(sli.good.metric)
        out += [
            ("p95 by model", f"histogram_quantile(0.95, sum by (le, {model}) (rate({base}[5m])))"),
            ("p95 by feature", f"histogram_quantile(0.95, sum by (le, {feature}) (rate({base}[5m])))"),
            ("Share of requests within the threshold, by model", f"{_by(model, bucket)} / {_by(model, sli.total)}"),
        ]
    else:
        status = profile.labels["status"]
        out += [
            ("Requests by status", _by(status, sli.total)),
            ("Failures by model", _by(model, sli.bad)),
            ("Failures by feature", _by(feature, sli.bad)),
        ]
    return out


def build(slo: ResolvedSLO, profile: Profile) -> list[Runbook]:
    common = {
        "service": slo.service,
        "slo": slo.name,
        "description": slo.description,
        "objective": slo.objective_text,
        "budget": format_number(float(slo.budget * 100)),
        "period": slo.period,
        "phrase": slo.sli.phrase,
        "category": slo.category,
        "queries": _queries(slo, profile),
        "group_by": [],
    }
    pairs = [
        {
            "severity": p.severity,
            "long": p.long,
            "short": p.short,
            "factor": p.factor_text,
            "spent": format_number(float(p.budget_percent)),
            "expr": burn_expr(slo, p),
        }
        for p in slo.pairs
    ]
    grouped = []
    if slo.group_by:
        group_pairs = [{**p, "expr": burn_expr(slo, pair, grouped=True)} for p, pair in zip(pairs, slo.pairs, strict=True)]
        context = {**common, "alert": slo.group_alert, "pairs": group_pairs, "group_by": list(slo.group_labels)}
        grouped.append(Runbook(slo.group_alert, "runbook-burn.md.j2", {**context, "min_events": slo.min_events, "service_alert": slo.burn_alert}))
    return [
        *grouped,
        Runbook(slo.burn_alert, "runbook-burn.md.j2", {**common, "alert": slo.burn_alert, "pairs": pairs}),
        Runbook(
            slo.nodata_alert,
            "runbook-nodata.md.j2",
            {**common, "alert": slo.nodata_alert, "expr": nodata_expr(slo), "hold": slo.nodata_for, "metric": slo.sli.total.metric},
        ),
    ]


def build_ratelimit(rl: ResolvedRateLimits) -> list[Runbook]:
    common = {
        "service": rl.service,
        "warning": format_number(float(rl.warning * 100)),
        "critical": format_number(float(rl.critical * 100)),
        "throttled_per_second": format_number(rl.throttled_per_second),
        "throttled_for": rl.throttled_for,
        "stale_after": rl.stale_after,
        "utilisation": ratelimit_rules.utilisation_expr(rl),
        "throttled": ratelimit_rules.throttled_expr(rl),
    }
    kinds = (("headroom", conv.headroom_alert), ("throttled", conv.throttled_alert), ("stale", conv.stale_gauge_alert))
    return [
        Runbook(name(rl.service), "runbook-ratelimit.md.j2", {**common, "alert": name(rl.service), "kind": kind}) for kind, name in kinds
    ]


COST_ALERTS = ("SpendBudgetBurn", "SpendForecastOverBudget", "CostPerRequestHigh", "SpendAnomaly", "ModelWithoutPrice")


def build_cost(cost: ResolvedCost, alerts: list[str]) -> list[Runbook]:
    common = {
        "service": cost.service,
        "monthly": format_number(cost.monthly_usd),
        "overspend": format_number(float(cost.max_overspend * 100)),
        "per_request": format_number(cost.per_request_usd or 0),
        "anomaly": format_number(cost.anomaly_factor),
        "by_model": str(cost_rules.own(conv.COST_RATE, cost)),
        "tokens_per_request": f"sum by (model, type) ({cost_rules.own(conv.TOKENS_RATE, cost)}) / scalar({cost_rules.own(conv.requests_rate('5m'), cost)})",
    }
    return [
        Runbook(conv.cost_alert(cost.service, kind), "runbook-cost.md.j2", {**common, "alert": conv.cost_alert(cost.service, kind), "kind": kind})
        for kind in COST_ALERTS
        if conv.cost_alert(cost.service, kind) in alerts
    ]


THRESHOLD_TEXT = {
    "TtftP95High": "The 95th percentile of time to first token is above its line. Likely causes: provider slowness, longer "
    "prompts, a bigger model, lost prompt caching, or queueing in our own client. Compare by model and feature; fail over "
    "or degrade the feature if the provider is slow.",
    "ErrorBurst": "A short burst of failed requests. The SLO burn-rate alerts decide whether it pages; this one says it "
    "started. Check 529 overload, 429 rate limits, timeouts and recent deploys.",
    "ServerErrorsSustained": "Server errors (5xx, and 529 when the provider is overloaded) have gone on for a while, over both "
    "15m and 5m. Check the provider's status page and the split of 500/529 by model; fail over to another model or region, "
    "or shed load. The SLO burn-rate alerts decide whether it pages.",
    "CacheReadsCollapsed": "A feature that read most of its prompt from the cache now reads almost nothing from it, so every "
    "request pays the full input price and takes longer. Likely causes: a prompt change that alters the cached prefix (a "
    "timestamp or user id early in the prompt), cache_control removed, a model switch, or traffic too sparse to keep the "
    "cache warm. Compare cache_read and cache_write tokens for the feature.",
    "OutputSpeedDegraded": "A model writes fewer output tokens per second of request time than it did over the last day. "
    "Likely causes: provider degradation, queueing in our client, retries inside requests, or a change that made answers "
    "much shorter (the first-token wait then weighs more). Compare TTFT and output tokens per request for the model.",
    "MaxTokensTruncations": "Many responses stop at max_tokens: users get half answers. A prompt change asked for longer "
    "output, or max_tokens was lowered. Raise max_tokens for the feature or ask for shorter answers.",
}


def build_thresholds(t: ResolvedThresholds, alerts: list[str]) -> list[Runbook]:
    return build_fixed(t.service, THRESHOLD_TEXT, alerts, conv.threshold_alert)


def build_fixed(service: str, texts: dict[str, str], alerts: list[str], name_of: Callable[[str, str], str]) -> list[Runbook]:
    """Runbooks of fixed-threshold alerts: what each means and what to do, for those the rules raise."""
    out = []
    for kind, text in texts.items():
        name = name_of(service, kind)
        if name in alerts:
            out.append(Runbook(name, "runbook-threshold.md.j2", {"service": service, "alert": name, "meaning": text}))
    return out
