"""Each lint check on a bundle that breaks exactly its rule."""

import shutil
from pathlib import Path

import pytest
import yaml

from generator import build, load
from generator.tools import lint
from generator.tools.lint.alerts import Runbook, Tested
from generator.tools.lint.base import Context, Severity
from generator.tools.lint.drift import Drift
from generator.tools.lint.kubernetes import Crd, Kustomization
from generator.tools.lint.promql_parse import PromqlParse
from generator.tools.lint.rate_window import RateWindow
from generator.write import write

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bundle(tmp_path):
    _, rendered = build(ROOT / "slo.yaml")
    write(tmp_path, rendered)
    return tmp_path, rendered


def rules_path(out: Path) -> Path:
    return next((out / "prometheus" / "rules").iterdir())


def edit_rules(out: Path, fn) -> None:
    path = rules_path(out)
    doc = yaml.safe_load(path.read_text())
    fn(doc)
    path.write_text(yaml.safe_dump(doc))


def test_clean_bundle_passes_the_offline_checks(bundle):
    out, rendered = bundle
    ctx = Context(out=out, service=load(ROOT / "slo.yaml"), rendered=rendered)
    report = lint.run(ctx, (Drift(), PromqlParse(), RateWindow(), Runbook(), Tested()))
    assert report.problems == ()
    assert not report.failed
    assert report.render().endswith("5 checks, no problems")


def test_promql_parse_is_fatal(bundle):
    out, _ = bundle
    edit_rules(out, lambda d: d["groups"][0]["rules"][0].update(expr="sum(rate(x[5m])"))
    problems = PromqlParse().run(Context(out=out))
    assert [p.severity for p in problems] == [Severity.FATAL]
    assert "does not parse" in problems[0].message


def test_rate_window_warns_when_a_window_holds_few_scrapes(bundle, spec_file):
    out, _ = bundle
    spec = spec_file((ROOT / "slo.yaml").read_text().replace("scrape_interval: 30s", "scrape_interval: 2m"))
    problems = RateWindow().run(Context(out=out, service=load(spec)))
    assert problems and all(p.check == "rules/rate-window" and p.severity == Severity.WARNING for p in problems)
    assert "fewer than 4 scrapes" in problems[0].message


def test_every_alert_needs_a_runbook_file(bundle):
    out, _ = bundle
    victim = next((out / "runbooks").iterdir())
    victim.unlink()
    problems = Runbook().run(Context(out=out))
    assert problems and victim.stem in problems[0].where


def test_every_alert_needs_a_test_that_sees_it_fire(bundle):
    out, _ = bundle
    edit_rules(out, lambda d: d["groups"][0]["rules"].append(
        {"alert": "Untested", "expr": "vector(1)", "annotations": {"runbook_url": "x"}}))
    problems = Tested().run(Context(out=out))
    assert [p.where.split(": ")[-1] for p in problems] == ["Untested"]


def test_drift_is_a_bug(bundle):
    out, rendered = bundle
    shutil.rmtree(out / "runbooks")
    report = lint.run(Context(out=out, rendered=rendered), (Drift(),))
    assert report.failed and "run `make build`" in report.problems[0].message


def test_missing_promtool_is_a_bug_not_a_pass(bundle):
    from generator.tools.lint.promtool import CheckRules, TestRules

    out, _ = bundle
    report = lint.run(Context(out=out, tools={"promtool": None}), (CheckRules(), TestRules()))
    assert report.failed
    assert all("make test" in p.message for p in report.problems)


def test_pint_runs_with_the_generated_policy_when_on_path(bundle, tmp_path):
    from generator.tools.lint.pint import Pint

    out, _ = bundle
    fake = tmp_path / "pint"
    log = tmp_path / "args"
    fake.write_text(f'#!/bin/sh\necho "$@" > {log}\necho "rules/x.yaml:3 Bug: alerts/annotation: summary annotation is required"\nexit 1\n')
    fake.chmod(0o755)
    (problem,) = lint.run(Context(out=out, tools={"pint": str(fake)}), (Pint(),)).problems
    assert problem.severity == Severity.BUG and "summary annotation is required" in problem.message
    args = log.read_text()
    assert f"--config={out / 'prometheus/.pint.hcl'}" in args and "lint" in args and "--offline" in args
    policy = (out / "prometheus/.pint.hcl").read_text()
    assert 'values   = ["critical", "warning", "info"]' in policy and 'annotation "runbook_url"' in policy


