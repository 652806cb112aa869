"""Grouped SLOs (`group_by`): per-group alerts beside the unchanged service-wide SLO, proven with the real promtool and Alertmanager."""

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from generator import build
from generator.compile import rules_path
from generator.pipeline import load
from generator.tools.explain import group_page_minutes
from generator.tools.lint import proof
from generator.cli import app
from generator.write import write

ROOT = Path(__file__).resolve().parent.parent
GROUP_ALERT = "ClaudeAssistantAvailabilityByModelErrorBudgetBurn"
SERVICE_ALERT = "ClaudeAssistantAvailabilityErrorBudgetBurn"
SPEC = """\
version: 1
service: svc
metrics: {profile: PROFILE}
slos:
  - name: availability
    objective: 99.5
    sli: {availability: {}}
    group_by: GROUP
"""


def _build(tmp_path: Path, profile: str, group: str):
    spec = tmp_path / "slo.yaml"
    spec.write_text(SPEC.replace("PROFILE", profile).replace("GROUP", group))
    return CliRunner().invoke(app, ["build", str(spec), "--out", str(tmp_path / "out")])


@pytest.mark.parametrize("label", ["request_id", "user", "user_id", "trace_id", "session_id", "span_id"])
def test_labels_unbounded_by_nature_are_refused_with_the_reason(tmp_path, label):
    result = _build(tmp_path, "prometheus-client", f"[{label}]")
    assert result.exit_code == 2, result.output
    assert "slos[0].group_by" in result.output and "unbounded by nature" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()


def test_a_label_the_profile_lacks_names_file_field_and_fix(tmp_path):
    result = _build(tmp_path, "claude-basic", "[feature]")  # claude-basic records no feature
    assert result.exit_code == 2, result.output
    assert "slo.yaml" in result.output and "slos[0].group_by[0]" in result.output
    assert "carries no 'feature' label" in result.output and "metrics.labels.feature" in result.output
    result = _build(tmp_path, "prometheus-client", "[status]")
    assert result.exit_code == 2 and "already tells statuses apart" in result.output


def test_the_build_states_the_series_a_group_label_adds(tmp_path):
    result = _build(tmp_path, "prometheus-client", "[model]")
    assert result.exit_code == 0, result.output
    assert "group_by [model] adds" in result.output and "per model value" in result.output


def _rules(spec: str, tmp_path: Path) -> list[dict]:
    tmp_path.mkdir()
    path = tmp_path / "slo.yaml"
    path.write_text(spec)
    _, rendered = build(path)
    write(tmp_path / "out", rendered)
    return [r for g in yaml.safe_load(next((tmp_path / "out/prometheus/rules").glob("*.yaml")).read_text())["groups"] for r in g["rules"]]


def test_the_service_wide_slo_stays_exactly_as_it_was(tmp_path):
    spec = (ROOT / "slo.yaml").read_text()
    assert "group_by: [model]" in spec
    grouped = _rules(spec, tmp_path / "a")
    plain = _rules(spec.replace("group_by: [model]", "group_by: []"), tmp_path / "b")
    extra = [r for r in grouped if r not in plain]
    assert [r for r in grouped if r in plain] == plain  # every rule, in order, byte for byte
    assert {r.get("alert") for r in extra} == {None, GROUP_ALERT}
    assert all(r["record"].startswith("slo_group:") for r in extra if "record" in r)


def _grouped_cases(promtool: str, tmp_path: Path, old: str = "", new: str = "") -> subprocess.CompletedProcess:
    """The generated per-group cases of slo.yaml alone (promtool runs in minutes on the whole file), against its rules with `old` made `new`."""
    _, rendered = build(ROOT / "slo.yaml")
    write(tmp_path, rendered)
    tests = next((tmp_path / "prometheus/tests").glob("*.yaml"))
    doc = yaml.safe_load(tests.read_text())
    doc["tests"] = [t for t in doc["tests"] if ": per model: " in t["name"]]
    assert len(doc["tests"]) == 5
    tests.write_text(yaml.safe_dump(doc))
    rules = next((tmp_path / "prometheus/rules").glob("*.yaml"))
    if old:
        text, n = re.subn(old, new, rules.read_text())
        assert n
        rules.write_text(text)
    return subprocess.run([promtool, "test", "rules", str(tests)], capture_output=True, text=True, timeout=900, check=False)


