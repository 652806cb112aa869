"""`slogen report slo`: each SLO's attainment over exactly a calendar range, from the raw counters.

Not from the rolling recordings: `sum(increase(counter[<range in seconds>]))` evaluated at the
range's end counts the events of exactly that range (increase() sees through counter resets and
scrape gaps, which only thin the samples it reads). Every SLO's counters go in one query per range,
each term tagged with a label naming its SLO and side, so a hundred SLOs cost the queries of one:
the range, the days (one range query for the run of 24-hour days, one instant query for a day a
change of clocks made shorter or longer), the raw ALERTS samples, and spend.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from generator import conventions as conv
from generator.durations import parse_seconds
from generator.promql import Matcher, Selector, alternation
from generator.resolve import HistogramSLI, RatioSLI, ResolvedService, ResolvedSLO
from generator.tools.calendar import Range
from generator.tools.promapi import Prometheus, Sample

TAG_SLO, TAG_SIDE = "slogen_slo", "slogen_side"
BAD, GOOD, TOTAL = "bad", "good", "total"
DAY = 86400
WORST_DAYS = 3


@dataclass(frozen=True)
class Incident:
    severity: str  # page or ticket
    start: float
    end: float
    tiers: tuple[str, ...]
    open_start: bool = False  # it was firing when the range began
    open_end: bool = False  # still firing when the range ended

    @property
    def seconds(self) -> float:
        return self.end - self.start


@dataclass(frozen=True)
class Day:
    day: date
    bad: float
    total: float

    @property
    def attainment(self) -> float | None:
        return None if self.total <= 0 else 1 - self.bad / self.total


@dataclass(frozen=True)
class SLOReport:
    service: str
    slo: str
    description: str
    objective: float  # percent
    bad: float
    total: float
    days: tuple[Day, ...]
    incidents: tuple[Incident, ...]

    @property
    def budget(self) -> float:
        return (100 - self.objective) / 100

    @property
    def attainment(self) -> float | None:
        return None if self.total <= 0 else 1 - self.bad / self.total

    @property
    def budget_spent(self) -> float | None:
        """Share of the range's error budget (its own events times the allowed share) spent."""
        if self.total <= 0:
            return None
        return self.bad / (self.budget * self.total) if self.budget > 0 else (math.inf if self.bad else 0.0)

    @property
    def met(self) -> bool | None:
        a = self.attainment
        return None if a is None else a * 100 >= self.objective - 1e-12

    def worst_days(self, n: int = WORST_DAYS) -> list[Day]:
        scored = [d for d in self.days if d.attainment is not None and d.bad > 0]
        return sorted(scored, key=lambda d: (d.attainment, d.day))[:n]

    def burn_down(self) -> list[tuple[date, float]]:
        """Budget left after each day: 1 - bad so far / the whole range's budget."""
        allowed = self.budget * self.total
        out, spent = [], 0.0
        for d in self.days:
            spent += d.bad
            out.append((d.day, 1 - spent / allowed if allowed > 0 else (1.0 if not spent else -math.inf)))
        return out

    def verdict(self) -> str:
        a = self.attainment
        if a is None:
            return "no data: no events of its SLI in the range (is the metric scraped, and was the service up?)"
        pages = sum(1 for i in self.incidents if i.severity == "page")
        tickets = len(self.incidents) - pages
        alerts = ", ".join(p for p in (_count(pages, "page"), _count(tickets, "ticket")) if p) or "no alerts"
        worst = self.worst_days(1)
        worst_text = f", worst day {worst[0].day.isoformat()} ({worst[0].attainment * 100:.3f}%)" if worst else ""
        spent = self.budget_spent or 0.0
        word = "met" if self.met else "MISSED"
        return f"{word}: {a * 100:.3f}% against {self.objective:g}%, {spent * 100:.1f}% of the error budget spent, {alerts}{worst_text}"


def _count(n: int, what: str) -> str:
    return f"{n} {what}{'s' if n != 1 else ''}" if n else ""


@dataclass(frozen=True)
class Spend:
    service: str
    spent_usd: float | None  # None: no cost data in the range
    budget_usd: float


@dataclass(frozen=True)
class Report:
    range: Range
    slos: tuple[SLOReport, ...]
    spend: tuple[Spend, ...] = field(default_factory=tuple)


