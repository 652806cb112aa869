"""promtool unit tests for every generated alert, from synthetic traffic and the burn model.

Each scenario is minute-by-minute traffic; the model (generator.burnmodel) says when each
window pair must be firing or silent, and only those certain verdicts become assertions.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import math
import re
from dataclasses import dataclass

from generator import conventions as conv
from generator import promql as q
from generator import stencil
from generator.compile import alert_rules
from generator.burnmodel import Model, Shape, State, Traffic, outage_detection_minutes
from generator.durations import format_number, parse_seconds
from generator.errors import SlogenError
from generator.ir import AlertCheck, AlertingRule, ExprCheck, Filled, RuleTestFile, Series, TestCase
from generator.profiles import Profile
from generator.resolve import HistogramSLI, RatioSLI, ResolvedService, ResolvedSLO
from generator.windows import BurnPair

RATE = 600  # requests per minute in every scenario but the low-traffic one
HEALTHY_LEAD = 180  # minutes of clean traffic before a fault, so long windows hold history
CHECK_EVERY = 30


class ScenarioError(SlogenError):
    """A scenario did not behave as designed: a bug in slogen's math, never a user mistake."""


@dataclass(frozen=True)
class Scenario:
    name: str
    traffic: Traffic
    ends_at: int | None = None  # minute of the last sample, when the metrics vanish


def build(service: ResolvedService, alerts_of: Callable[[ResolvedSLO], list[AlertingRule]]) -> RuleTestFile:
    reads = [slo.sli.metrics for slo in service.slos]
    cases = [_slo_cases(service, slo, alerts_of) for slo in service.slos]
    # zip(*cases): the first scenario of every SLO, then the second, ...
    tests = [case for scenario in zip(*cases) for case in _pack(list(zip(reads, scenario)))]
    return RuleTestFile(rule_files=(f"../rules/{conv.rules_file(service.name).name}",), tests=tuple(tests))


def _slo_cases(service: ResolvedService, slo: ResolvedSLO, alerts_of: Callable[[ResolvedSLO], list[AlertingRule]]) -> list[TestCase]:
    """One SLO's scenarios; an SLO of a shared shape gets its shape's with its own text filled in (generator.stencil)."""
    try:
        shaped = stencil.once(service, slo, _alerted_cases, alerts_of)
    except ScenarioError as exc:  # it names the stand-in
        raise ScenarioError(stencil.fill(str(exc), stencil.slots(slo))) from None
    if shaped is None:
        return _alerted_cases(service, slo, alerts_of)
    cases, slots = shaped
    return [
        TestCase(
            name=stencil.fill(case.name, slots),
            series=case.series,  # traffic: the same for every SLO of the shape
            exprs=(Filled(case.exprs, slots),) if case.exprs else (),
            alerts=(Filled(case.alerts, slots),) if case.alerts else (),
            interval=case.interval,
        )
        for case in cases
    ]


def _alerted_cases(service: ResolvedService, slo: ResolvedSLO, alerts_of: Callable[[ResolvedSLO], list[AlertingRule]]) -> list[TestCase]:
    return _cases(service, slo, alerts_of(slo))


def _cases(service: ResolvedService, slo: ResolvedSLO, rules: list[AlertingRule]) -> list[TestCase]:
    """One SLO's scenarios, always the same kinds in the same order."""
    reads = _reads(slo, rules)
    try:
        plans = _plans(Shape.of(slo))
    except ScenarioError as exc:
        raise ScenarioError(f"SLO {slo.name}, {exc}") from None
    return [
        *(_timeline(service, slo, reads, plan) for plan in plans),
        _annotations(service, slo, rules),
        _nodata(service, slo, rules),
        _classification(service, slo),
    ]


# --- packing ------------------------------------------------------------------------------------
# promtool evaluates every rule group of the file at every step of every test case, so one case per
# SLO and scenario costs SLOs x SLOs: ten SLOs took minutes, a thousand would take months. Cases of
# the same scenario share one test case whenever no SLO in it can see another's series: either
# their input is the very same series, or they read disjoint metrics. Each SLO then sees exactly the
# input it would see alone, so every check keeps its meaning, and the cost grows linearly.

MAX_NAMED = 3


