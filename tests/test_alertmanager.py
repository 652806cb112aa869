"""Alertmanager output: routing proven with the real amtool, templates rendered, secrets kept out."""

import json
import subprocess
from pathlib import Path

import pytest
import yaml

from generator import build, load
from generator.tools import lint
from generator.compile.alertmanager import expected_receivers
from generator.tools.lint.amtool import CheckConfig, Routes, Templates, route_args
from generator.tools.lint.base import Context
from generator.write import write

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def bundle(tmp_path):
    write(tmp_path, build(ROOT / "slo.yaml")[1])
    return tmp_path


def routed(amtool: str, config: Path, labels: dict[str, str]) -> str:
    args = [a for a in route_args(config, labels, []) if not a.startswith("--verify")]
    result = subprocess.run([amtool, *args], capture_output=True, text=True, check=True)
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("labels", "receivers"),
    [
        ({"severity": "warning", "category": "availability", "slo": "ttft"}, "slack-alerts"),
        ({"severity": "critical", "category": "availability", "slo": "availability"}, "slack-alerts,oncall"),
        ({"severity": "warning", "category": "cost"}, "slack-alerts,cost-email"),
        ({"severity": "critical", "category": "cost"}, "slack-alerts,oncall,cost-email"),
        ({"severity": "info", "category": "traffic"}, "slogen-null"),
    ],
)
def test_seed_routing(amtool, bundle, labels, receivers):
    """Warnings to Slack; criticals to Slack and PagerDuty; cost alerts also by email."""
    config = bundle / "alertmanager/alertmanager.yml"
    labels = {"alertname": "X", "service": "claude-assistant", **labels}
    assert routed(amtool, config, labels) == receivers
    assert ",".join(expected_receivers(labels, load(ROOT / "slo.yaml").notifications)) == receivers


def test_every_emitted_alert_reaches_the_implied_receivers(amtool, bundle):
    report = lint.run(Context(out=bundle, tools={"amtool": amtool}), (CheckConfig(), Routes(), Templates()))
    assert report.problems == (), report.render()
    cases = yaml.safe_load((bundle / "alertmanager/routing-tests.yaml").read_text())["cases"]
    assert {c["alert"] for c in cases} >= {"ClaudeAssistantAvailabilityErrorBudgetBurn", "ClaudeAssistantTtftSLIAbsent"}
    def told(severity, cost):
        return [c["receivers"] for c in cases if c["labels"]["severity"] == severity and (c["labels"]["category"] == "cost") == cost]

    assert told("critical", False) and all(r == ["slack-alerts", "oncall"] for r in told("critical", False))
    assert told("warning", False) and all(r == ["slack-alerts"] for r in told("warning", False))
    assert told("critical", True) and all(r == ["slack-alerts", "oncall", "cost-email"] for r in told("critical", True))
    assert told("warning", True) and all(r == ["slack-alerts", "cost-email"] for r in told("warning", True))


def test_routing_check_catches_a_wrong_tree(amtool, bundle):
    config = bundle / "alertmanager/alertmanager.yml"
    config.write_text(config.read_text().replace("receiver: oncall", "receiver: slack-alerts"))
    problems = Routes().run(Context(out=bundle, tools={"amtool": amtool}))
    assert problems and "expected slack-alerts,oncall" in problems[0].message


def test_templates_render_the_slo_burn_and_links(amtool, bundle, tmp_path):
    rules = yaml.safe_load(next((bundle / "prometheus/rules").iterdir()).read_text())
    rule = next(r for g in rules["groups"] for r in g["rules"] if r.get("alert", "").endswith("ErrorBudgetBurn"))
    alert = {
        "status": "firing",
        "labels": {"alertname": rule["alert"], **rule["labels"]},
        "annotations": {"summary": rule["annotations"]["summary"], "description": "burning at 18.0x; budget left: 62%",
                        "runbook_url": rule["annotations"]["runbook_url"], "dashboard_url": "https://grafana.example.com/d/x"},
    }
    data = {"receiver": "slack-alerts", "status": "firing", "alerts": [alert], "groupLabels": {}, "commonLabels": alert["labels"],
            "commonAnnotations": {}, "externalURL": "http://am"}
    (tmp_path / "data.json").write_text(json.dumps(data))
    out = subprocess.run(
        [amtool, "template", "render", f"--template.glob={bundle}/alertmanager/templates/*.tmpl",
         f"--template.data={tmp_path / 'data.json'}", '--template.text={{ template "slogen.title" . }}|{{ template "slogen.text" . }}'],
        capture_output=True, text=True, check=True,
    ).stdout
    assert out.startswith("[FIRING:1] CRITICAL claude-assistant SLO availability|")
    assert "burning at 18.0x; budget left: 62%" in out
    assert "Runbook: https://git.example.com/" in out and "Dashboard: https://grafana.example.com/d/x" in out
    assert "(very-fast tier, 5m/2m windows)" in out


