"""promtool/test-rules proves each SLO shape once, and proves no less: a broken rule in any shape,
or in any one SLO of a shape, or in any one service of a fleet, still fails it."""

import re
import sys
from pathlib import Path

import pytest
import yaml

from generator import build, load
from generator import conventions as conv
from generator.compile import alert_rules
from generator.tools import lint
from generator.tools.lint import proof
from generator.tools.lint.base import Context, Severity
from generator.tools.lint.drift import Drift
from generator.tools.lint.promtool import TestRules
from generator.write import write

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))
from lint_speed import repeated  # noqa: E402 - the bench's 100-SLO spec: the reference's three shapes repeated

SERVICE = "claude-assistant"


def _bundle(spec_file, tmp_path):
    spec = spec_file(repeated(100))
    _, rendered = build(spec)
    out = tmp_path / "out"
    write(out, rendered)
    return spec, out, rendered


def _rules_text(out: Path) -> str:
    return (out / conv.rules_file(SERVICE)).read_text(encoding="utf-8")


def _built_text(rendered) -> str:
    return next(data for path, data in rendered.items() if path.as_posix() == conv.rules_file(SERVICE).as_posix()).decode()


def _edit_group(out: Path, slo: str, old: str, new: str) -> None:
    """Hand-edit one SLO's group in the rule file on disk: every `old` in it becomes `new`."""
    path = out / conv.rules_file(SERVICE)
    groups = proof.groups(path.read_text(encoding="utf-8"))
    name = conv.rule_group(SERVICE, slo)
    assert groups is not None and old in groups[name]
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace(groups[name], groups[name].replace(old, new)), encoding="utf-8")


def test_a_hundred_slos_of_three_shapes_are_three_proofs_each_with_only_its_own_group(spec_file, tmp_path):
    spec, out, rendered = _bundle(spec_file, tmp_path)
    service = load(spec)
    runs = proof.proofs(service, _rules_text(out), _built_text(rendered))
    slo_runs = [r for r in runs if r.covers and not r.grouped]
    assert [len(r.covers) for r in slo_runs] == [34, 33, 33]
    # The availability shape's per-model tests run beside its own, against the same rules.
    (grouped,) = [r for r in runs if r.grouped]
    assert grouped.covers == slo_runs[0].covers and grouped.rules == slo_runs[0].rules and b'model="' in grouped.tests
    assert sorted(n for r in slo_runs for n in r.covers) == sorted(s.name for s in service.slos)
    for run in slo_runs:
        assert re.findall(r"(?m)^- name: (\S+)", run.rules) == [conv.rule_group(SERVICE, run.covers[0])]
        assert f'slo="{run.covers[0]}"'.encode() in run.tests and f'slo="{run.covers[1]}"'.encode() not in run.tests
    # The service's own groups each get their own run with their own tests.
    assert [r.where for r in runs if not r.covers] == [
        f"{SERVICE}: group slogen-ratelimit-{SERVICE}", f"{SERVICE}: group slogen-cost-{SERVICE}", f"{SERVICE}: group slogen-alerts-{SERVICE}",
        f"{SERVICE}: group slogen-failures-{SERVICE}",
    ]


def test_an_slo_whose_group_on_disk_is_not_the_builds_is_proved_on_its_own(spec_file, tmp_path):
    spec, out, rendered = _bundle(spec_file, tmp_path)
    _edit_group(out, "ttft-16", "/ 0.05 >", "/ 0.5 >")  # a budget ten times too large: its outage never pages
    runs = proof.proofs(load(spec), _rules_text(out), _built_text(rendered))
    assert [len(r.covers) for r in runs if r.covers and not r.grouped] == [34, 33, 32, 1]
    alone = next(r for r in runs if r.covers == ("ttft-16",))
    assert "/ 0.5 >" in alone.rules  # the edited group, as it is on disk, is what its tests run against


def test_rule_files_not_written_by_slogen_fall_back_to_the_whole_test_file():
    assert proof.groups("groups: []\n") is None
    assert proof.groups("groups:\n  - name: indented\n") is None


@pytest.mark.promtool
@pytest.mark.slow(45)
def test_a_broken_rule_in_one_shape_or_in_one_slo_of_a_shape_fails_the_gate(promtool, spec_file, tmp_path, monkeypatch):
    """Two ways a rule breaks, both in a 100-SLO spec of three shapes, in one promtool pass:

    - the compiler writes a wrong rule for a whole shape (the availability SLOs' very-fast page
      threshold ten times too high): out/ is exactly what the spec builds, so drift is silent, and
      only the shape's proof can catch it;
    - one SLO in the middle of another shape is edited by hand on disk: drift catches it, and
      promtool/test-rules on its own does too, for its group is no longer the shape's."""
    original = alert_rules.alert_expr
    monkeypatch.setattr(alert_rules, "alert_expr", lambda slo, pair, **kw: original(slo, pair, **kw).replace("/ 0.005 > 40", "/ 0.005 > 400"))
    spec, out, rendered = _bundle(spec_file, tmp_path)
    monkeypatch.undo()
    assert _rules_text(out).count("/ 0.005 > 400") > 34  # every availability SLO carries the break
    _edit_group(out, "ttft-16", "/ 0.05 >", "/ 0.5 >")  # a budget ten times too large: its outage never pages

    report = lint.run(Context(out=out, service=load(spec), rendered=rendered, tools={"promtool": promtool}), (Drift(), TestRules()))

    assert report.failed
    bugs = {p.check: [] for p in report.problems}
    for p in report.problems:
        if p.severity == Severity.BUG:
            bugs[p.check].append(p)
    assert len(bugs["build/drift"]) == 1 and "ttft-16" in bugs["build/drift"][0].message and "availability" not in bugs["build/drift"][0].message
    failed = sorted(p.where for p in bugs["promtool/test-rules"])
    shape = f"{SERVICE}: SLO availability-0 (standing for its shape's 34 SLOs)"
    assert failed == [shape, f"{shape}, per group", f"{SERVICE}: SLO ttft-16"]  # the per-model pages share the broken threshold
    messages = {p.where: p.message for p in bugs["promtool/test-rules"]}
    assert 'burnrate_tier="very-fast"' in messages[failed[0]]
    assert "ClaudeAssistantAvailability0ByModelErrorBudgetBurn" in messages[failed[1]]
    assert "ClaudeAssistantTtft16ErrorBudgetBurn" in messages[failed[2]]
    (note,) = [p for p in report.problems if p.severity == Severity.INFO]
    assert "100 SLOs proved by 5 promtool runs" in note.message and "shape of ttft-0: 32 SLOs" in note.message