def _pack(cases: list[tuple[frozenset[str], TestCase]]) -> list[TestCase]:
    """Cases with the metrics their SLO reads (every series of a case is of one of them) -> shared cases."""
    same: dict[tuple[Series, ...], tuple[set[str], list[TestCase]]] = {}
    for reads, case in cases:
        metrics, members = same.setdefault(case.series, (set(), []))
        metrics |= reads
        members.append(case)
    bins: list[tuple[set[str], list[TestCase]]] = []
    for metrics, members in same.values():
        home = next((b for b in bins if b[0].isdisjoint(metrics)), None)
        if home is None:
            bins.append((set(metrics), list(members)))
        else:
            home[0].update(metrics)
            home[1].extend(members)
    return [_merged(members) for _, members in bins]


def _merged(members: list[TestCase]) -> TestCase:
    if len(members) == 1:
        return members[0]
    return TestCase(
        name=_merged_name(members),
        series=tuple(dict.fromkeys(s for m in members for s in m.series)),
        exprs=tuple(c for m in members for c in m.exprs),
        alerts=tuple(c for m in members for c in m.alerts),
    )


def _merged_name(members: list[TestCase]) -> str:
    """`outage: a, b, c and 7 more SLOs`."""
    by_scenario: dict[str, list[str]] = {}
    for m in members:
        slo, scenario = conv.test_case_parts(m.name)
        by_scenario.setdefault(scenario, []).append(slo)
    parts = []
    for scenario, slos in by_scenario.items():
        hidden = len(slos) - MAX_NAMED
        more = f" and {hidden} more SLO{'s' if hidden > 1 else ''}" if hidden > 0 else ""
        parts.append(conv.test_case_name(scenario, f"{', '.join(slos[:MAX_NAMED])}{more}"))
    return "; ".join(parts)


# --- scenarios ----------------------------------------------------------------------------------


def _outage(slo: Shape) -> Scenario:
    detect = min((outage_detection_minutes(slo, p) for p in slo.pairs), default=30)
    return Scenario("full outage after healthy traffic", Traffic.of([(HEALTHY_LEAD, RATE, 0), (math.ceil(detect * 1.3) + 10, RATE, RATE)]))


def _volume(share: float, rounding=round) -> tuple[int, int]:
    """(requests, bad requests) per minute close to `share`, with enough bad ones that rounding stays small."""
    total = RATE * max(1, math.ceil(50 / (share * RATE))) if share > 0 else RATE
    return total, min(total, int(rounding(share * total)))


def _slow_burn(slo: Shape) -> Scenario:
    page = [float(p.factor) for p in slo.pairs if p.severity == conv.SEVERITY_PAGE]
    ticket = [float(p.factor) for p in slo.pairs if p.severity == conv.SEVERITY_TICKET] or [1.0]
    burn = math.sqrt(max(ticket) * min(page)) if page else 2 * max(ticket)
    total, bad = _volume(min(1.0, burn * float(slo.budget)))
    label = format_number(round(bad / total / float(slo.budget), 2))
    return Scenario(f"slow burn at {label}x", Traffic.of([(120, total, 0), (600, total, bad)]))


def _under_budget(slo: Shape) -> Scenario:
    lowest = min((float(p.factor) for p in slo.pairs), default=1.0)
    total, bad = _volume(0.85 * min(lowest, 1.0) * float(slo.budget), math.floor)
    return Scenario("steady burn just under budget pace", Traffic.of([(150, total, bad)]))


def _single_failure() -> Scenario:
    return Scenario("one failure at 2 requests per minute", Traffic.of([(90, 2, 0), (1, 2, 1), (60, 2, 0)]))


# --- traffic -> series --------------------------------------------------------------------------


@lru_cache(maxsize=256)  # every SLO of a spec plays the same traffic
def _counter_values(increments: tuple[int, ...], ends_at: int | None = None) -> str:
    """promtool's expanding notation for a counter: runs of equal steps become `start+stepxN`."""
    values = []
    total = 0
    for inc in increments:
        total += inc
        values.append(total)
    if ends_at is not None:
        values = values[: ends_at + 1]
    parts, i = [], 0
    while i < len(values):
        j = i
        step = values[i + 1] - values[i] if i + 1 < len(values) else 0
        while j + 1 < len(values) and values[j + 1] - values[j] == step:
            j += 1
        parts.append(f"{values[i]}+{step}x{j - i}" if j > i else f"{values[i]}")
        i = j + 1
    return " ".join(parts)


def _render_series(metric: str, labels: dict[str, str]) -> str:
    return q.series(q.Selector(metric), labels)


