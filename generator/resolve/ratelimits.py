"""Rate-limit headroom of a service: the header gauges, the 429 counter and their thresholds."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from generator import conventions as conv
from generator.profiles import Profile
from generator.promql import Selector, matches
from generator.resolve.common import Gate, service_labels, signal_selector
from generator.spec.models import Spec


@dataclass(frozen=True)
class ResolvedRateLimits:
    """Rate-limit headroom of one service: the header gauges and the 429 counter, with thresholds."""

    service: str
    remaining: Selector
    limit: Selector
    requests: Selector
    throttled: Selector
    by: dict[str, str | None]  # canonical label -> the exporter's label name
    ok: dict[str, str]
    throttled_labels: dict[str, str]
    warning: Fraction
    critical: Fraction
    warning_for: str
    critical_for: str
    throttled_per_second: float
    throttled_for: str
    stale_after: str
    labels: dict[str, str]
    runbook_base: str


def budget_rate_limits(spec: Spec, profile: Profile, gate: Gate) -> ResolvedRateLimits | None:
    """Rate-limit headroom when it is on and the profile has the header gauges."""
    rl = spec.budgets.rate_limits
    if rl.enabled and gate.allows(
        "rate-limit headroom", ["ratelimit_remaining", "ratelimit_limit"], "rate_limits" in spec.budgets.model_fields_set, ("budgets", "rate_limits"),
        "set budgets.rate_limits.enabled: false to silence this",
    ):
        return resolve_rate_limits(spec, profile)
    return None


def resolve_rate_limits(spec: Spec, profile: Profile) -> ResolvedRateLimits:
    rl = spec.budgets.rate_limits
    requests = signal_selector(spec, profile, "requests")
    status = profile.label("requests", "status") or ""
    throttled = profile.outcome.throttled
    return ResolvedRateLimits(
        service=spec.service,
        remaining=signal_selector(spec, profile, "ratelimit_remaining"),
        limit=signal_selector(spec, profile, "ratelimit_limit"),
        requests=requests,
        throttled=requests.plus(matches(status, throttled or "429")),
        by={conv.LABEL_MODEL: profile.label("ratelimit_remaining", "model"), conv.LABEL_DIMENSION: profile.label("ratelimit_remaining", "dimension")},
        ok=profile.outcome_labels("200"),
        throttled_labels=profile.outcome_labels("429"),
        warning=Fraction(repr(rl.warning)) / 100,
        critical=Fraction(repr(rl.critical)) / 100,
        warning_for=rl.warning_for,
        critical_for=rl.critical_for,
        throttled_per_second=rl.throttled_per_second,
        throttled_for=rl.throttled_for,
        stale_after=rl.stale_after,
        labels=service_labels(spec),
        runbook_base=spec.links.runbooks,
    )