def test_no_secret_value_reaches_out(tmp_path, spec_file):
    secrets = {"slack-url": "https://hooks.slack.com/services/T0/B0/SECRETSLACK", "pd": "SECRETROUTINGKEY", "smtp": "SECRETPASSWORD"}
    for name, value in secrets.items():
        (tmp_path / name).write_text(value)
    text = (ROOT / "slo.yaml").read_text()
    text = text.replace("/etc/alertmanager/secrets/slack-url", str(tmp_path / "slack-url"))
    text = text.replace("/etc/alertmanager/secrets/pagerduty-key", str(tmp_path / "pd"))
    text = text.replace("/etc/alertmanager/secrets/smtp-password", str(tmp_path / "smtp"))
    _, rendered = build(spec_file(text))
    blob = b"".join(rendered.values())
    assert not any(value.encode() in blob for value in secrets.values())
    config = yaml.safe_load(rendered[next(p for p in rendered if p.name == "alertmanager.yml")])
    files = [c["api_url_file"] for r in config["receivers"] for c in r.get("slack_configs", [])]
    assert files == [str(tmp_path / "slack-url")]


SPEC = """\
version: 1
service: svc
slos:
  - {name: availability, objective: 99.5, sli: {availability: {}}}
notifications:
  default_receiver: hook
  receivers:
    chat: {slack: {channel: "#a {{ x }}", api_url_file: /s}}
    hook: {webhook: {url: "http://127.0.0.1:9/hook"}}
  time_intervals:
    business-hours: [{weekdays: ["monday:friday"], times: [{start_time: "09:00", end_time: "17:00"}], location: Europe/Paris}]
  routes:
    - {match: {severity: critical}, receivers: [hook, chat], stop: true}
    - {match: {service: svc}, receivers: [chat], active_time_intervals: [business-hours], group_by: [alertname]}
"""


def test_stop_default_receiver_and_time_intervals(amtool, tmp_path, spec_file):
    spec = spec_file(SPEC)
    write(tmp_path / "out", build(spec)[1])
    config = tmp_path / "out/alertmanager/alertmanager.yml"
    check = subprocess.run([amtool, "check-config", str(config)], capture_output=True, text=True)
    assert check.returncode == 0, check.stdout + check.stderr
    assert routed(amtool, config, {"service": "svc", "severity": "critical"}) == "hook,chat"  # stop: no third match
    assert routed(amtool, config, {"service": "svc", "severity": "warning"}) == "chat"
    assert routed(amtool, config, {"service": "other"}) == "hook"
    doc = yaml.safe_load(config.read_text())
    assert doc["route"]["routes"][2]["active_time_intervals"] == ["business-hours"]
    assert doc["receivers"][0]["slack_configs"][0]["channel"] == '#a {{ "{{" }} x }}'
    n = load(spec).notifications
    assert expected_receivers({"service": "svc", "severity": "critical"}, n) == ["hook", "chat"]


def test_fragment_merges_into_an_existing_alertmanager(amtool, bundle, tmp_path):
    fragment = yaml.safe_load((bundle / "alertmanager/fragment.yml").read_text())
    base = {
        "route": {"receiver": "team-default", "routes": [fragment["route"]]},
        "receivers": [{"name": "team-default"}, *fragment["receivers"]],
        "inhibit_rules": fragment["inhibit_rules"],
        "global": yaml.safe_load((bundle / "alertmanager/alertmanager.yml").read_text())["global"],
    }
    config = tmp_path / "merged.yml"
    config.write_text(yaml.safe_dump(base))
    assert subprocess.run([amtool, "check-config", str(config)], capture_output=True).returncode == 0
    assert routed(amtool, config, {"service": "claude-assistant", "severity": "critical"}) == "slack-alerts,oncall"
    assert routed(amtool, config, {"service": "another-team", "severity": "critical"}) == "team-default"


def test_alertmanagerconfig_routes_like_the_plain_config(bundle):
    crd = yaml.safe_load((bundle / "kubernetes/alertmanagerconfig-claude-assistant.yaml").read_text())
    plain = yaml.safe_load((bundle / "alertmanager/alertmanager.yml").read_text())
    assert (crd["apiVersion"], crd["kind"], crd["metadata"]["namespace"]) == ("monitoring.coreos.com/v1alpha1", "AlertmanagerConfig", "monitoring")
    as_plain = [
        (r["receiver"], [f'{m["name"]}="{m["value"]}"' for m in r["matchers"]], r["continue"]) for r in crd["spec"]["route"]["routes"]
    ]
    assert as_plain == [(r["receiver"], r["matchers"], r["continue"]) for r in plain["route"]["routes"]]
    slack = next(r for r in crd["spec"]["receivers"] if r["name"] == "slack-alerts")["slackConfigs"][0]
    assert slack["apiURL"] == {"name": "alertmanager-claude-assistant", "key": "slack-url"}
    assert "_file" not in (bundle / "kubernetes/alertmanagerconfig-claude-assistant.yaml").read_text()
    # the operator only routes alerts whose namespace label matches: every rule carries it
    rules = yaml.safe_load(next((bundle / "prometheus/rules").iterdir()).read_text())
    alerts = [r for g in rules["groups"] for r in g["rules"] if "alert" in r]
    assert alerts and all(r["labels"]["namespace"] == "monitoring" for r in alerts)