def _status_values(slo: ResolvedSLO, profile: Profile) -> tuple[str, str, str | None]:
    """A good status, a bad status and an excluded one (if any), as the SLI classifies them."""
    sli = slo.sli
    assert isinstance(sli, RatioSLI)
    status = _status_label(profile)
    # The exporter's spelling of these statuses, then the statuses as written (a user's good_status may name either).
    codes = ["200", "201", "204", "500", "502", "503", "529", "429", "timeout", "400", "404"]
    spelled = tuple(dict.fromkeys([*map(profile.outcome.spell, codes), *codes, "ok", "error"]))
    good, bad, excluded = _classify(sli.total, sli.bad, status, spelled)
    if good is None or bad is None:
        raise ScenarioError(f"SLO {slo.name}: cannot pick status values for tests from its status matchers {sli.bad}")
    return good, bad, excluded


@lru_cache(maxsize=256)  # SLOs of a spec share a few status matchers; the regular expressions are the cost
def _classify(total: q.Selector, bad: q.Selector, status: str, spelled: tuple[str, ...]) -> tuple[str | None, str | None, str | None]:
    counted = [c for c in spelled if total.admits(status, c)]
    return (
        next((c for c in counted if not bad.admits(status, c)), None),
        next((c for c in counted if bad.admits(status, c)), None),
        next((c for c in spelled if not total.admits(status, c)), None),
    )


def _status_label(profile: Profile) -> str:
    label = profile.label("requests", "status")
    assert label is not None  # resolve refuses an availability SLO without one
    return label


def _dims(profile: Profile, model: str, feature: str) -> dict[str | None, str]:
    return {profile.label("requests", "model"): model, profile.label("requests", "feature"): feature}


def _series(service: ResolvedService, slo: ResolvedSLO, traffic: Traffic, ends_at: int | None = None) -> tuple[Series, ...]:
    profile = service.profile
    dims = tuple(_dims(profile, "claude-sonnet-4-6", "chat").items())
    sli = slo.sli
    if isinstance(sli, RatioSLI):
        good, bad, _ = _status_values(slo, profile)
        return _ratio_series(sli.total, dims, _status_label(profile), good, bad, traffic, ends_at)
    assert isinstance(sli, HistogramSLI)
    return _histogram_series(sli.total, sli.good.metric, sli.threshold, dims, traffic, ends_at)


@lru_cache(maxsize=1024)  # SLOs of one shape read the same series: build them once
def _ratio_series(
    total: q.Selector, dims: tuple, status: str, good: str, bad: str, traffic: Traffic, ends_at: int | None
) -> tuple[Series, ...]:
    return (
        Series(q.series(total, {**dict(dims), status: good}), _counter_values(traffic.good, ends_at)),
        Series(q.series(total, {**dict(dims), status: bad}), _counter_values(traffic.bad, ends_at)),
    )


@lru_cache(maxsize=1024)
def _histogram_series(total: q.Selector, good_metric: str, threshold: str, dims: tuple, traffic: Traffic, ends_at: int | None) -> tuple[Series, ...]:
    le = format_number(parse_seconds(threshold))
    buckets = total.renamed(good_metric)
    return (
        Series(q.series(buckets, {**dict(dims), "le": le}), _counter_values(traffic.good, ends_at)),
        Series(q.series(buckets, {**dict(dims), "le": "+Inf"}), _counter_values(traffic.total, ends_at)),
        Series(q.series(total, dict(dims)), _counter_values(traffic.total, ends_at)),
    )


# --- assertions ---------------------------------------------------------------------------------


def _alerts_query(rule: AlertingRule, extra: dict[str, str] | None = None) -> str:
    match = {conv.LABEL_ALERTNAME: rule.alert, conv.LABEL_ALERTSTATE: conv.STATE_FIRING, **{k: rule.labels[k] for k in (conv.LABEL_LONG_WINDOW, conv.LABEL_SHORT_WINDOW) if k in rule.labels}}
    return q.exact(conv.ALERTS, {**match, **(extra or {})})


def _alerts_sample(rule: AlertingRule, extra: dict[str, str] | None = None) -> str:
    labels = {conv.LABEL_ALERTNAME: rule.alert, conv.LABEL_ALERTSTATE: conv.STATE_FIRING, **rule.labels, **(extra or {})}
    return _render_series(conv.ALERTS, labels)


def _minutes(t: int) -> str:
    return f"{t}m"


# What a timeline check queries: the count of a severity's firing alerts, one pair's alert, or the no-data alert.
Ref = str | BurnPair | None