def _sides(sli) -> tuple[tuple[str, Selector], ...]:  # noqa: ANN001 - an SLIQuery
    if isinstance(sli, RatioSLI):
        return ((BAD, sli.bad), (TOTAL, sli.total))
    assert isinstance(sli, HistogramSLI)
    return ((GOOD, sli.good), (TOTAL, sli.total))


def counts_query(slos: list[ResolvedSLO], seconds: int) -> str:
    """Events of every SLO's sides over the `seconds` before the evaluation time, each term tagged."""
    terms = []
    for i, slo in enumerate(slos):
        for side, selector in _sides(slo.sli):
            term = f"sum(increase({selector}[{seconds}s]))"
            term = f'label_replace({term}, "{TAG_SLO}", "{i}", "", "")'
            terms.append(f'label_replace({term}, "{TAG_SIDE}", "{side}", "", "")')
    return "\nor\n".join(terms)


def _counts(samples: list[Sample], n: int) -> list[tuple[float, float]]:
    """(bad, total) per SLO index; a side with no series counted nothing."""
    sides: dict[tuple[int, str], float] = {}
    for s in samples:
        if s.label(TAG_SLO).isdigit() and not math.isnan(s.value):
            sides[(int(s.label(TAG_SLO)), s.label(TAG_SIDE))] = s.value
    out = []
    for i in range(n):
        total = sides.get((i, TOTAL), 0.0)
        bad = sides[(i, BAD)] if (i, BAD) in sides else total - sides.get((i, GOOD), total)
        out.append((min(max(bad, 0.0), total), total))
    return out


def _day_runs(r: Range) -> list[list[tuple[date, float, float]]]:
    """Days as (day, start, end) in runs a range query can step through: 24-hour days back to back."""
    runs: list[list[tuple[date, float, float]]] = []
    for day, begin, end in r.days():
        item = (day, begin.timestamp(), end.timestamp())
        steady = item[2] - item[1] == DAY
        if steady and runs and len(runs[-1]) and runs[-1][-1][2] - runs[-1][-1][1] == DAY and runs[-1][-1][2] == item[1]:
            runs[-1].append(item)
        else:
            runs.append([item])
    return runs


def _daily(prometheus: Prometheus, slos: list[ResolvedSLO], r: Range) -> list[list[Day]]:
    n, per_slo = len(slos), [[] for _ in slos]
    calls = []
    for run in _day_runs(r):
        first, last = run[0], run[-1]
        seconds = round(first[2] - first[1])
        if len(run) == 1 or seconds != DAY:
            calls.append((run, lambda s=seconds, t=last[2]: [prometheus.query(counts_query(slos, s), at=t)]))
        else:
            calls.append((run, lambda a=first[2], b=last[2], k=len(run): _by_step(prometheus.query_range(counts_query(slos, DAY), a, b, DAY), a, k)))
    answers = prometheus.many([c for _, c in calls])
    for (run, _), steps in zip(calls, answers):
        for (day, _, _), samples in zip(run, steps):
            for i, (bad, total) in enumerate(_counts(samples, n)):
                per_slo[i].append(Day(day, bad, total))
    return per_slo


def _by_step(series: list, start: float, steps: int) -> list[list[Sample]]:
    """A range query's matrix as one vector per step."""
    out: list[list[Sample]] = [[] for _ in range(steps)]
    for s in series:
        for t, v in s.points:
            k = round((t - start) / DAY)
            if 0 <= k < steps:
                out[k].append(Sample(s.labels, v))
    return out


def incidents_query(slos: list[ResolvedSLO], seconds: int) -> str:
    names = sorted({s.burn_alert for s in slos})
    services = sorted({s.service for s in slos})
    selector = Selector(conv.ALERTS, (
        Matcher(conv.LABEL_ALERTSTATE, "=", conv.STATE_FIRING),
        Matcher(conv.LABEL_ALERTNAME, "=~", alternation(names)),
        Matcher(conv.LABEL_SERVICE, "=~", alternation(services)),
    ))
    return f"{selector}[{seconds}s]"


