"""promtool tests for the cost alerts, on token counters at the spec's prices."""

from __future__ import annotations

import math
from dataclasses import dataclass

from generator import conventions as conv
from generator import promql as q
from generator.durations import format_number
from generator.compile.checks import counter, firing_count
from generator.ir import ExprCheck, Series, TestCase
from generator.resolve import Allocation, ResolvedCost

FEATURE = "chat"
INPUT, OUTPUT = 100, 20  # tokens per request
USD_PER_REQUEST = 0.0006  # the same request at Sonnet prices, for exporters that count USD themselves



@dataclass(frozen=True)
class Baseline:
    """Steady traffic at about half the budget pace: requests per minute and tokens per request."""

    requests_per_minute: int
    input_tokens: int
    output_tokens: int
    usd_per_request: float

    @staticmethod
    def of(cost: ResolvedCost, model: str) -> Baseline:
        prices = {t: p for m, t, p in cost.prices if m == model}
        unit = INPUT * prices.get("input", 0) + OUTPUT * prices.get("output", 0) if cost.cost_counter is None else USD_PER_REQUEST
        unit = unit or USD_PER_REQUEST
        wanted = 0.5 * cost.pace * 60  # USD per minute
        rpm = max(1, round(wanted / unit))
        scale = min(1.0, wanted / (rpm * unit))  # tiny budgets: fewer tokens per request
        tokens_in, tokens_out = max(1, round(INPUT * scale)), max(1, round(OUTPUT * scale))
        usd = unit * scale if cost.cost_counter is not None else tokens_in * prices.get("input", 0) + tokens_out * prices.get("output", 0)
        return Baseline(rpm, tokens_in, tokens_out, usd or unit)

    def burn(self, cost: ResolvedCost) -> float:
        return self.requests_per_minute * self.usd_per_request / 60 / cost.pace


def _free_feature(cost: ResolvedCost) -> str:
    """A feature no allocation covers, so service-wide tests see no allocation alerts."""
    taken = {f for a in cost.allocations for f in a.features}
    return next(f for f in (FEATURE, "slogen-test-feature") if f not in taken)


def _traffic(
    cost: ResolvedCost, model: str, segments: list[tuple[int, float]], base: Baseline, requests_per_minute: int | None = None, feature: str | None = None
) -> list[Series]:
    """Token (or USD) and request counters; `segments` are (minutes, multiplier of the baseline spend)."""
    rpm = base.requests_per_minute if requests_per_minute is None else requests_per_minute
    by = cost.by
    labels = {by[conv.LABEL_MODEL]: model, by[conv.LABEL_FEATURE]: feature or _free_feature(cost)}
    minutes = sum(m for m, _ in segments)
    requests = Series(q.series(cost.requests, {**labels, **cost.ok}), f"0+{rpm}x{minutes}")
    if cost.cost_counter is not None:
        usd = [(m, rpm * base.usd_per_request * k) for m, k in segments]
        return [Series(q.series(cost.cost_counter, labels), counter(usd)), requests]
    out = [
        Series(cost.tokens.series(labels, kind), counter([(m, rpm * per * k) for m, k in segments]))
        for kind, per in (("input", base.input_tokens), ("output", base.output_tokens))
    ]
    return [*out, requests]


def _alerts(cost: ResolvedCost, what: str | None, at: int, count: int) -> ExprCheck:
    named = {conv.LABEL_ALERTNAME: conv.cost_alert(cost.service, what)} if what else {}
    return firing_count({conv.LABEL_ALERTSTATE: conv.STATE_FIRING, conv.LABEL_CATEGORY: conv.CATEGORY_COST, **named}, at, count)


def _severity(cost: ResolvedCost, what: str, severity: str, at: int, count: int, budget: str = "") -> ExprCheck:
    match = {
        conv.LABEL_ALERTSTATE: conv.STATE_FIRING,
        conv.LABEL_ALERTNAME: conv.cost_alert(cost.service, what),
        conv.LABEL_SEVERITY: severity,
        conv.LABEL_BUDGET: budget,
    }
    return firing_count(match, at, count)


def _expensive(cost: ResolvedCost, base: Baseline) -> int:
    """Multiplier that makes one request a minute cost twice the per-request line."""
    assert cost.per_request_usd is not None
    return max(1, math.ceil(2 * cost.per_request_usd / base.usd_per_request))


