"""promtool unit tests for every generated alert, from synthetic traffic and the burn model.

Each scenario is minute-by-minute traffic; the model (generator.burnmodel) says when each
window pair must be firing or silent, and only those certain verdicts become assertions.

The stage is split by job: `scenarios` (traffic and the verdicts the burn model certifies), `series`
(traffic -> promtool input series), `assertions` (the checks of each test case) and `packing` (cases of
many SLOs sharing one test case); this module puts one service's file together.
"""

from __future__ import annotations

from collections.abc import Callable

from generator import conventions as conv
from generator import stencil
from generator.burnmodel import Shape
from generator.compile.rule_tests.assertions import annotations_case, classification_case, nodata_case, reads_of, timeline_case
from generator.compile.rule_tests.packing import pack
from generator.compile.rule_tests.scenarios import Scenario, ScenarioError, scenario_plans
from generator.ir import AlertingRule, Filled, RuleTestFile, TestCase
from generator.resolve import ResolvedService, ResolvedSLO

__all__ = ["Scenario", "ScenarioError", "build"]


def build(service: ResolvedService, alerts_of: Callable[[ResolvedSLO], list[AlertingRule]]) -> RuleTestFile:
    reads = [slo.sli.metrics for slo in service.slos]
    cases = [_slo_cases(service, slo, alerts_of) for slo in service.slos]
    # zip(*cases): the first scenario of every SLO, then the second, ...
    tests = [case for scenario in zip(*cases) for case in pack(list(zip(reads, scenario)))]
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
    reads = reads_of(slo, rules)
    try:
        plans = scenario_plans(Shape.of(slo))
    except ScenarioError as exc:
        raise ScenarioError(f"SLO {slo.name}, {exc}") from None
    return [
        *(timeline_case(service, slo, reads, plan) for plan in plans),
        annotations_case(service, slo, rules),
        nodata_case(service, slo, rules),
        classification_case(service, slo),
    ]