@pytest.mark.promtool
@pytest.mark.slow(20)
def test_per_group_cases_pass_on_the_real_promtool(promtool, tmp_path):
    result = _grouped_cases(promtool, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.promtool
@pytest.mark.slow(20)
def test_without_the_per_group_very_fast_page_the_small_model_case_fails(promtool, tmp_path):
    """The per-group checks can fail: the group's very-fast threshold raised out of reach is caught."""
    result = _grouped_cases(promtool, tmp_path, r"(slo_group:sli_error:ratio_rate5m\{[^}]*\} / 0\.005) > 40", r"\1 > 400")
    assert result.returncode == 1
    # the small model's page at minute 182, two minutes into its outage, is missing
    assert 'model=\\"claude-haiku-4-5\\"' in result.stderr and "time: 3h2m" in result.stderr and "got: nil" in result.stderr


@pytest.mark.promtool
@pytest.mark.slow(20)
def test_without_the_per_group_min_events_guard_the_quiet_model_pages(promtool, tmp_path):
    result = _grouped_cases(promtool, tmp_path, r"(slo_group:sli_error:rate\w+\{[^}]*\} \* \d+) >= 5", r"\1 >= 0")  # every per-group guard
    assert result.returncode == 1
    # three failures in a row on the quiet model now page: an alert where none is expected
    assert 'model=\\"claude-haiku-4-5\\"' in result.stderr and "exp: nil" in result.stderr


def test_the_small_model_pages_within_5_minutes_while_the_service_wide_slo_stays_silent(tmp_path):
    """What the generated case asserts, read back: the fault starts at minute 180."""
    _, rendered = build(ROOT / "slo.yaml")
    write(tmp_path, rendered)
    doc = yaml.safe_load(next((tmp_path / "prometheus/tests").glob("*.yaml")).read_text())
    case = next(t for t in doc["tests"] if t["name"].endswith("per model: one model with 5% of traffic fails every request"))
    page = f'count(ALERTS{{alertname="{GROUP_ALERT}", alertstate="firing", severity="critical", model="claude-haiku-4-5"}})'
    fires = sorted(int(c["eval_time"][:-1]) for c in case["promql_expr_test"] if c["expr"] == page and c["exp_samples"])
    assert fires and 180 < fires[0] <= 185, fires
    slo = next(s for s in load(ROOT / "slo.yaml").slos if s.name == "availability")
    assert group_page_minutes(slo, 30)[0] == fires[0] - 180  # what `slogen explain` prints for a model at 30 req/min
    service = [c for c in case["promql_expr_test"] if c["expr"].startswith(f'count(ALERTS{{alertname="{SERVICE_ALERT}"') and 'severity="critical"' in c["expr"]]
    assert any(int(c["eval_time"][:-1]) >= fires[0] and not c["exp_samples"] for c in service)  # diluted: 5% bad is under its thresholds
    for name in ("one failure on a quiet model", "three failures in a row on a quiet model", "per model: healthy traffic", "one model stops"):
        quiet = next(t for t in doc["tests"] if name in t["name"])
        assert all(not c["exp_samples"] for c in quiet["promql_expr_test"]), name


COMMON = {"service": "claude-assistant", "team": "ai-platform", "namespace": "monitoring", "slo": "availability", "category": "availability"}
SERVICE_PAGE = {**COMMON, "alertname": SERVICE_ALERT, "severity": "critical", "long_window": "5m", "short_window": "2m", "burnrate_tier": "very-fast"}
GROUP_PAGE = {**SERVICE_PAGE, "alertname": GROUP_ALERT, "model": "claude-haiku-4-5"}
GROUP_TICKET = {**COMMON, "alertname": GROUP_ALERT, "severity": "warning", "long_window": "3d", "short_window": "6h", "burnrate_tier": "slow", "model": "claude-sonnet-4-6"}
SERVICE_TICKET = {**COMMON, "alertname": SERVICE_ALERT, "severity": "warning", "long_window": "3d", "short_window": "6h", "burnrate_tier": "slow"}


@pytest.mark.e2e
def test_the_service_wide_page_holds_back_the_per_group_alerts_in_real_alertmanager(tmp_path):
    from generator.harness.stack import _get, wait_for
    from tests.test_inhibition import _post as post, live_alertmanager

    with live_alertmanager(tmp_path) as (url, sink):

        def states():
            return {(a["labels"]["alertname"], a["labels"]["severity"]): a["status"]["state"] for a in json.loads(_get(f"{url}/api/v2/alerts") or "[]")}

        # A per-group page alone: the small model's outage reaches the pager.
        post(url, [GROUP_PAGE])
        wait_for(lambda: ("oncall", GROUP_ALERT) in {(r, a["labels"]["alertname"]) for r, a in sink.received}, 30, "the per-group page delivered")
        # A whole-service outage: the service-wide page and a ticket holds back every per-group alert of the SLO.
        post(url, [SERVICE_PAGE, SERVICE_TICKET, GROUP_PAGE, GROUP_TICKET])
        wait_for(lambda: states().get((GROUP_ALERT, "critical")) == "suppressed" and states().get((GROUP_ALERT, "warning")) == "suppressed", 30, "per-group alerts inhibited")
        assert states()[(SERVICE_ALERT, "critical")] == "active"


def test_the_slo_dashboard_shows_the_burn_rate_per_group_from_recorded_series(tmp_path):
    _, rendered = build(ROOT / "slo.yaml")
    write(tmp_path, rendered)
    board = json.loads((tmp_path / "grafana/dashboards/claude-assistant-slos.json").read_text())
    panel = next(p for p in board["panels"] if p.get("title") == "Burn rate per model")
    recorded = {r["record"] for g in yaml.safe_load(next((tmp_path / "prometheus/rules").glob("*.yaml")).read_text())["groups"] for r in g["rules"] if "record" in r}
    exprs = [t["expr"] for t in panel["targets"]]
    assert exprs and all(e.split("{")[0] in recorded and e.startswith("slo_group:") for e in exprs)
    assert all(t["legendFormat"].startswith("{{model}}") for t in panel["targets"])


@pytest.mark.promtool
@pytest.mark.parametrize("case", ["litellm", "otel-genai"])
@pytest.mark.slow(25)
def test_every_slo_of_another_dialect_grouped_by_model_passes_its_per_group_cases(promtool, tmp_path, case):
    """Latency SLIs too, and exporters that spell the model label their own way (LiteLLM's request
    counter says requested_model, its histograms model; OTel gen_ai.response.model)."""
    doc = yaml.safe_load((ROOT / "tests/golden" / case / "slo.yaml").read_text())
    for slo in doc["slos"]:
        slo["group_by"] = ["model"]
    (tmp_path / "slo.yaml").write_text(yaml.safe_dump(doc))
    _, rendered = build(tmp_path / "slo.yaml")
    service = load(tmp_path / "slo.yaml")
    rules = rendered[rules_path(service)].decode()
    # As lint runs them: each SLO's per-model cases against its own group and the recordings it reads.
    runs = [r for r in proof.proofs(service, rules, rules) if r.grouped]
    assert sorted(n for r in runs for n in r.covers) == sorted(s["name"] for s in doc["slos"])
    for i, run in enumerate(runs):
        cases = yaml.safe_load(run.tests)["tests"]
        assert len(cases) == 5 and all(": per model: " in c["name"] for c in cases), [c["name"] for c in cases]
        result = subprocess.run([promtool, "test", "rules", str(run.write(tmp_path / f"proof-{i}"))], capture_output=True, text=True, timeout=900, check=False)
        assert result.returncode == 0, run.where + "\n" + result.stdout + result.stderr
