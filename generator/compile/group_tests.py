"""promtool tests of a grouped SLO's per-group alerts, from two groups' traffic and the burn model.

The traffic is split between a busy group and a small one. The burn model (generator.burnmodel)
judges each group on its own requests, and the service-wide SLO on their sum; only its certain
verdicts become assertions, as in generator.compile.rule_tests. The scenarios are the ones grouping
exists for: a group too small to move the service-wide SLO failing every request (it pages on its
own), one failure on a quiet group (the min-events guard keeps it silent), healthy traffic, and a
group that stops (no alert: traffic moving is not an outage).
"""

from __future__ import annotations

import math
from collections.abc import Callable

from generator import conventions as conv
from generator import promql as q
from generator.burnmodel import Shape, Traffic, outage_detection_minutes
from generator.compile.rule_tests import assertions as asr
from generator.compile.rule_tests import scenarios as sc
from generator.compile.rule_tests import series as ser
from generator.ir import AlertingRule, ExprCheck, Series, TestCase
from generator.resolve import HistogramSLI, RatioSLI, ResolvedService, ResolvedSLO

SMALL_SHARE = 0.05  # the small group's share of traffic in the one-group outage
QUIET_RATE = 2  # requests per minute of the quiet group
# Two values of each label slogen groups by: the busy group's, then the small group's.
VALUES = {conv.LABEL_MODEL: ("claude-sonnet-4-6", "claude-haiku-4-5"), conv.LABEL_FEATURE: ("chat", "search")}


def build(service: ResolvedService, alerts_of: Callable[[ResolvedSLO], list[AlertingRule]]) -> list[TestCase]:
    """The per-group cases of every grouped SLO (few SLOs are grouped: each is compiled on its own)."""
    return [case for slo in service.slos if slo.group_by for case in _cases(service, slo, alerts_of(slo))]


def group_value(slo: ResolvedSLO, small: bool) -> dict[str, str]:
    return {name: VALUES[name][1 if small else 0] for name in slo.group_labels}


def outage_scenario(slo: ResolvedSLO) -> tuple[Traffic, Traffic, int]:
    """(busy group, small group, minute the fault starts): the small group carries SMALL_SHARE of
    the traffic and fails every request from the fault on."""
    shape = Shape.of(slo)
    detect = min((outage_detection_minutes(shape, p) for p in slo.pairs), default=30)
    small = round(sc.RATE * SMALL_SHARE)
    after = math.ceil(detect * 1.3) + 10
    busy = Traffic.of([(sc.HEALTHY_LEAD, sc.RATE - small, 0), (after, sc.RATE - small, 0)])
    return busy, Traffic.of([(sc.HEALTHY_LEAD, small, 0), (after, small, small)]), sc.HEALTHY_LEAD


def _cases(service: ResolvedService, slo: ResolvedSLO, rules: list[AlertingRule]) -> list[TestCase]:
    busy, small, _ = outage_scenario(slo)
    share = f"{round(SMALL_SHARE * 100)}% of traffic"
    quiet = Traffic.of([(90, QUIET_RATE, 0), (1, QUIET_RATE, 1), (60, QUIET_RATE, 0)])
    # Three failures in a row burn far above every short-window threshold: only the min-events guard holds them.
    burst = Traffic.of([(90, QUIET_RATE, 0), (1, QUIET_RATE, QUIET_RATE), (1, QUIET_RATE, 1), (60, QUIET_RATE, 0)])
    steady = sc.RATE - QUIET_RATE
    what = " and ".join(slo.group_labels)
    # The quiet cases hold only while min_events exceeds their failures (a spec may set it to 0).
    scenarios = [
        (f"one {what} with {share} fails every request", busy, small, True, None),
        *([(f"one failure on a quiet {what} at {QUIET_RATE} requests per minute", Traffic.of([(151, steady, 0)]), quiet, False, None)]
          if slo.min_events > 1 else []),
        *([(f"three failures in a row on a quiet {what}, under min_events", Traffic.of([(152, steady, 0)]), burst, False, None)]
          if slo.min_events > QUIET_RATE + 1 else []),
        ("healthy traffic in every group", Traffic.of([(150, steady, 0)]), Traffic.of([(150, QUIET_RATE * 10, 0)]), False, None),
        (f"one {what} stops while the others go on", Traffic.of([(120, steady, 0)]), Traffic.of([(120, 30, 0)]), False, 60),
    ]
    return [_case(service, slo, rules, *scenario) for scenario in scenarios]


