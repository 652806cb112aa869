"""The failure-mode alerts (issue 27) hold whatever numbers a spec gives them: their generated promtool cases pass on
the real promtool for the defaults and for unusual `alerts:` values; `slogen explain` states detection times no later
than the cases assert; a spec that excludes 401/403/404 is warned and still paged; a profile without status codes or
attempts says which alerts it cannot have and what to export."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from generator import build, conventions as conv, load

from generator.tools.explain import explain
from generator.write import write

ROOT = Path(__file__).resolve().parent.parent
SERVICE = "claude-assistant"
UNUSUAL = {
    "strict": {
        "credentials": {"ratio": 90, "for": "10m", "min_events": 500},
        "model_not_found": {"ratio": 80, "for": "5m", "min_events": 40},
        "client_errors": {"above_baseline": 5, "floor": 40, "for": "20m", "critical": 70, "critical_for": "10m", "min_events": 300},
        "upstream_degraded": {"ratio": 60, "for": "5m", "min_events": 1000},
    },
    "touchy": {
        "credentials": {"ratio": 10, "for": "1m", "min_events": 1},
        "model_not_found": {"ratio": 5, "for": "30s", "min_events": 1},
        "client_errors": {"above_baseline": 1, "floor": 2, "for": "5m", "critical": 4, "critical_for": "1m", "min_events": 1},
        "upstream_degraded": {"ratio": 2, "for": "30m", "min_events": 1},
    },
}


def _spec(tmp_path: Path, alerts: dict | None = None, exclude: list[str] | None = None) -> Path:
    doc = yaml.safe_load((ROOT / "slo.yaml").read_text())
    if alerts is not None:
        doc["alerts"] = alerts
    if exclude is not None:
        doc["slos"][0]["sli"]["availability"]["exclude_status"] = exclude
    path = tmp_path / "slo.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path


def _failure_cases(spec: Path, folder: Path, service: str = SERVICE) -> tuple[list[str], subprocess.CompletedProcess]:
    """The failure group and its own generated cases, run alone by the real promtool."""
    _, rendered = build(spec)
    write(folder / "out", rendered)
    rules = yaml.safe_load((folder / "out" / conv.rules_file(service)).read_text())
    rules["groups"] = [g for g in rules["groups"] if g["name"] == conv.failure_group(service)]
    (folder / "rules.yaml").write_text(yaml.safe_dump(rules))
    tests = yaml.safe_load((folder / "out/prometheus/tests" / f"{service}.test.yaml").read_text())
    tests["rule_files"] = ["rules.yaml"]
    tests["tests"] = [t for t in tests["tests"] if t.get("name", "").startswith("failures:")]
    (folder / "tests.yaml").write_text(yaml.safe_dump(tests, width=10**6))
    run = subprocess.run(["promtool", "test", "rules", "tests.yaml"], cwd=folder, capture_output=True, text=True, timeout=600)
    return [t["name"] for t in tests["tests"]], run


@pytest.mark.parametrize("name", ["defaults", *UNUSUAL])
def test_the_failure_cases_pass_whatever_the_alerts_numbers(name, tmp_path, promtool):
    spec = _spec(tmp_path, UNUSUAL.get(name))
    names, run = _failure_cases(spec, tmp_path)
    assert run.returncode == 0, run.stdout + run.stderr
    # Every alert is exercised: a storm that must page for credentials, model ids and client errors, and the upstream.
    for words in ("401 (an expired key) pages", "retired model id", "storm of 400s", "overloaded upstream"):
        assert any(words in n for n in names), (words, names)


def test_a_removed_failure_alert_fails_its_cases(tmp_path, promtool, monkeypatch):
    from generator.compile import failure_rules

    original = failure_rules._refused
    monkeypatch.setattr(failure_rules, "_refused", lambda f, a, record, what, *rest: original(f, a, record, what, *rest)[:1] if what == "CredentialsRejected" else original(f, a, record, what, *rest))
    _, run = _failure_cases(_spec(tmp_path), tmp_path)
    assert run.returncode != 0 and "CredentialsRejected" in run.stdout + run.stderr


def test_explain_states_detection_no_later_than_the_cases_assert(tmp_path):
    spec = _spec(tmp_path)
    text = explain(load(spec))
    _, rendered = build(spec)
    names = [t["name"] for t in yaml.safe_load(rendered[Path(f"prometheus/tests/{SERVICE}.test.yaml")])["tests"]]
    asserted = {what: int(re.search(rf"{what}.*?pages within (\d+) minutes", "\n".join(names)).group(1)) for what in ("401", "retired model id", "400s")}
    stated = [float(m) for m in re.findall(r"every request failing so pages in ([\d.]+) min", text)]
    assert len(stated) == 3  # credentials, model not found, client-error storm
    for said, bound in zip(stated, (asserted["401"], asserted["retired model id"], asserted["400s"])):
        assert said <= bound
    assert asserted["401"] <= 5 and asserted["retired model id"] <= 5 and asserted["400s"] <= 10  # the bounds, by default


def test_excluding_credentials_statuses_warns_and_still_pages(tmp_path):
    service, rendered = build(_spec(tmp_path, exclude=["400", "401", "403", "404", "413"]))
    (warning,) = [w for w in service.warnings if "excludes 401, 403, 404" in w]
    assert "CredentialsRejected and ModelNotFound alerts still page" in warning and "remove 401, 403, 404 from exclude_status" in warning
    rules = yaml.safe_load(rendered[conv.rules_file(SERVICE)])
    alerts = {r["alert"]: r for g in rules["groups"] for r in g["rules"] if "alert" in r}
    assert alerts[conv.failure_alert(SERVICE, "CredentialsRejected")]["labels"]["severity"] == conv.SEVERITY_PAGE
    assert alerts[conv.failure_alert(SERVICE, "ModelNotFound")]["labels"]["severity"] == conv.SEVERITY_PAGE


def test_the_reference_counts_credentials_failures_against_the_slo():
    doc = yaml.safe_load((ROOT / "slo.yaml").read_text())
    assert doc["slos"][0]["sli"]["availability"]["exclude_status"] == ["400", "413"]
    service, _ = build(ROOT / "slo.yaml")
    assert not [w for w in service.warnings if "excludes 40" in w]


def test_a_profile_without_status_codes_or_attempts_names_what_it_cannot_cover():
    service, rendered = build(ROOT / "tests/golden/claude-basic/slo.yaml")
    (codes,) = [w for w in service.warnings if "records no HTTP status codes" in w]
    assert "credentials, model_not_found, client_errors alerts are left out" in codes and "export the status code" in codes
    (attempts,) = [w for w in service.warnings if "no counter of HTTP attempts" in w]
    assert "claude_api_attempts_total" in attempts
    assert not any(b"CredentialsRejected" in data for path, data in rendered.items() if path.suffix == ".yaml")


def test_otel_genai_reads_slogen_instruments_attempts_when_the_spec_names_them(tmp_path, promtool):
    """OpenLLMetry and openai-v2 export no attempts, so the otel-genai profile leaves the upstream alert out and says how
    to get it; with `metrics.signals.attempts: {}` it reads slogen.instrument's slogen_client_attempts_total (the
    names tests/test_instrument.py sees the real OpenTelemetry exporter write) and its cases pass in promtool."""
    doc = yaml.safe_load((ROOT / "tests/golden/otel-genai/slo.yaml").read_text())
    service = doc["service"]
    path = tmp_path / "slo.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    without, _ = build(path)
    (warning,) = [w for w in without.warnings if "no counter of HTTP attempts" in w]
    assert "add `attempts: {}` under metrics.signals" in warning
    doc["metrics"]["signals"]["attempts"] = {}
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    names, run = _failure_cases(path, tmp_path, service)
    assert run.returncode == 0, run.stdout + run.stderr
    assert any("overloaded upstream" in n for n in names), names
    rules = yaml.safe_load((tmp_path / "rules.yaml").read_text())
    text = yaml.safe_dump(rules)
    assert 'slogen_client_attempts_total{' in text and 'http_response_status_code=~"5..|timeout|network"' in text
