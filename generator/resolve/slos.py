"""An SLO: objective, period, the burn-rate pairs that can fire, and its labels."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from fractions import Fraction

from generator import conventions as conv
from generator import windows as win
from generator.durations import format_number, parse_seconds
from generator.profiles import Profile
from generator.promql import Matcher, Selector
from generator.resolve.common import ResolveError, pick, service_labels
from generator.resolve.sli import SLIQuery, resolve_sli
from generator.spec.load import Problem
from generator.spec.models import SLO, Spec

DEFAULT_MIN_EVENTS = 5
DEFAULT_NODATA_FOR = "5m"


@dataclass(frozen=True)
class ResolvedSLO:
    service: str
    name: str
    description: str
    category: str
    objective: Fraction  # percent
    period: str
    period_seconds: int
    pairs: tuple[win.BurnPair, ...]
    sli: SLIQuery
    labels: dict[str, str]
    min_events: int
    nodata_for: str
    runbook_base: str
    evaluation_interval: str
    # group_by: (slogen's name, the exporter's label) of each label the SLO also alerts per value of
    group_by: tuple[tuple[str, str], ...] = ()

    @cached_property
    def budget(self) -> Fraction:
        """Allowed share of bad events, e.g. 0.005 for 99.5%."""
        return (100 - self.objective) / 100

    def pairs_of(self, severity: str) -> tuple[win.BurnPair, ...]:
        """The pairs of one severity, fastest first: the order ties are broken in."""
        return self._by_severity.get(severity, ())

    @cached_property
    def _by_severity(self) -> dict[str, tuple[win.BurnPair, ...]]:  # asked for by every alert and test of the SLO
        return {s: tuple(p for p in self.pairs if p.severity == s) for s in dict.fromkeys(p.severity for p in self.pairs)}

    @cached_property
    def objective_text(self) -> str:
        return format_number(float(self.objective))

    @property
    def windows(self) -> tuple[str, ...]:
        """Every window recorded: the alerts' windows, then the period."""
        names = {w for p in self.pairs for w in (p.long, p.short)} | {conv.RATE_BASE_WINDOW, "1h", self.period}
        return tuple(sorted(names, key=parse_seconds))

    @property
    def identity(self) -> dict[str, str]:
        """Labels that name this SLO's recordings."""
        return {conv.LABEL_SLO: self.name, conv.LABEL_SERVICE: self.service}

    @cached_property
    def identity_items(self) -> tuple[tuple[str, str], ...]:
        return tuple(self.identity.items())

    @cached_property
    def identity_matchers(self) -> str:
        """`{slo="...", service="..."}`: what every recording of this SLO is read by."""
        return str(Selector("", tuple(Matcher(k, "=", v) for k, v in self.identity_items)))

    @property
    def burn_alert(self) -> str:
        return conv.burn_alert(self.service, self.name)

    @property
    def nodata_alert(self) -> str:
        return conv.nodata_alert(self.service, self.name)

    @property
    def group_labels(self) -> tuple[str, ...]:
        """The labels the per-group rules carry (slogen's names)."""
        return tuple(name for name, _ in self.group_by)

    @property
    def group_alert(self) -> str:
        return conv.group_burn_alert(self.service, self.name, self.group_labels)

    @property
    def group_windows(self) -> tuple[str, ...]:
        """Windows recorded per group: the alerts' and their pieces, not the period (no per-group budget)."""
        return tuple(w for w in self.windows if w != self.period or any(w in (p.long, p.short) for p in self.pairs))