@dataclass(frozen=True)
class _Reads:
    """What an SLO's timeline checks query, built once for all its scenarios."""

    pair: dict[BurnPair, tuple[str, str]]  # the ALERTS query of the pair's rule, and the series it returns when firing
    count: dict[str, str]  # per severity of several pairs: how many of its alerts fire
    nodata: str

    def query(self, ref: Ref) -> tuple[str, str]:
        """The query and the series it returns when one alert fires."""
        if ref is None:
            return self.nodata, ""
        if isinstance(ref, str):
            return self.count[ref], ""  # count() has no labels
        return self.pair[ref]


def _reads(slo: ResolvedSLO, rules: list[AlertingRule]) -> _Reads:
    burn = {(r.labels[conv.LABEL_LONG_WINDOW], r.labels[conv.LABEL_SHORT_WINDOW]): r for r in rules if conv.LABEL_LONG_WINDOW in r.labels}
    rule_of = {p: burn[(p.long, p.short)] for p in slo.pairs}
    nodata = next(r for r in rules if r.alert == slo.nodata_alert)
    return _Reads(
        pair={p: (_alerts_query(r), _alerts_sample(r)) for p, r in rule_of.items()},
        count={s: _count_query(slo, s) for s in (conv.SEVERITY_PAGE, conv.SEVERITY_TICKET) if len(slo.pairs_of(s)) > 1},
        nodata=_alerts_query(nodata),
    )


@dataclass(frozen=True)
class _Plan:
    """One scenario's checks, the same for every SLO of a shape: (minute, what it queries, whether one alert fires)."""

    scenario: Scenario
    checks: tuple[tuple[int, Ref, bool], ...]


@lru_cache(maxsize=256)  # a spec's SLOs come in a few shapes: the burn model runs once for each
def _plans(shape: Shape) -> tuple[_Plan, ...]:
    decided = shape.min_events >= 2
    return (
        _plan(shape, _outage(shape), expect_page=True),
        _plan(shape, _slow_burn(shape), expect_ticket=True, expect_page=False),
        _plan(shape, _under_budget(shape), expect_page=False, expect_ticket=False),
        _plan(shape, _single_failure(), expect_page=False if decided else None, expect_ticket=False if decided else None),
    )


def _plan(shape: Shape, scenario: Scenario, expect_page: bool | None = None, expect_ticket: bool | None = None) -> _Plan:
    model = Model(shape, scenario.traffic)
    end = scenario.traffic.minutes
    checks: list[tuple[int, Ref, bool]] = []
    for severity, expected in ((conv.SEVERITY_PAGE, expect_page), (conv.SEVERITY_TICKET, expect_ticket)):
        pairs = shape.pairs_of(severity)
        if not pairs:
            continue
        fired = _tier_checks(severity, pairs, tuple(model.states(p) for p in pairs), end, checks, scenario.name)
        if expected is not None and fired != expected:
            raise ScenarioError(f"{scenario.name}: the {severity} tier {'did not fire' if expected else 'fired'}")
    checks.append((end, None, False))
    return _Plan(scenario, tuple(checks))


def _timeline(service: ResolvedService, slo: ResolvedSLO, reads: _Reads, plan: _Plan) -> TestCase:
    # By time, then query: no two checks of a timeline share both.
    checks = sorted((minute, *reads.query(ref), fires) for minute, ref, fires in plan.checks)
    return TestCase(
        name=conv.test_case_name(slo.name, plan.scenario.name),
        series=_series(service, slo, plan.scenario.traffic),
        exprs=tuple(ExprCheck(query, _minutes(minute), ((sample, 1.0),) if fires else ()) for minute, query, sample, fires in checks),
    )


def _tier_checks(
    severity: str, pairs: tuple[BurnPair, ...], states: tuple[tuple[State, ...], ...],
    end: int, checks: list[tuple[int, Ref, bool]], scenario: str,
) -> bool:
    """Checks for one severity's alerts; True when the tier fires.

    The severity fires while any of its pairs does; the latch makes that exactly one alert, so the
    test counts them. Which pair holds it is asserted where the model leaves no doubt: that pair
    fires first while every other pair of the severity is certainly silent up to then."""
    first_fire, last_silent, silent, holds_at_end, owner = _tier_plan(states)
    query: Ref = severity if len(pairs) > 1 else pairs[0]
    if first_fire is None:
        if not silent:
            raise ScenarioError(f"{scenario}: the {severity} tier is never decided")
        checks += [(t, query, False) for t in silent]
        return False
    if last_silent is not None:
        checks.append((last_silent, query, False))
    checks.append((first_fire, query, True))
    if holds_at_end and end != first_fire:
        checks.append((end, query, True))  # still one alert once the slower pairs catch up
    if len(pairs) > 1 and owner is not None:
        checks.append((first_fire, pairs[owner], True))
    return True