@pytest.mark.parametrize("spec", ["slo.yaml", *sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "tests/golden").glob("*/slo.yaml"))])
def test_each_proof_holds_every_alert_and_recording_its_tests_read(spec):
    """A test of an alert whose group is not in the rule file would pass on silence: every proof's
    rule file defines each alert its tests name and each recording they query."""
    _, rendered = build(ROOT / spec)
    built = _built_of(rendered)
    for run in proof.proofs(load(ROOT / spec), built, built):
        cases = yaml.safe_load(run.tests)["tests"]
        exprs = " ".join(e["expr"] for c in cases for e in c.get("promql_expr_test", []))
        named = {a["alertname"] for c in cases for a in c.get("alert_rule_test", [])} | set(re.findall(r'alertname="([^"]+)"', exprs))
        queried = set(re.findall(conv.RECORDING_NAME_PATTERN, exprs))
        defined = set(re.findall(r"(?m)^  - (?:alert|record): (\S+)$", run.rules))
        assert (named or queried) and named <= defined and queried <= defined, (run.where, named - defined, queried - defined)


def _built_of(rendered) -> str:
    return next(data for path, data in rendered.items() if path.parts[:2] == ("prometheus", "rules")).decode()


FLEET_SPEC = """\
version: 1
service: {name}
budgets: {{rate_limits: {{enabled: false}}}}
alerts: {{ttft_p95: {{enabled: false}}, error_burst: {{enabled: false}}, server_errors: {{enabled: false}}, truncations: {{enabled: false}},
          cache_reads: {{enabled: false}}, output_speed: {{enabled: false}}, client_errors: {{enabled: false}}, upstream_degraded: {{enabled: false}}}}
slos:
  - {{name: ttft, objective: {objective}, sli: {{latency: {{signal: ttft, threshold: 3s}}}}}}
"""


def _fleet(tmp_path, objectives=(95, 95, 95, 99)):
    """A folder of services built from one template but for their names; the last with its own objective."""
    from generator import repo

    folder = tmp_path / "slos"
    folder.mkdir()
    for i, objective in enumerate(objectives):
        (folder / f"svc-{i:02}.yaml").write_text(FLEET_SPEC.format(name=f"svc-{i:02}", objective=objective), encoding="utf-8")
    built, rendered = repo.build_all(folder)
    out = tmp_path / "out"
    write(out, rendered)
    return [b.service for b in built], out, rendered


def _planned(services, out, rendered):
    from generator.tools.lint.promtool import _proofs

    ctx = Context(out=out, service=services[0], rendered=rendered, others=tuple(services[1:]))
    return ctx, [(s, _proofs(ctx, s)) for s in services]


def test_services_of_one_template_are_proved_by_the_first_and_others_on_their_own(tmp_path):
    services, out, rendered = _fleet(tmp_path)
    _, planned = _planned(services, out, rendered)
    kept = [(s.name, others) for s, _, others in proof.fleet(planned)]
    assert kept == [("svc-00", ("svc-01", "svc-02")), ("svc-03", ())]  # svc-03's objective differs


def test_a_service_whose_rules_on_disk_are_not_the_builds_is_proved_on_its_own(tmp_path):
    services, out, rendered = _fleet(tmp_path)
    path = out / conv.rules_file("svc-01")
    path.write_text(path.read_text(encoding="utf-8").replace('status_code=~"401|403"', 'status_code=~"403"'), encoding="utf-8")
    _, planned = _planned(services, out, rendered)
    assert [(s.name, others) for s, _, others in proof.fleet(planned)] == [("svc-00", ("svc-02",)), ("svc-01", ()), ("svc-03", ())]


@pytest.mark.promtool
@pytest.mark.slow(30)
def test_a_broken_rule_in_one_service_of_a_fleet_still_fails_the_gate(promtool, tmp_path):
    services, out, rendered = _fleet(tmp_path)
    path = out / conv.rules_file("svc-02")
    path.write_text(path.read_text(encoding="utf-8").replace('status_code=~"401|403"', 'status_code=~"403"'), encoding="utf-8")
    ctx, _ = _planned(services, out, rendered)
    ctx.tools["promtool"] = promtool
    report = lint.run(ctx, (TestRules(),))
    failed = [p for p in report.problems if p.severity == Severity.BUG]
    assert [p.where for p in failed] == ["svc-02: group slogen-failures-svc-02"], report.render()
    assert "Svc02CredentialsRejected" in failed[0].message
    notes = {p.where: p.message for p in report.problems if p.severity == Severity.INFO}
    assert "standing for 1 more service compiled from the same template: svc-01" in notes["svc-00"]
    assert set(notes) == {"svc-00", "svc-02", "svc-03"}