def _case(
    service: ResolvedService, slo: ResolvedSLO, rules: list[AlertingRule], name: str,
    busy: Traffic, small: Traffic, small_pages: bool, small_ends: int | None,
) -> TestCase:
    shape = Shape.of(slo)
    checks: list[tuple[int, str, str, bool]] = []
    for group_traffic, is_small in ((busy, False), (small, True)):
        reads = _group_reads(slo, rules, group_value(slo, is_small))
        expect = small_pages if is_small else False
        scenario = sc.Scenario(name, group_traffic, small_ends if is_small else None)
        try:
            plan = sc.plan_scenario(shape, scenario, expect_page=expect, expect_ticket=None if expect else False)
        except sc.ScenarioError as exc:
            raise sc.ScenarioError(f"SLO {slo.name}, {'small' if is_small else 'busy'} group: {exc}") from None
        checks += [(minute, *reads.query(ref), fires) for minute, ref, fires in plan.checks if ref is not None]
    if small_pages:
        checks += _service_wide(slo, busy, small, name)
    end = max(busy.minutes, small.minutes)
    checks.append((end, q.exact(conv.ALERTS, {conv.LABEL_ALERTNAME: slo.nodata_alert, conv.LABEL_ALERTSTATE: conv.STATE_FIRING}), "", False))
    checks = sorted(set(checks))
    series = _series(service, slo, busy, False, None) + _series(service, slo, small, True, small_ends)
    return TestCase(
        name=conv.test_case_name(slo.name, f"per {what_of(slo)}: {name}"),
        series=series,
        exprs=tuple(ExprCheck(query, asr.minutes(minute), ((sample, 1.0),) if fires else ()) for minute, query, sample, fires in checks),
    )


def _service_wide(slo: ResolvedSLO, busy: Traffic, small: Traffic, name: str) -> list[tuple[int, str, str, bool]]:
    """The service-wide page on the groups' sum, where the model is certain: diluted by the busy
    group, it stays silent while the small group's own alert pages."""
    both = Traffic(tuple(map(sum, zip(busy.total, small.total, strict=True))), tuple(map(sum, zip(busy.bad, small.bad, strict=True))))
    plan = sc.plan_scenario(Shape.of(slo), sc.Scenario(name, both))
    return [(minute, asr._count_query(slo, ref), "", fires) for minute, ref, fires in plan.checks if ref == conv.SEVERITY_PAGE]


def what_of(slo: ResolvedSLO) -> str:
    return " and ".join(slo.group_labels)


def _group_reads(slo: ResolvedSLO, rules: list[AlertingRule], group: dict[str, str]) -> asr.Reads:
    """What one group's checks query: its pair alerts, its count per severity (the latch holds one per group)."""
    rule_of = {(r.labels[conv.LABEL_LONG_WINDOW], r.labels[conv.LABEL_SHORT_WINDOW]): r for r in rules}
    count = {}
    for severity in (conv.SEVERITY_PAGE, conv.SEVERITY_TICKET):
        if len(slo.pairs_of(severity)) > 1:
            labels = {conv.LABEL_ALERTNAME: slo.group_alert, conv.LABEL_ALERTSTATE: conv.STATE_FIRING, conv.LABEL_SEVERITY: severity, **group}
            count[severity] = f"count({q.exact(conv.ALERTS, labels)})"
    return asr.Reads(
        pair={p: (asr.alerts_query(rule_of[(p.long, p.short)], group), asr.alerts_sample(rule_of[(p.long, p.short)], group)) for p in slo.pairs},
        count=count,
        nodata="",
    )


def _series(service: ResolvedService, slo: ResolvedSLO, traffic: Traffic, small: bool, ends_at: int | None) -> tuple[Series, ...]:
    profile = service.profile
    values = {**{name: VALUES[name][0] for name in VALUES}, **group_value(slo, small)}
    # The group labels as the SLI's own metric spells them (LiteLLM's request counter and histograms differ).
    own = {actual: values[name] for name, actual in slo.group_by}
    dims = tuple({**ser.dims_of(profile, values[conv.LABEL_MODEL], values[conv.LABEL_FEATURE]), **own}.items())
    sli = slo.sli
    if isinstance(sli, RatioSLI):
        good, bad, _ = ser.status_values(slo, profile)
        return ser._ratio_series(sli.total, dims, ser.status_label(profile), good, bad, traffic, ends_at)
    assert isinstance(sli, HistogramSLI)
    return ser._histogram_series(sli.total, sli.good.metric, sli.threshold, dims, traffic, ends_at)