def resolve_slo(spec: Spec, slo: SLO, profile: Profile, warnings: list[str]) -> ResolvedSLO:
    period_seconds = int(parse_seconds(slo.window))
    catalog = win.catalogs().get(period_seconds)
    if catalog is None:
        raise ResolveError(
            [Problem(("window",), f"{slo.window!r} has no burn-rate window table; use one of {', '.join(win.supported_periods())}")]
        )
    objective = Fraction(repr(slo.objective))
    budget = (100 - objective) / 100
    page = pick(slo.alerting.page, spec.alerting.page, True)
    ticket = pick(slo.alerting.ticket, spec.alerting.ticket, True)
    pairs = []
    for pair in catalog.pairs:
        if not (page if pair.severity == conv.SEVERITY_PAGE else ticket):
            continue
        if pair.factor * budget >= 1:
            # A burn this fast needs more than 100% bad events: the pair could never fire.
            warnings.append(
                f"SLO {slo.name}: objective {format_number(float(objective))}% leaves a {format_number(float(budget * 100))}% budget; "
                f"the {pair.long}/{pair.short} {pair.severity} pair at {format_number(float(pair.factor))}x could never fire and is left out"
            )
            continue
        pairs.append(pair)
    if page and pick(slo.alerting.very_fast, spec.alerting.very_fast, True):
        pages = tuple(p for p in pairs if p.severity == conv.SEVERITY_PAGE)
        very_fast = win.very_fast_pair(catalog, budget, parse_seconds(spec.metrics.scrape_interval), pages)
        if very_fast is not None:
            pairs.insert(0, very_fast)
    sli, category = resolve_sli(spec, slo, profile)
    group_by = _group_by(slo, profile, sli)
    resolved = ResolvedSLO(
        service=spec.service,
        name=slo.name,
        description=slo.description,
        category=category,
        objective=objective,
        period=catalog.period,
        period_seconds=period_seconds,
        pairs=tuple(pairs),
        sli=sli,
        labels={**service_labels(spec), **slo.labels},
        min_events=pick(slo.alerting.min_events, spec.alerting.min_events, DEFAULT_MIN_EVENTS),
        nodata_for=pick(slo.alerting.nodata_for, spec.alerting.nodata_for, DEFAULT_NODATA_FOR),
        runbook_base=spec.links.runbooks,
        evaluation_interval=spec.metrics.evaluation_interval,
        group_by=group_by,
    )
    if group_by:
        warnings.append(group_note(resolved))
    return resolved


def group_note(slo: ResolvedSLO) -> str:
    """What each value of the group labels costs in series: the build says it, so a label's cardinality is a decision."""
    windows = len(slo.group_windows)
    conditions = sum(1 for s in (conv.SEVERITY_PAGE, conv.SEVERITY_TICKET) if len(slo.pairs_of(s)) > 1)
    severities = len({p.severity for p in slo.pairs})
    recorded = 3 * windows
    labels = " and ".join(slo.group_labels)
    return (
        f"SLO {slo.name}: group_by [{', '.join(slo.group_labels)}] adds per {labels} value {recorded} recorded series "
        f"({windows} windows x bad rate, total rate, ratio){f', {conditions} burn conditions while it burns' if conditions else ''} "
        f"and {len(slo.pairs)} alert rules' evaluations, at most {severities} firing alerts (one per severity); "
        f"20 values add {20 * recorded} series"
    )


def _group_by(slo: SLO, profile: Profile, sli: SLIQuery) -> tuple[tuple[str, str], ...]:
    """The exporter's label for each name of `group_by`, or a problem naming what the profile has."""
    signal = "requests" if slo.sli.availability is not None else slo.sli.latency.signal  # type: ignore[union-attr]
    carried = [n for n in conv.GROUPABLE_LABELS if profile.label(signal, n)]
    out = []
    for i, name in enumerate(slo.group_by):
        actual = profile.label(signal, name) if name in conv.GROUPABLE_LABELS else None
        if actual is None:
            if name in conv.GROUPABLE_LABELS:
                fix = f"export it and name its label under metrics.labels.{name}"
            elif name == "status":
                fix = f"the SLI already tells statuses apart ({sli.phrase}); group by {' or '.join(carried) or 'model'}"
            else:
                fix = f"group by a label slogen knows on {signal}: {', '.join(carried) or 'none in this profile'}"
            raise ResolveError(
                [Problem(("group_by", i), f"profile {profile.name} carries no {name!r} label on its {signal} metric that slogen can group by; {fix}")]
            )
        out.append((name, actual))
    return tuple(out)
