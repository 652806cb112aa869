"""The cost budget of a service: prices, the monthly pace, allocations."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from generator import conventions as conv
from generator import windows as win
from generator.profiles import Profile
from generator.promql import Selector, Source
from generator.resolve.common import labels_by, percent_share, Gate, service_labels, signal_selector, token_source
from generator.spec.load import Problem
from generator.spec.models import Spec

TOKEN_TYPES = ("input", "output", "cache_write", "cache_read")


@dataclass(frozen=True)
class Allocation:
    """Part of the spend (some features) with a budget of its own."""

    name: str
    features: tuple[str, ...]
    monthly_usd: float
    max_overspend: Fraction
    labels: dict[str, str]

    @property
    def pace(self) -> float:
        return self.monthly_usd / (30 * 86400)


@dataclass(frozen=True)
class ResolvedCost:
    """Money as an SLO: spend per second against the pace that spends the monthly budget in 30 days."""

    service: str
    tokens: Source
    cost_counter: Selector | None  # the exporter's USD counter, when the spec chose it
    requests: Selector
    by: dict[str, str | None]  # canonical label -> the exporter's label name (None: it has none)
    ok: dict[str, str]  # the labels of a successful request, for test input
    prices: tuple[tuple[str, str, float], ...]  # (model, token type, USD per token)
    default_prices: tuple[tuple[str, float], ...]  # (token type, USD per token)
    monthly_usd: float
    max_overspend: Fraction
    per_request_usd: float | None
    anomaly_factor: float
    pairs: tuple[win.BurnPair, ...]
    labels: dict[str, str]
    runbook_base: str
    allocations: tuple[Allocation, ...] = ()

    @property
    def pace(self) -> float:
        """USD per second that spends exactly the monthly budget in 30 days."""
        return self.monthly_usd / (30 * 86400)


def budget_cost(spec: Spec, profile: Profile, gate: Gate) -> ResolvedCost | None:
    """The cost budget when the spec sets one and the profile can measure it; problems and warnings go to the gate."""
    problems, warnings = gate.problems, gate.warnings
    cost = None
    if spec.budgets.cost is not None:
        budget = spec.budgets.cost
        at = ("budgets", "cost")
        if budget.source == "tokens" and spec.pricing is None:
            problems.append(Problem(at, "cost from tokens needs a `pricing` table; add one, or set `source: counter` if the exporter counts USD"))
        needs = ["cost"] if budget.source == "counter" else ["tokens"]
        if budget.source == "tokens" and profile.has("tokens") and profile.signals["tokens"].input_includes_cache and not token_source(spec, profile).within:
            warnings.append(
                f"profile {profile.name} counts cache reads and writes inside input tokens in one counter, so cost from tokens "
                "prices them twice; set budgets.cost.source: counter to use the exporter's own spend"
            )
        if gate.allows(f"cost from {'the USD counter' if budget.source == 'counter' else 'tokens'}", needs, True, (*at, "source")):
            if budget.allocations and profile.label("tokens", conv.LABEL_FEATURE) is None:
                problems.append(
                    Problem((*at, "allocations"), f"profile {profile.name} has no feature label, so spend cannot be split by feature; "
                            "set metrics.labels.feature to the label that holds it, or remove the allocations")
                )
            cost = resolve_cost(spec, profile)
    return cost


def resolve_cost(spec: Spec, profile: Profile) -> ResolvedCost:
    budget = spec.budgets.cost
    assert budget is not None
    prices: list[tuple[str, str, float]] = []
    defaults: list[tuple[str, float]] = []
    if spec.pricing is not None:
        for model, price in sorted(spec.pricing.models.items()):
            prices += [(model, t, getattr(price, t) / 1e6) for t in TOKEN_TYPES]
        fallback = spec.pricing.default
        defaults = [
            (t, (getattr(fallback, t) if fallback else max(getattr(p, t) for p in spec.pricing.models.values())) / 1e6)
            for t in TOKEN_TYPES
        ]
    counter = budget.source == "counter"
    return ResolvedCost(
        service=spec.service,
        tokens=token_source(spec, profile) if not counter else Source((), conv.LABEL_TOKEN_TYPE),
        cost_counter=signal_selector(spec, profile, "cost") if counter else None,
        requests=signal_selector(spec, profile, "requests"),
        by=labels_by(profile, "cost" if counter else "tokens", conv.LABEL_MODEL, conv.LABEL_FEATURE, conv.LABEL_TOKEN_TYPE),
        ok=profile.outcome_labels("200"),
        prices=tuple(prices),
        default_prices=tuple(defaults),
        monthly_usd=budget.monthly_usd,
        max_overspend=percent_share(budget.max_overspend),
        per_request_usd=budget.per_request_usd,
        anomaly_factor=budget.anomaly_factor,
        pairs=win.catalogs()[30 * 86400].pairs,
        labels=service_labels(spec),
        runbook_base=spec.links.runbooks,
        allocations=tuple(
            Allocation(
                name=name,
                features=tuple(a.features or (name,)),
                monthly_usd=a.monthly_usd,
                max_overspend=percent_share(a.max_overspend if a.max_overspend is not None else budget.max_overspend),
                labels=dict(a.labels),
            )
            for name, a in sorted(budget.allocations.items())
        ),
    )