def test_without_pint_the_report_says_it_skipped(bundle):
    from generator.tools.lint.pint import Pint

    out, _ = bundle
    report = lint.run(Context(out=out, tools={"pint": None}), (Pint(),))
    (problem,) = report.problems
    assert problem.severity == Severity.INFO and "skipped" in problem.message and not report.failed


@pytest.mark.promtool
@pytest.mark.parametrize("case", ["claude-basic", "otel-genai", "otel-utf8", "litellm"])
@pytest.mark.slow(30)
def test_every_profile_bundle_passes_the_whole_gate(case, tmp_path):
    """Every check, real tools included: each dialect's rules pass `promtool check rules --lint-fatal` and its
    generated tests, written at that dialect's own names, labels and spellings (error classes, ok/error, split
    token counters), pass promtool shape by shape (the golden test holds this build to tests/golden/*/expected);
    dashboards read only series the dialect exports or the bundle records; a bundle that needs Prometheus 3
    says promtool skipped (info) instead of failing on Debian's Prometheus 2."""
    spec = ROOT / "tests/golden" / case / "slo.yaml"
    _, rendered = build(spec)
    write(tmp_path, rendered)
    report = lint.run(Context(out=tmp_path, service=load(spec), rendered=rendered))
    assert not report.failed, report.render()
    skipped = [p for p in report.problems if p.check.startswith("promtool/") and "skipped" in p.message]
    assert bool(skipped) == (case == "otel-utf8") and all(p.severity == Severity.INFO for p in skipped)
    proved = [p for p in report.problems if p.check == "promtool/test-rules" and "proved by" in p.message]
    assert len(proved) == (case != "otel-utf8")


def _k8s_bundle(tmp_path):
    _, rendered = build(ROOT / "slo.yaml")
    write(tmp_path, rendered)
    return tmp_path


def test_prometheus_rule_carries_the_rule_files_groups_and_the_selector_labels(tmp_path):
    out = _k8s_bundle(tmp_path)
    rule = yaml.safe_load((out / "kubernetes/prometheusrule-claude-assistant.yaml").read_text())
    assert rule["metadata"]["namespace"] == "monitoring" and rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    assert rule["spec"] == yaml.safe_load((out / "prometheus/rules/claude-assistant.yaml").read_text())
    listed = yaml.safe_load((out / "kubernetes/kustomization.yaml").read_text())["resources"]
    assert "prometheusrule-claude-assistant.yaml" in listed and "alertmanagerconfig-claude-assistant.yaml" in listed
    assert lint.run(Context(out=out), (Crd(), Kustomization())).problems == ()


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d["spec"]["groups"][0].update(bogus=1), "spec.groups[0].bogus: not a field of PrometheusRule"),
    (lambda d: d["spec"]["groups"][0].update(interval="1 minute"), "not a valid PrometheusRule"),
    (lambda d: d["spec"]["groups"][0]["rules"][0].update(expr={"a": 1}), "not a valid PrometheusRule"),
])
def test_crd_check_finds_what_the_operator_would_refuse_or_drop(tmp_path, mutate, message):
    out = _k8s_bundle(tmp_path)
    path = out / "kubernetes/prometheusrule-claude-assistant.yaml"
    doc = yaml.safe_load(path.read_text())
    mutate(doc)
    path.write_text(yaml.safe_dump(doc))
    problems = lint.run(Context(out=out), (Crd(),)).problems
    assert problems and all(p.severity == Severity.BUG for p in problems) and message in problems[0].message