@lru_cache(maxsize=4096)  # SLOs of the same shape get the same states
def _tier_plan(states: tuple[tuple[State, ...], ...]) -> tuple[int | None, int | None, tuple[int, ...], bool, int | None]:
    """(first fire, last silent before it, silent minutes, firing at the end, the pair that certainly holds it)."""
    any_state = tuple(_any_state(s) for s in zip(*states, strict=True))
    first_fire, last_silent, silent = _decided(any_state)
    if first_fire is None:
        return None, None, silent, False, None
    owner = next(i for i, s in enumerate(states) if s[first_fire] == "fire")
    certain = all(s[t] == "silent" for i, s in enumerate(states) if i != owner for t in range(1, first_fire + 1))
    return first_fire, last_silent, silent, any_state[-1] == "fire", owner if certain else None


def _any_state(states: tuple[State, ...]) -> State:
    if "fire" in states:
        return "fire"
    return "silent" if all(s == "silent" for s in states) else "unknown"


def _count_query(slo: ResolvedSLO, severity: str) -> str:
    return f"count({alert_rules.firing_burn_alerts(slo, severity)})"


@lru_cache(maxsize=4096)  # SLOs of the same shape get the same states
def _decided(states: tuple[State, ...]) -> tuple[int | None, int | None, tuple[int, ...]]:
    """What a pair's timeline lets a test assert: (first minute it fires, last silent minute before that,
    or, when it never fires, the minutes it is certainly silent, every CHECK_EVERY and at the end)."""
    end = len(states) - 1
    first_fire = next((t for t in range(1, end + 1) if states[t] == "fire"), None)
    if first_fire is not None:
        return first_fire, next((t for t in range(first_fire - 1, 0, -1) if states[t] == "silent"), None), ()
    silent = {t for t in range(CHECK_EVERY, end + 1, CHECK_EVERY) if states[t] == "silent"}
    if states[end] == "silent":
        silent.add(end)
    return None, None, tuple(sorted(silent))


def _annotations(service: ResolvedService, slo: ResolvedSLO, rules: list[AlertingRule]) -> TestCase:
    """Constant bad share from the first minute: every window holds the same ratio, so values are exact."""
    burn = [r for r in rules if conv.LABEL_LONG_WINDOW in r.labels]
    top = max((float(p.factor * slo.budget) for p in slo.pairs), default=0.5)
    bad = min(RATE, math.ceil(1.25 * top * RATE))
    while _near_rounding_edge(bad / RATE / float(slo.budget)):
        bad += 1
    ratio = bad / RATE
    value = ratio / float(slo.budget)
    left = f"{(1 - value) * 100:.4g}%"
    at = 10
    expected = []
    owners = {(ps[0].long, ps[0].short) for s in (conv.SEVERITY_PAGE, conv.SEVERITY_TICKET) if (ps := slo.pairs_of(s))}
    for rule in burn:
        if (rule.labels[conv.LABEL_LONG_WINDOW], rule.labels[conv.LABEL_SHORT_WINDOW]) not in owners:
            continue  # the latch: every pair burns from the first minute, and the fastest of each severity holds it
        annotations = {
            k: _expand(v, value=f"{value:.1f}", left=left) for k, v in rule.annotations.items()
        }
        expected.append((dict(rule.labels), annotations))
    traffic = Traffic.of([(at + 5, RATE, bad)])
    checks = [AlertCheck(slo.nodata_alert, _minutes(at))]
    if burn:
        checks.insert(0, AlertCheck(slo.burn_alert, _minutes(at), tuple(expected)))
    return TestCase(
        name=conv.test_case_name(slo.name, f"annotations at a constant {format_number(round(value, 1))}x burn"),
        series=_series(service, slo, traffic),
        alerts=tuple(checks),
    )


def _near_rounding_edge(value: float) -> bool:
    """True when one decimal of `value`, or four digits of the budget left, could round either way."""
    tenth = value * 10 - math.floor(value * 10)
    percent = abs(1 - value) * 100
    digits = percent / 10 ** (math.floor(math.log10(percent)) - 3) if percent else 0
    return abs(tenth - 0.5) < 1e-6 or abs(digits - math.floor(digits) - 0.5) < 1e-6


