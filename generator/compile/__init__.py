"""Resolved service -> Bundle. The stages run in this fixed order; each is pure."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path, PurePosixPath

from generator import conventions as conv
from generator import stencil
from generator.compile import (
    alert_rules,
    alertmanager,
    alertmanager_crd,
    cost_rules,
    cost_tests,
    dashboard_links,
    failure_rules,
    failure_tests,
    group_tests,
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
from generator.ir import AlertingRule, Bundle, Document, Filled, RecordingRule, RuleFile, RuleGroup, RuleTestFile, Runbook, StaticFile, TemplatedFile, TestCase, YamlDoc
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


def slo_alerts(service: ResolvedService, slo: ResolvedSLO, expressions: bool = True) -> list[AlertingRule]:
    return [dashboard_links.link(r, service) for r in alert_rules.build(slo, expressions)]


def group_alerts(service: ResolvedService, slo: ResolvedSLO, expressions: bool = True) -> list[AlertingRule]:
    return [dashboard_links.link(r, service) for r in alert_rules.build_grouped(slo, expressions)]


@dataclass(frozen=True)
class Part:
    """One rule group and what comes with it: its alerts' runbooks, and the name and labels of each
    alert it can raise, the expression's own included (the routing tests route every one)."""

    group: RuleGroup | Filled[RuleGroup]
    runbooks: tuple[Runbook | Filled[Runbook], ...]
    emitted: tuple[tuple[str, dict[str, str]], ...]


def parts(service: ResolvedService, slo_runbooks: bool = True) -> Iterator[Part]:
    """The rule file's groups in order, one at a time: a large build renders each and lets it go.
    Without `slo_runbooks` the SLOs' parts come without theirs (`all_runbooks` writes them beside).
    An SLO of a shared shape gets its shape's part with its own text filled in (generator.stencil)."""
    for slo in service.slos:
        shaped = stencil.once(service, slo, _slo_part, slo_runbooks)
        if shaped is None:
            yield _slo_part(service, slo, slo_runbooks)
            continue
        part, slots = shaped
        yield Part(Filled(part.group, slots), tuple(Filled(r, slots) for r in part.runbooks), stencil.unfold(Filled(part.emitted, slots)))
    yield from _service_parts(service)


def _slo_part(service: ResolvedService, slo: ResolvedSLO, with_runbooks: bool) -> Part:
    alerts = slo_alerts(service, slo)
    # A grouped SLO's per-group rules come after the service-wide ones, which stay as they are.
    grouped = group_alerts(service, slo)
    alerts += grouped
    rules = (
        *sli_rules.build(slo), *meta_rules.build(slo), *alert_rules.conditions(slo), *alerts[: len(alerts) - len(grouped)],
        *sli_rules.build_grouped(slo), *alert_rules.conditions(slo, grouped=True), *grouped,
    )
    group = RuleGroup(conv.rule_group(service.name, slo.name), rules, interval=slo.evaluation_interval)
    own = _slo_runbooks(service, slo) if with_runbooks else ()
    return Part(group, own, _emitted((r, alert_rules.result_labels(slo, r)) for r in alerts))


def all_runbooks(service: ResolvedService) -> Iterator[Runbook | Filled[Runbook]]:
    """Every runbook of the bundle, without compiling the SLOs' rules."""
    for slo in service.slos:
        shaped = stencil.once(service, slo, _slo_runbooks)
        if shaped is None:
            yield from _slo_runbooks(service, slo)
        else:
            own, slots = shaped
            yield from (Filled(r, slots) for r in own)
    for part in _service_parts(service):
        yield from part.runbooks


def _slo_runbooks(service: ResolvedService, slo: ResolvedSLO) -> tuple[Runbook, ...]:
    return tuple(runbooks.build(slo, service.profile))


def _service_parts(service: ResolvedService) -> Iterator[Part]:
    """The groups of the service as a whole: rate limits, cost, thresholds, failure modes."""
    if service.rate_limits is not None:
        group = dashboard_links.link_group(ratelimit_rules.build(service.rate_limits), service)
        sample = {conv.LABEL_MODEL: ratelimit_tests.MODEL, conv.LABEL_DIMENSION: ratelimit_tests.DIMENSION}
        yield Part(group, tuple(runbooks.build_ratelimit(service.rate_limits)), _emitted((r, sample) for r in _alerting(group)))
    if service.cost is not None:
        group = dashboard_links.link_group(cost_rules.build(service.cost), service)
        alerts = _alerting(group)
        per_model = {conv.LABEL_MODEL: "claude-sonnet-4-6"}
        emitted = _emitted((r, per_model if r.labels[conv.LABEL_SEVERITY] == conv.SEVERITY_INFO else {}) for r in alerts)
        yield Part(group, tuple(runbooks.build_cost(service.cost, [r.alert for r in alerts])), emitted)
    thresholds = threshold_rules.build(service.thresholds)
    if thresholds is not None:
        group = dashboard_links.link_group(thresholds, service)
        alerts = _alerting(group)
        yield Part(group, tuple(runbooks.build_thresholds(service.thresholds, sorted({r.alert for r in alerts}))), _emitted((r, {}) for r in alerts))
    failures = failure_rules.build(service.failures) if service.failures is not None else None
    if failures is not None:
        group = dashboard_links.link_group(failures, service)
        alerts = _alerting(group)
        names = sorted({r.alert for r in alerts})
        yield Part(group, tuple(runbooks.build_fixed(service.name, failure_rules.TEXT, names, conv.failure_alert)), _emitted((r, {}) for r in alerts))


