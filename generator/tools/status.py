"""`slogen status`: how every SLO of a spec is doing now, read from the bundle's recordings.

Pure stages: `queries` (one per recording family, never one per SLO: a hundred SLOs cost the same
five queries as one), `rows` (the answers joined to the spec's SLOs, worst first), `table`/`as_json`.
A row is one SLO, or one group of it: the labels a series carries beyond `slo` and `service`
(none today) name the group, so grouped SLOs get a row per group without another query.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

from generator import conventions as conv
from generator.promql import Matcher, Selector, alternation
from generator.resolve import ResolvedService, ResolvedSLO
from generator.tools.promapi import Labels, Prometheus, PrometheusError, Sample

BURN_WINDOWS = ("1h", "6h")
NOT_GROUP = frozenset({"__name__", conv.LABEL_SLO, conv.LABEL_SERVICE})


@dataclass(frozen=True)
class Queries:
    objective: str
    remaining: str
    burns: tuple[tuple[str, str], ...]  # (window, query)
    alerts: str


def queries(services: Iterable[ResolvedService]) -> Queries:
    """Each family once, for every SLO of the spec's services (and nobody else's)."""
    names = sorted({s.name for s in services})
    only = Matcher(conv.LABEL_SERVICE, "=~", alternation(names))

    def of(metric: str, *more: Matcher) -> str:
        return str(Selector(metric, (*more, only)))

    return Queries(
        objective=of(conv.OBJECTIVE),
        remaining=of(conv.BUDGET_REMAINING),
        burns=tuple((w, of(conv.sli_error_ratio(w))) for w in BURN_WINDOWS),
        alerts=of(conv.ALERTS, Matcher(conv.LABEL_ALERTSTATE, "=", conv.STATE_FIRING)),
    )


@dataclass(frozen=True)
class Answers:
    objective: list[Sample]
    remaining: list[Sample]
    burns: dict[str, list[Sample]]
    alerts: list[Sample]


def fetch(prometheus: Prometheus, q: Queries, at: float | None = None) -> Answers:
    calls = [lambda e=expr: prometheus.query(e, at) for expr in (q.objective, q.remaining, q.alerts)]
    calls += [lambda e=expr: prometheus.query(e, at) for _, expr in q.burns]
    objective, remaining, alerts, *burns = prometheus.many(calls)
    return Answers(objective, remaining, {w: b for (w, _), b in zip(q.burns, burns)}, alerts)


@dataclass(frozen=True)
class Row:
    service: str
    slo: str
    group: Labels  # the group's labels; () for an SLO without groups
    objective: float  # percent, as loaded in Prometheus
    period: str
    sli: float | None  # good share over the period; None without data
    budget_left: float | None  # share of the period's error budget left (negative: overspent)
    burn: dict[str, float | None] = field(default_factory=dict)  # window -> burn rate
    exhausted_in: float | None = None  # seconds until the budget is gone at the 1h burn; inf: never
    firing: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        group = ",".join(f"{k}={v}" for k, v in self.group)
        return f"{self.service}/{self.slo}" + (f"{{{group}}}" if group else "")


def _key(sample: Sample) -> tuple[str, str]:
    return sample.label(conv.LABEL_SERVICE), sample.label(conv.LABEL_SLO)


def _group(sample: Sample) -> Labels:
    return tuple((k, v) for k, v in sample.labels if k not in NOT_GROUP)


def _index(samples: list[Sample]) -> dict[tuple[str, str], dict[Labels, float]]:
    out: dict[tuple[str, str], dict[Labels, float]] = {}
    for s in samples:
        out.setdefault(_key(s), {})[_group(s)] = s.value
    return out


def rows(services: Iterable[ResolvedService], answers: Answers, url: str) -> tuple[list[Row], list[str]]:
    """(rows worst first, warnings); a PrometheusError when the bundle's rules are not loaded."""
    services = list(services)
    objective, remaining = _index(answers.objective), _index(answers.remaining)
    burns = {w: _index(b) for w, b in answers.burns.items()}
    missing = [f"{s.name}/{slo.name}" for s in services for slo in s.slos if (s.name, slo.name) not in objective]
    if missing:
        raise PrometheusError(
            f"{url}: no {conv.OBJECTIVE} series for {', '.join(missing)}: the bundle's rules are not loaded in this Prometheus "
            f"(load out/{conv.rules_file('<service>')} or its PrometheusRule, then reload; a rule file changed since needs `slogen build` and a reload)"
        )
    warnings: list[str] = []
    out: list[Row] = []
    for service in services:
        for slo in service.slos:
            key = (service.name, slo.name)
            loaded = next(iter(objective[key].values()))
            if not math.isclose(loaded * 100, float(slo.objective), rel_tol=0, abs_tol=1e-9):
                warnings.append(f"{service.name}/{slo.name}: Prometheus has objective {loaded * 100:g}%, the spec {slo.objective_text}%: "
                                "the loaded rules are from another version of the spec; rebuild and reload them")
            for group in sorted(remaining.get(key) or {(): math.nan}):
                out.append(_row(slo, group, loaded, remaining.get(key, {}).get(group), burns, answers.alerts))
    return sorted(out, key=_worst_first), warnings


