"""Resolved service -> Bundle. The stages run in this fixed order; each is pure."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path, PurePosixPath

from generator import conventions as conv
from generator.compile import (
    alert_rules,
    alertmanager,
    alertmanager_crd,
    cost_rules,
    cost_tests,
    dashboard_links,
    kubernetes,
    meta_rules,
    ratelimit_rules,
    ratelimit_tests,
    rule_tests,
    runbooks,
    sli_rules,
    threshold_rules,
    threshold_tests,
)
from generator import dashboards
from generator.ir import AlertingRule, Bundle, Document, RecordingRule, RuleFile, RuleGroup, RuleTestFile, StaticFile, TemplatedFile, TestCase, YamlDoc
from generator.resolve import ResolvedService, ResolvedSLO


def pint_config() -> TemplatedFile:
    """The bundle's own conventions as pint policy, so `pint lint` holds hand edits to them too."""
    return TemplatedFile(
        "pint.hcl.j2",
        {
            "severities": [conv.SEVERITY_PAGE, conv.SEVERITY_TICKET, conv.SEVERITY_INFO],
            "categories": sorted(conv.CATEGORIES),
            "annotations": ["summary", "description", "runbook_url"],
            "record_pattern": conv.RECORDING_NAME_PATTERN,
        },
    )


def slo_alerts(service: ResolvedService, slo: ResolvedSLO) -> list[AlertingRule]:
    return [dashboard_links.link(r, service) for r in alert_rules.build(slo)]


def compile_tests(service: ResolvedService, alerts: dict[str, list[AlertingRule]] | None = None) -> RuleTestFile:
    """The promtool tests of every alert; `alerts` (per SLO) when the caller already compiled them."""
    if alerts is None:
        alerts = {slo.name: slo_alerts(service, slo) for slo in service.slos}
    tests = rule_tests.build(service, alerts)
    more: list[TestCase] = []
    if service.rate_limits is not None:
        more += ratelimit_tests.build(service.rate_limits)
    if service.cost is not None:
        more += cost_tests.build(service.cost)
    if threshold_rules.build(service.thresholds) is not None:
        more += threshold_tests.build(service.thresholds)
    return replace(tests, tests=tests.tests + tuple(more))


def _file(path: Path) -> PurePosixPath:
    """A conventions path as a key of the bundle."""
    return PurePosixPath(path.as_posix())


def tests_path(service: ResolvedService) -> PurePosixPath:
    return _file(conv.rules_test_file(service.name))


def compile_bundle(service: ResolvedService, tests: bool = True) -> Bundle:
    """Every file of the bundle; without `tests`, all but the generated tests (`compile_tests`), which a large build compiles beside it."""
    files: dict[PurePosixPath, Document] = {}
    groups, alerts = [], {}
    for slo in service.slos:
        alerts[slo.name] = slo_alerts(service, slo)
        rules = [*sli_rules.build(slo), *meta_rules.build(slo), *alert_rules.conditions(slo), *alerts[slo.name]]
        groups.append(RuleGroup(conv.rule_group(service.name, slo.name), tuple(rules), interval=slo.evaluation_interval))
        for runbook in runbooks.build(slo, service.profile):
            files[_file(conv.runbook_file(runbook.alert))] = runbook
    emitted = [(rule, alert_rules.result_labels(slo, rule)) for slo in service.slos for rule in alerts[slo.name]]
    if tests:
        files[tests_path(service)] = compile_tests(service, alerts)
    if service.rate_limits is not None:
        group = dashboard_links.link_group(ratelimit_rules.build(service.rate_limits), service)
        groups.append(group)
        sample = {conv.LABEL_MODEL: ratelimit_tests.MODEL, conv.LABEL_DIMENSION: ratelimit_tests.DIMENSION}
        emitted += [(r, sample) for r in group.rules if isinstance(r, AlertingRule)]
        for runbook in runbooks.build_ratelimit(service.rate_limits):
            files[_file(conv.runbook_file(runbook.alert))] = runbook
    if service.cost is not None:
        group = dashboard_links.link_group(cost_rules.build(service.cost), service)
        groups.append(group)
        cost_alerts = [r for r in group.rules if isinstance(r, AlertingRule)]
        emitted += [(r, {conv.LABEL_MODEL: "claude-sonnet-4-6"} if r.labels[conv.LABEL_SEVERITY] == conv.SEVERITY_INFO else {}) for r in cost_alerts]
        for runbook in runbooks.build_cost(service.cost, [r.alert for r in cost_alerts]):
            files[_file(conv.runbook_file(runbook.alert))] = runbook
    thresholds = threshold_rules.build(service.thresholds)
    if thresholds is not None:
        thresholds = dashboard_links.link_group(thresholds, service)
        groups.append(thresholds)
        emitted += [(r, {}) for r in thresholds.rules if isinstance(r, AlertingRule)]
        for runbook in runbooks.build_thresholds(service.thresholds, sorted({r.alert for r in thresholds.rules if isinstance(r, AlertingRule)})):
            files[_file(conv.runbook_file(runbook.alert))] = runbook
    recorded = frozenset(r.record for g in groups for r in g.rules if isinstance(r, RecordingRule))
    files.update(dashboards.build(service, recorded))
    rule_file = RuleFile(tuple(groups))
    files[_file(conv.rules_file(service.name))] = rule_file
    if service.kubernetes is not None:
        files.update(kubernetes.build(service, rule_file, alertmanager_crd.build(service), files))
    for path, doc in (
        (conv.alertmanager_file(), YamlDoc(alertmanager.build_config(service))),
        (conv.alertmanager_fragment_file(), YamlDoc(alertmanager.build_fragment(service))),
        (conv.routing_tests_file(), YamlDoc(alertmanager.build_routing_tests(service, emitted))),
        (conv.alertmanager_template_file(), StaticFile("alertmanager/slogen.tmpl")),
        (conv.pint_config_file(), pint_config()),
    ):
        files[_file(path)] = doc
    return Bundle(files=dict(sorted(files.items())), warnings=service.warnings)