def incidents_of(slo: ResolvedSLO, series: list, r: Range) -> tuple[Incident, ...]:
    """Firing samples of the SLO's burn alert, per severity, joined while no more than two evaluations apart."""
    start, end = r.start.timestamp(), r.end.timestamp()
    by_severity: dict[str, list[tuple[float, str]]] = {}
    for s in series:
        if s.label(conv.LABEL_ALERTNAME) != slo.burn_alert or s.label(conv.LABEL_SLO) != slo.name or s.label(conv.LABEL_SERVICE) != slo.service:
            continue
        severity = s.label(conv.LABEL_SEVERITY)
        kind = "page" if severity == conv.SEVERITY_PAGE else "ticket" if severity == conv.SEVERITY_TICKET else severity
        by_severity.setdefault(kind, []).extend((t, s.label(conv.LABEL_TIER)) for t, _ in s.points)
    out = []
    for kind, points in by_severity.items():
        points.sort()
        # Samples come an evaluation apart (a backfilled history may be coarser than the spec's interval).
        gaps = [b[0] - a[0] for a, b in zip(points, points[1:]) if b[0] > a[0]]
        step = max(parse_seconds(slo.evaluation_interval), min(gaps, default=0))
        runs: list[list[tuple[float, str]]] = []
        for t, tier in points:
            if runs and t - runs[-1][-1][0] <= 2 * step:
                runs[-1].append((t, tier))
            else:
                runs.append([(t, tier)])
        for run in runs:
            first, last = run[0][0], run[-1][0]
            # Resolved at the first evaluation that no longer found it firing.
            out.append(Incident(kind, max(first, start), min(last + step, end), tuple(sorted({tier for _, tier in run if tier})),
                                open_start=first - step < start, open_end=last + step > end))
    return tuple(sorted(out, key=lambda i: (i.start, i.severity)))


def spend_query(service: ResolvedService, seconds: int) -> str | None:
    """USD over the range from the exporter's cost counter, or tokens by (model, type) to price with the spec's table."""
    cost = service.cost
    if cost is None:
        return None
    if cost.cost_counter is not None:
        return f"sum(increase({cost.cost_counter}[{seconds}s]))"
    by = {conv.LABEL_MODEL: cost.by.get(conv.LABEL_MODEL), cost.tokens.key: cost.by.get(cost.tokens.key, cost.tokens.label)}
    return f"({cost.tokens.rate(f'{seconds}s', by)}) * {seconds}"  # rate() over the range times its length: its increase


def priced(service: ResolvedService, samples: list[Sample]) -> float | None:
    """USD of the samples: the counter's value, or each (model, type)'s tokens at the spec's prices (else its default)."""
    cost = service.cost
    assert cost is not None
    if not samples:
        return None
    if cost.cost_counter is not None:
        return samples[0].value
    prices = {(m, t): p for m, t, p in cost.prices}
    defaults = dict(cost.default_prices)
    total = 0.0
    for s in samples:
        model, kind = s.label(conv.LABEL_MODEL), s.label(cost.tokens.key)
        total += s.value * prices.get((model, kind), defaults.get(kind, 0.0))
    return total


def _spend(prometheus: Prometheus, services: list[ResolvedService], r: Range) -> list[Spend]:
    wanted = [(s, q) for s in services if (q := spend_query(s, r.seconds)) is not None]
    answers = prometheus.many([lambda q=q: prometheus.query(q, at=r.end.timestamp()) for _, q in wanted])
    out = []
    for (service, _), samples in zip(wanted, answers):
        cost = service.cost
        assert cost is not None
        budget = cost.monthly_usd * r.months if r.months else cost.pace * r.seconds
        out.append(Spend(service.name, priced(service, samples), budget))
    return out


def build(prometheus: Prometheus, services: list[ResolvedService], r: Range) -> Report:
    slos = [slo for s in services for slo in s.slos]
    if not slos:
        return Report(r, ())
    end = r.end.timestamp()
    totals, alerts = prometheus.many([
        lambda: prometheus.query(counts_query(slos, r.seconds), at=end),
        lambda: prometheus.samples(incidents_query(slos, r.seconds), at=end),
    ])
    days = _daily(prometheus, slos, r)
    reports = [
        SLOReport(slo.service, slo.name, slo.description, float(slo.objective), bad, total, tuple(days[i]), incidents_of(slo, alerts, r))
        for i, (slo, (bad, total)) in enumerate(zip(slos, _counts(totals, len(slos))))
    ]
    return Report(r, tuple(reports), tuple(_spend(prometheus, services, r)))
