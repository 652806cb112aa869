"""Spec -> resolved service: the profile applied, then each part resolved by its own module. Pure."""

from __future__ import annotations

import re

from dataclasses import dataclass

from generator import conventions as conv
from generator import profiles as prof
from generator.profiles import Profile, with_overrides
from generator.promql import Matcher
from generator.resolve.common import ResolveError, Gate, matchers
from generator.resolve.cost import ResolvedCost, budget_cost
from generator.resolve.failures import ResolvedFailures, resolve_failures
from generator.resolve.notifications import check_notifications
from generator.resolve.ratelimits import ResolvedRateLimits, budget_rate_limits
from generator.resolve.slos import ResolvedSLO, resolve_slo
from generator.resolve.thresholds import ResolvedThresholds, resolve_thresholds
from generator.spec.load import Problem
from generator.spec.models import Notifications, Spec


@dataclass(frozen=True)
class ResolvedService:
    name: str
    description: str
    scrape_interval: str
    profile: Profile
    slos: tuple[ResolvedSLO, ...]
    warnings: tuple[str, ...]
    notifications: Notifications
    namespace: str | None
    target: str
    kubernetes: dict[str, str] | None  # the PrometheusRule's labels when the spec asks for Kubernetes objects, else None
    rate_limits: ResolvedRateLimits | None
    cost: ResolvedCost | None
    thresholds: ResolvedThresholds
    selector: tuple[Matcher, ...] = ()  # the spec's matchers on every raw metric
    runbook_base: str = ""
    grafana_base: str | None = None
    failures: ResolvedFailures | None = None

    @property
    def dashboard_kinds(self) -> list[str]:
        """The dashboards with something to show: cost needs a cost budget, rate limits their rules."""
        skip = {"cost"} if self.cost is None else set()
        skip |= {"ratelimits"} if self.rate_limits is None else set()
        skip |= {"slos"} if not self.slos else set()
        return [k for k in conv.DASHBOARD_KINDS if k not in skip]


def resolve(spec: Spec) -> ResolvedService:
    """Turn a valid spec into what the compile stages need; ResolveError lists every problem found."""
    problems: list[Problem] = []
    warnings: list[str] = []
    m = spec.metrics
    if spec.target != "prometheus" and m.profile == "otel-genai" and m.naming == "utf8":
        problems.append(
            Problem(("metrics", "naming"), f"naming: utf8 needs Prometheus 3, and target {spec.target} reads escaped names; "
                    "use naming: collector (the Collector's and OTLP receivers' default escaping)")
        )
    if m.profile != "otel-genai":
        for key in ("naming", "provider"):
            if key in m.model_fields_set:
                problems.append(Problem(("metrics", key), f"`{key}` applies to the otel-genai profile only; remove it for profile {m.profile}"))
    profile = with_overrides(
        prof.profile(m.profile, m.naming),
        {k: v.model_dump(exclude_none=True) for k, v in m.signals.items()},
        m.labels.model_dump(),
    )
    slos = []
    seen: dict[str, str] = {}
    for i, slo in enumerate(spec.slos):
        # Alert names and runbook files keep only letters and digits, and some file systems ignore case.
        key = re.sub(r"[^a-z0-9]", "", slo.name.lower())
        if key in seen:
            twice = "is used twice" if seen[key] == slo.name else f"and {seen[key]!r} differ only in case or separators, so they would share alert names and runbooks"
            problems.append(Problem(("slos", i, "name"), f"SLO name {slo.name!r} {twice}; names must be unique"))
            continue
        seen[key] = slo.name
        try:
            slos.append(resolve_slo(spec, slo, profile, warnings))
        except ResolveError as exc:
            problems += [Problem(("slos", i, *p.path), p.message) for p in exc.problems]
    problems += check_notifications(spec.notifications)
    gate = Gate(profile, problems, warnings)
    cost = budget_cost(spec, profile, gate)
    rate_limits = budget_rate_limits(spec, profile, gate)
    thresholds = resolve_thresholds(spec, profile, slos, gate)
    failures = resolve_failures(spec, profile, gate)
    if problems:
        raise ResolveError(problems)
    return ResolvedService(
        name=spec.service,
        description=spec.description,
        scrape_interval=m.scrape_interval,
        profile=profile,
        slos=tuple(sorted(slos, key=lambda s: s.name)),
        warnings=tuple(warnings),
        notifications=spec.notifications,
        namespace=spec.kubernetes.namespace,
        target=spec.target,
        kubernetes=dict(spec.kubernetes.rule_labels) if "kubernetes" in spec.model_fields_set else None,
        rate_limits=rate_limits,
        cost=cost,
        thresholds=thresholds,
        selector=matchers(spec, profile),
        runbook_base=spec.links.runbooks,
        grafana_base=spec.links.grafana,
        failures=failures if failures.enabled else None,
    )