def test_a_service_with_many_slos_gets_prometheus_rules_kubectl_can_apply(tmp_path):
    """kubectl's client-side apply (and Argo CD's default) keeps the object in a 256 KiB annotation: twelve SLOs are
    one object no more, but several in the same file, each under the line, holding the rule file's groups in order."""
    from generator.render import OBJECT_BYTES

    doc = yaml.safe_load((ROOT / "slo.yaml").read_text())
    doc["slos"] = [{**slo, "name": f"{slo['name']}-{i}"} for i in range(4) for slo in doc["slos"]]
    (tmp_path / "slo.yaml").write_text(yaml.safe_dump(doc, sort_keys=False))
    _, rendered = build(tmp_path / "slo.yaml")
    out = tmp_path / "out"
    write(out, rendered)
    text = (out / "kubernetes/prometheusrule-claude-assistant.yaml").read_text()
    objects = list(yaml.safe_load_all(text))
    assert len(objects) >= 2
    assert [o["metadata"]["name"] for o in objects] == ["slogen-claude-assistant"] + [f"slogen-claude-assistant-{i}" for i in range(2, len(objects) + 1)]
    assert all(len(yaml.safe_dump(o["spec"]).encode()) < 256 * 1024 for o in objects)
    assert all(len(part.encode()) < OBJECT_BYTES + 20_000 for part in text.split("\n---\n"))
    groups = [g for o in objects for g in o["spec"]["groups"]]
    assert groups == yaml.safe_load((out / "prometheus/rules/claude-assistant.yaml").read_text())["groups"]
    assert all(o["metadata"]["labels"] == objects[0]["metadata"]["labels"] and o["metadata"]["namespace"] == "monitoring" for o in objects)
    assert lint.run(Context(out=out), (Crd(), Kustomization())).problems == ()
    objects[-1]["spec"]["groups"][0]["bogus"] = 1
    (out / "kubernetes/prometheusrule-claude-assistant.yaml").write_text(yaml.safe_dump_all(objects))
    (problem,) = lint.run(Context(out=out), (Crd(),)).problems
    assert f"object {len(objects)} of {len(objects)}" in problem.where and "spec.groups[0].bogus" in problem.message


def test_a_long_service_name_keeps_the_objects_suffix():
    from generator import conventions as conv

    name = conv.kubernetes_name("slogen", "x" * 80, suffix="-2")
    assert len(name) == 63 and name.endswith("x-2")


def test_kustomization_must_list_exactly_the_objects(tmp_path):
    out = _k8s_bundle(tmp_path)
    (out / "kubernetes/extra.yaml").write_text("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n")
    (out / "kubernetes/alertmanagerconfig-claude-assistant.yaml").unlink()
    messages = [p.message for p in lint.run(Context(out=out), (Kustomization(),)).problems]
    assert messages == ["lists alertmanagerconfig-claude-assistant.yaml, which is not in kubernetes/", "does not list extra.yaml: kubectl apply -k would skip it"]


def _target_bundle(tmp_path, target):
    spec = tmp_path / "slo.yaml"
    spec.write_text((ROOT / "slo.yaml").read_text() + f"target: {target}\n")
    _, rendered = build(spec)
    out = tmp_path / "out"
    write(out, rendered)
    return spec, out, rendered


@pytest.mark.promtool
def test_victoriametrics_target_runs_vmalert_dry_run_and_it_catches_what_vmalert_refuses(tmp_path):
    from generator.tools.lint.engines import Portable, VmalertDryRun

    spec, out, rendered = _target_bundle(tmp_path, "victoriametrics")
    ctx = lambda: Context(out=out, service=load(spec), rendered=rendered)  # noqa: E731
    assert lint.run(ctx(), (Portable(), VmalertDryRun())).problems == ()
    edit_rules(out, lambda doc: doc["groups"][0]["rules"][0].update(keep_firing_for="5m"))
    found = {p.check for p in lint.run(ctx(), (Portable(), VmalertDryRun())).problems}
    assert found == {"rules/portable", "vmalert/dry-run"}


def test_every_engine_field_outside_the_common_set_is_a_bug(bundle):
    from generator.tools.lint.engines import Portable

    out, _ = bundle
    edit_rules(out, lambda doc: (doc["groups"][0].update(query_offset="1m"), doc.update(namespace="x")))
    messages = sorted(p.message for p in lint.run(Context(out=out), (Portable(),)).problems)
    assert messages == ["group field `query_offset` is not accepted by every engine", "top-level `namespace`: promtool and vmalert refuse it"]