def _row(slo: ResolvedSLO, group: Labels, objective: float, left: float | None, burns: dict, alerts: list[Sample]) -> Row:
    budget = 1 - objective
    left = None if left is None or math.isnan(left) else left
    burn: dict[str, float | None] = {}
    for window, index in burns.items():
        ratio = index.get((slo.service, slo.name), {}).get(group)
        burn[window] = None if ratio is None or math.isnan(ratio) or budget <= 0 else ratio / budget
    return Row(
        service=slo.service,
        slo=slo.name,
        group=group,
        objective=objective * 100,
        period=slo.period,
        sli=None if left is None else 1 - (1 - left) * budget,
        budget_left=left,
        burn=burn,
        exhausted_in=exhaustion(left, burn.get("1h"), slo.period_seconds),
        firing=_firing(slo, group, alerts),
    )


def exhaustion(left: float | None, burn: float | None, period_seconds: int) -> float | None:
    """Seconds until the budget left is spent at `burn` (1 spends a whole budget in one period)."""
    if left is not None and left <= 0:
        return 0.0
    if left is None or burn is None:
        return None
    return math.inf if burn <= 0 else left * period_seconds / burn


def _firing(slo: ResolvedSLO, group: Labels, alerts: list[Sample]) -> tuple[str, ...]:
    found = set()
    for a in alerts:
        if _key(a) != (slo.service, slo.name) or any(a.label(k) != v for k, v in group):
            continue
        name, severity = a.label(conv.LABEL_ALERTNAME), a.label(conv.LABEL_SEVERITY)
        if name == slo.burn_alert:
            kind = "page" if severity == conv.SEVERITY_PAGE else "ticket" if severity == conv.SEVERITY_TICKET else severity
            tier = a.label(conv.LABEL_TIER)
            found.add(f"{kind} ({tier})" if tier else kind)
        elif name == slo.nodata_alert:
            found.add("SLI absent")
    return tuple(sorted(found))


def _worst_first(row: Row) -> tuple:
    left = -math.inf if row.budget_left is None else row.budget_left  # no data: nothing proves it healthy
    return (left, row.service, row.slo, row.group)


def below(rows_: list[Row], percent: float) -> list[Row]:
    """Rows whose budget left is under `percent`, or unknown."""
    return [r for r in rows_ if r.budget_left is None or r.budget_left * 100 < percent]


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    if math.isinf(seconds):
        return "never"
    if seconds <= 0:
        return "exhausted"
    minutes = int(seconds // 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if days:
        return f"{days}d {hours}h"
    return f"{hours}h {mins}m" if hours else f"{mins}m"


def _percent(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value * 100:.{digits}f}%"


def _burn(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}x"


HEADER = ("SLO", "objective", "SLI (period)", "budget left", "burn 1h", "burn 6h", "budget gone in", "firing")


def table(rows_: list[Row]) -> str:
    body = [
        (r.name, f"{r.objective:g}%", f"{_percent(r.sli)} {r.period}" if r.sli is not None else "no data", _percent(r.budget_left, 1),
         _burn(r.burn.get("1h")), _burn(r.burn.get("6h")), duration(r.exhausted_in), ", ".join(r.firing) or "-")
        for r in rows_
    ]
    widths = [max(len(line[i]) for line in (HEADER, *body)) for i in range(len(HEADER))]

    def fmt(line: tuple[str, ...]) -> str:
        return "  ".join(c.ljust(w) if i in (0, 7) else c.rjust(w) for i, (c, w) in enumerate(zip(line, widths))).rstrip()

    return "\n".join([fmt(HEADER), *(fmt(line) for line in body)])


def as_json(rows_: list[Row]) -> list[dict]:
    def number(value: float | None) -> float | None:
        return None if value is None or math.isinf(value) else round(value, 9)

    return [
        {
            "service": r.service, "slo": r.slo, "group": dict(r.group), "objective_percent": r.objective, "period": r.period,
            "sli": number(r.sli), "budget_left": number(r.budget_left), "burn_rate": {w: number(b) for w, b in r.burn.items()},
            "budget_exhausted_in_seconds": number(r.exhausted_in), "budget_never_exhausted": r.exhausted_in is not None and math.isinf(r.exhausted_in),
            "firing": list(r.firing),
        }
        for r in rows_
    ]


def status(services: list[ResolvedService], prometheus: Prometheus, at: float | None = None) -> tuple[list[Row], list[str]]:
    """Rows as of `at` (unix seconds; now when None)."""
    return rows(services, fetch(prometheus, queries(services), at), prometheus.url)