def _emitted(alerts: Iterable[tuple[AlertingRule, dict[str, str]]]) -> tuple[tuple[str, dict[str, str]], ...]:
    return tuple((rule.alert, {**rule.labels, **extra}) for rule, extra in alerts)


def _alerting(group: RuleGroup) -> list[AlertingRule]:
    return [r for r in group.rules if isinstance(r, AlertingRule)]


def runbook_path(runbook: Runbook | Filled[Runbook]) -> PurePosixPath:
    if isinstance(runbook, Filled):
        return _file(conv.runbook_file(stencil.fill(runbook.stencil.alert, runbook.slots)))
    return _file(conv.runbook_file(runbook.alert))


def rules_path(service: ResolvedService) -> PurePosixPath:
    return _file(conv.rules_file(service.name))


class Digest:
    """What the rest of the bundle reads from the rule groups, gathered as they go by: the recorded
    names, the alerts to route, and the groups themselves only where the operator's copy needs them."""

    def __init__(self, service: ResolvedService) -> None:
        self.recorded: set[str] = set()
        self.emitted: list[tuple[str, dict[str, str]]] = []
        self.notes: list[str] = []  # what the dashboards leave out, beside the service's own warnings
        self.groups: list[RuleGroup] | None = [] if service.kubernetes is not None else None

    def add(self, part: Part) -> Part:
        # Recording names are the same for every SLO (its labels tell them apart): a stencil's are the SLO's.
        group = part.group.stencil if isinstance(part.group, Filled) else part.group
        self.recorded.update(r.record for r in group.rules if isinstance(r, RecordingRule))
        self.emitted += part.emitted
        if self.groups is not None:
            self.groups.append(part.group)
        return part


def compile_rest(service: ResolvedService, digest: Digest) -> dict[PurePosixPath, Document]:
    """Every file but the rules, runbooks and tests: dashboards, Alertmanager, routing tests, the
    operator objects, pint's policy."""
    from generator import dashboards  # the Grafana SDK: a large build loads it after forking, beside the tests

    rest = dashboards.build(service, frozenset(digest.recorded), digest.notes)
    if digest.groups is not None:
        rest.update(kubernetes.build(service, RuleFile(tuple(digest.groups)), alertmanager_crd.build(service), rest))
    for path, doc in (
        (conv.alertmanager_file(), YamlDoc(alertmanager.build_config(service))),
        (conv.alertmanager_fragment_file(), YamlDoc(alertmanager.build_fragment(service))),
        (conv.routing_tests_file(), YamlDoc(alertmanager.build_routing_tests(service, digest.emitted))),
        (conv.alertmanager_template_file(), StaticFile("alertmanager/slogen.tmpl")),
        (conv.pint_config_file(), pint_config()),
    ):
        rest[_file(path)] = doc
    return rest


def compile_tests(service: ResolvedService) -> RuleTestFile:
    """The promtool tests of every alert."""
    tests = slo_tests(service)
    return replace(tests, tests=tests.tests + tuple(c for _, cases in service_tests(service) for c in cases))


def slo_tests(service: ResolvedService) -> RuleTestFile:
    """The tests of the SLOs' alerts, a grouped SLO's per-group alerts among them."""
    tests, grouped = slo_test_sets(service)
    return replace(tests, tests=tests.tests + grouped)


def slo_test_sets(service: ResolvedService) -> tuple[RuleTestFile, tuple[TestCase, ...]]:
    """The SLOs' own tests, and apart the per-group tests of grouped SLOs (which lint runs beside them)."""
    tests = rule_tests.build(service, lambda slo: slo_alerts(service, slo, expressions=False))
    return tests, tuple(group_tests.build(service, lambda slo: group_alerts(service, slo, expressions=False)))


def service_tests(service: ResolvedService) -> list[tuple[str, list[TestCase]]]:
    """The tests of the service's own groups (rate limits, cost, thresholds), by the group they test."""
    more: list[tuple[str, list[TestCase]]] = []
    if service.rate_limits is not None:
        more.append((ratelimit_rules.build(service.rate_limits).name, ratelimit_tests.build(service.rate_limits)))
    if service.cost is not None:
        more.append((cost_rules.build(service.cost).name, cost_tests.build(service.cost)))
    if (thresholds := threshold_rules.build(service.thresholds)) is not None:
        more.append((thresholds.name, threshold_tests.build(service.thresholds)))
    if service.failures is not None:
        more.append((failure_rules.build(service.failures).name, failure_tests.build(service.failures)))
    return more


def _file(path: Path) -> PurePosixPath:
    """A conventions path as a key of the bundle."""
    return PurePosixPath(path.as_posix())


def tests_path(service: ResolvedService) -> PurePosixPath:
    return _file(conv.rules_test_file(service.name))


def compile_bundle(service: ResolvedService) -> Bundle:
    """Every file of the bundle, in memory (`pipeline.write_bundle` streams the same to disk)."""
    digest = Digest(service)
    groups = [digest.add(p) for p in parts(service)]
    files: dict[PurePosixPath, Document] = {runbook_path(rb): rb for p in groups for rb in p.runbooks}
    files[rules_path(service)] = RuleFile(tuple(p.group for p in groups))
    files[tests_path(service)] = compile_tests(service)
    files.update(compile_rest(service, digest))
    return Bundle(files=dict(sorted(files.items())), warnings=(*service.warnings, *digest.notes))