_VALUE = re.compile(r'\{\{ \$value \| printf "%\.1f" \}\}')
_LEFT = re.compile(r"\{\{ with query `[^`]*` \}\}\{\{ \. \| first \| value \| humanizePercentage \}\}\{\{ else \}\}unknown\{\{ end \}\}")


def _expand(template: str, value: str, left: str) -> str:
    """What Prometheus renders for our own annotation templates, given the two values they read."""
    text = _LEFT.sub(lambda _: left, _VALUE.sub(lambda _: value, template))
    return text.replace('{{ "{{" }}', "{{")


def _nodata(service: ResolvedService, slo: ResolvedSLO, rules: list[AlertingRule]) -> TestCase:
    rule = next(r for r in rules if r.alert == slo.nodata_alert)
    last = 30
    hold = math.ceil(parse_seconds(slo.nodata_for) / 60)
    absent_from = last + 6  # the last sample stays visible for Prometheus' 5m lookback
    traffic = Traffic.of([(absent_from + hold + 5, RATE, 0)])
    extra = alert_rules.result_labels(slo, rule)
    annotations = {k: _expand(v, "", "") for k, v in rule.annotations.items()}
    fires_at = absent_from + hold + 1
    query = str(q.Selector(conv.ALERTS, (q.Matcher(conv.LABEL_ALERTNAME, "=", rule.alert), q.Matcher(conv.LABEL_ALERTSTATE, "=", conv.STATE_FIRING))))
    return TestCase(
        name=conv.test_case_name(slo.name, "metrics vanish"),
        series=_series(service, slo, traffic, ends_at=last),
        exprs=(
            ExprCheck(query, _minutes(last - 10)),
            ExprCheck(query, _minutes(absent_from + hold - 2)),
            ExprCheck(query, _minutes(fires_at), ((_alerts_sample(rule, extra), 1.0),)),
        ),
        alerts=(AlertCheck(rule.alert, _minutes(fires_at), (({**rule.labels, **extra}, annotations),)),),
    )


def _classification(service: ResolvedService, slo: ResolvedSLO) -> TestCase:
    """Which events count as bad: exact shares on fixed traffic."""
    sel = {conv.LABEL_SERVICE: slo.service, conv.LABEL_SLO: slo.name}
    expr = f"round({_render_series(conv.sli_error_ratio('5m'), sel)} * 1000)"
    profile = service.profile
    dims = _dims(profile, "claude-haiku-4-5", "search")
    sli = slo.sli
    series: list[Series] = []
    if isinstance(sli, RatioSLI):
        good, bad, excluded = _status_values(slo, profile)
        status = _status_label(profile)
        timeout = profile.outcome.spell("timeout")
        per_minute = {good: 500, bad: 50}
        per_minute[timeout] = per_minute.get(timeout, 0) + 50
        if excluded:
            per_minute[excluded] = 400
        for code, n in per_minute.items():
            series.append(Series(q.series(sli.total, {**dims, status: code}), f"0+{n}x20"))
        # The expected share from the SLI's own matchers: a `bad_status` may leave timeouts good.
        counted = {c: n for c, n in per_minute.items() if sli.total.admits(status, c)}
        failed = sum(n for c, n in counted.items() if sli.bad.admits(status, c))
        expected = round(failed / sum(counted.values()) * 1000)
        verdict = "fail" if sli.bad.admits(status, timeout) else "count as success"
        name = conv.test_case_name(slo.name, f"timeouts {verdict}" + (f", {excluded} burns no budget" if excluded else ""))
    else:
        assert isinstance(sli, HistogramSLI)
        # Prometheus 3 writes le="3.0" where 2 wrote le="3": the rules must read both.
        le2 = format_number(parse_seconds(sli.threshold))
        le3 = le2 if "." in le2 else f"{le2}.0"
        for shard, le, good_per_min in (("p2", le2, 200), ("p3", le3, 250)):
            shard_labels = {**dims, "shard": shard}
            for bucket, n in ((le, good_per_min), ("+Inf", 300)):
                series.append(Series(q.series(sli.total.renamed(sli.good.metric), {**shard_labels, "le": bucket}), f"0+{n}x20"))
            series.append(Series(q.series(sli.total, shard_labels), "0+300x20"))
        expected = round(150 / 600 * 1000)
        name = conv.test_case_name(slo.name, "le matches Prometheus 2 and 3 bucket labels")
    return TestCase(name=name, series=tuple(series), exprs=(ExprCheck(expr, "15m", ((_render_series("", sel), float(expected)),)),))