def _priced_model(cost: ResolvedCost) -> str | None:
    """A listed model, preferring a mid-priced one (Sonnet in the seeds)."""
    models = sorted({m for m, _, _ in cost.prices})
    return next((m for m in models if "sonnet" in m), models[len(models) // 2] if models else None)


def _allocation_case(cost: ResolvedCost, model: str, base: Baseline, a: Allocation, lead: int) -> TestCase:
    """One of the allocation's features spending at about 50x its own pace pages for that allocation."""
    own_burn = base.burn(cost) * cost.monthly_usd / a.monthly_usd  # the steady traffic against the allocation's pace
    times = 50 / own_burn
    checks = [_severity(cost, "SpendBudgetBurn", conv.SEVERITY_PAGE, lead, 0, a.name), _severity(cost, "SpendBudgetBurn", conv.SEVERITY_PAGE, lead + 45, 2, a.name)]
    if base.burn(cost) * times < 1:  # a small part of the service's own budget: the service-wide alerts stay quiet
        checks.append(_severity(cost, "SpendBudgetBurn", conv.SEVERITY_PAGE, lead + 45, 0))
    quiet = 0.5 / own_burn  # half the allocation's pace before the runaway
    return TestCase(
        f"cost: {a.name} spending 50x its own budget pace pages for {a.name}",
        tuple(_traffic(cost, model, [(lead, quiet), (60, times)], base, feature=a.features[0])),
        exprs=tuple(checks),
    )


def build(cost: ResolvedCost) -> list[TestCase]:
    model = _priced_model(cost) or "claude-sonnet-4-6"
    base = Baseline.of(cost, model)
    lead = 180
    cases = [
        TestCase(
            "cost: steady traffic raises no cost alert",
            tuple(_traffic(cost, model, [(lead + 60, 1)], base)),
            exprs=tuple(_alerts(cost, None, t, 0) for t in (30, 60, 120, 180, 240)),
        ),
        TestCase(
            "cost: a 10x token runaway is noticed within 15 minutes",
            tuple(_traffic(cost, model, [(lead, 1), (30, 10)], base)),
            exprs=(_alerts(cost, None, lead, 0), _alerts(cost, "SpendAnomaly", lead + 2, 0), _alerts(cost, "SpendAnomaly", lead + 15, 1)),
        ),
        TestCase(
            "cost: tokens of an unpriced model are priced by default and named",
            tuple(_traffic(cost, "unlisted-model", [(30, 1)], base)),
            exprs=(
                ExprCheck(f"count({q.Selector(conv.COST_RATE, (q.Matcher(conv.LABEL_MODEL, '=', 'unlisted-model'),))} > 0)", "20m", (("{}", 1.0),)),
                _alerts(cost, "ModelWithoutPrice", 5, 0),
                _alerts(cost, "ModelWithoutPrice", 20, 1),
            ),
        ),
    ]
    if cost.cost_counter is None and _priced_model(cost) is not None:
        dated = f"{model}-20260101"  # a dated id: priced as the listed name it starts with, not at the (dearest) default
        usd = base.requests_per_minute * base.usd_per_request / 60
        spent = q.Selector(conv.COST_RATE, (q.Matcher(conv.LABEL_MODEL, "=", dated),))
        cases.append(
            TestCase(
                f"cost: a dated model id is priced as {model}, the longest listed name it starts with",
                tuple(_traffic(cost, dated, [(30, 1)], base)),
                exprs=(
                    ExprCheck(f"count(abs({spent} - {usd!r}) < {usd * 1e-6!r})", "20m", (("{}", 1.0),)),
                    _alerts(cost, "ModelWithoutPrice", 20, 0),
                ),
            )
        )
    pace = base.burn(cost)  # the steady traffic's burn rate, about 0.5
    burst = max(1, round(50 / pace))  # spend at about 50x the budget pace
    steady_over = max(1, round(3 / pace))  # about 3x: more than any sane max_overspend
    cases += [
        TestCase(
            f"cost: spending at {format_number(round(burst * pace))}x the budget pace pages",
            tuple(_traffic(cost, model, [(lead, 1), (60, burst)], base)),
            exprs=(_alerts(cost, "SpendBudgetBurn", lead, 0), _severity(cost, "SpendBudgetBurn", conv.SEVERITY_PAGE, lead + 45, 2)),
        ),
        TestCase(
            f"cost: spending at {format_number(round(steady_over * pace))}x the pace forecasts an overspend",
            tuple(_traffic(cost, model, [(60, steady_over)], base)),
            exprs=(_alerts(cost, "SpendForecastOverBudget", 10, 0), _alerts(cost, "SpendForecastOverBudget", 50, 1)),
        ),
    ]
    if cost.cost_counter is not None:
        del cases[2]  # an exporter's USD counter has no unpriced models (nor dated ones)
    cases += [_allocation_case(cost, model, base, a, lead) for a in cost.allocations]
    if cost.per_request_usd is not None:
        cases.append(
            TestCase(
                "cost: expensive requests are noticed",
                tuple(_traffic(cost, model, [(60, _expensive(cost, base))], base, requests_per_minute=1)),
                exprs=(_alerts(cost, "CostPerRequestHigh", 5, 0), _alerts(cost, "CostPerRequestHigh", 30, 1)),
            )
        )
    return cases
