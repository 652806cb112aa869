"""Hostile and unusual specs: whatever amtool or promtool would refuse in the bundle, or what makes no
sense, is refused at validation with file, line, field and fix; what validation accepts, the real
tools accept."""

import subprocess

import pytest
import yaml
from typer.testing import CliRunner

from generator import build
from generator.cli import app
from generator.errors import SpecError
from generator.write import write
from test_spec_errors import GOOD, assert_refused

NOTIFY = GOOD + """\
notifications:
  receivers:
    team: {slack: {channel: '#alerts', api_url_file: /etc/alertmanager/secrets/slack}}
  routes:
    - {receivers: [team]}
"""


def route(extra: str) -> str:
    return NOTIFY.replace("- {receivers: [team]}", "- {receivers: [team], " + extra + "}")


def interval(body: str) -> str:
    return route("active_time_intervals: [night]") + f"  time_intervals:\n    night:\n      - {body}\n"


def receiver(body: str) -> str:
    return NOTIFY.replace("{slack: {channel: '#alerts', api_url_file: /etc/alertmanager/secrets/slack}}", body)


SMTP = "  smtp: {smarthost: 'smtp.example.com:587', from: 'alerts@example.com'}\n"
SLOS2 = GOOD + "  - name: NAME\n    objective: 99\n    sli: {availability: {}}\n"

CASES = {
    # Label names and matchers amtool parses.
    "route label name": (route("match: {'team-name': a}"), ["slo.yaml:11:35", "notifications.routes[0].match", "not a Prometheus label name"]),
    "group_by label name": (NOTIFY + "  group_by: ['alert name']\n", ["notifications.group_by[0]", "not a label name", "'...'"]),
    "matcher value with a line break": (route('match: {team: "a\\nb"}'), ["notifications.routes[0].match.team", "one line"]),
    # Time intervals and zones.
    "time of day 25:99": (interval("{times: [{start_time: '25:99', end_time: '26:00'}]}"), ["slo.yaml:14", "time_intervals.night[0].times[0].start_time", "HH:MM"]),
    "range ending before it starts": (interval("{times: [{start_time: '18:00', end_time: '09:00'}]}"), ["times[0]", "split a range past midnight"]),
    "weekday": (interval("{weekdays: ['monday:funday']}"), ["weekdays[0]", "not a weekday", "monday:friday"]),
    "day of month 0": (interval("{days_of_month: ['0:5']}"), ["days_of_month[0]", "1:7"]),
    "month 13": (interval("{months: ['13']}"), ["months[0]", "january:march"]),
    "unknown time zone": (interval("{location: Mars/Olympus_Mons}"), ["night[0].location", "IANA", "Europe/Paris"]),
    # Addresses, ports, URLs.
    "smarthost without a port": (receiver("{email: {to: [a@example.com]}}") + SMTP.replace(":587", ""), ["notifications.smtp.smarthost", "has no port"]),
    "smarthost port out of range": (receiver("{email: {to: [a@example.com]}}") + SMTP.replace(":587", ":99999"), ["smtp.smarthost", "1-65535"]),
    "recipient not an address": (receiver("{email: {to: [oncall]}}") + SMTP, ["receivers.team.email.to[0]", "not an email address"]),
    "sender not an address": (receiver("{email: {to: [a@example.com]}}") + SMTP.replace("alerts@example.com", "alerts at example"), ["smtp.from", "not an email address"]),
    "webhook URL not a URL": (receiver("{webhook: {url: 'hooks.example.com/alerts'}}"), ["receivers.team.webhook.url", "not an http(s) URL"]),
    "webhook URL with a bad port": (receiver("{webhook: {url: 'http://h.example.com:0/x'}}"), ["webhook.url", "not an http(s) URL"]),
    "empty secret file": (receiver("{slack: {channel: '#a', api_url_file: ''}}"), ["slack.api_url_file", "is empty", "/etc/alertmanager/secrets"]),
    "Go template in links.grafana": (GOOD + "links: {grafana: 'https://g.example.com/{{ .Labels.x }}'}\n", ["links.grafana", "Go template", "%7B%7B"]),
    "Go template in links.runbooks": (GOOD + "links: {runbooks: 'https://git.example.com/}}'}\n", ["links.runbooks", "Go template"]),
    "runbook base not a URL": (GOOD + "links: {runbooks: 'see wiki'}\n", ["links.runbooks", "not an http(s) URL"]),
    # What Prometheus 2 cannot parse.
    "dotted metric override": (GOOD + "metrics: {signals: {requests: {metric: 'llm.requests'}}}\n", ["metrics", "not a Prometheus metric name", "naming: utf8"]),
    "metric override with a brace": (GOOD + "metrics: {signals: {requests: {metric: 'x{a=\"b\"}'}}}\n", ["metrics.signals.requests.metric", "not a metric name"]),
    "label override": (GOOD + "metrics: {labels: {model: 'model-name'}}\n", ["metrics.labels.model", "not a Prometheus label name"]),
    "status regex with look-ahead": (GOOD.replace("{availability: {}}", "{availability: {good_status: '2(?!00)..'}}"), ["sli.availability.good_status", "RE2"]),
    "status regex that does not compile": (GOOD.replace("{availability: {}}", "{availability: {bad_status: '5..|('}}"), ["bad_status", "not a regular expression"]),
    # Intervals against the burn windows.
    "scrape interval longer than the windows": (GOOD + "metrics: {scrape_interval: 10m}\n", ["slo.yaml:7", "metrics", "fewer than two scrapes", "150s"]),
    "evaluation interval longer than the windows": (GOOD + "metrics: {evaluation_interval: 10m}\n", ["metrics", "evaluation_interval 10m", "at least every 5m"]),
    "duration past Prometheus' range": (GOOD.replace("sli:", "alerting: {nodata_for: 99999999d}\n    sli:"), ["slos[0].alerting.nodata_for", "longer than 5 years"]),
    # Finite, positive, sane numbers everywhere.
    "negative burst ratio": (GOOD + "alerts: {error_burst: {ratio: -5}}\n", ["alerts.error_burst.ratio", "percentage from 0"]),
    "NaN bucket": (GOOD + "metrics: {signals: {ttft: {buckets: [.nan, 1]}}}\n", ["metrics.signals.ttft.buckets[0]", "finite"]),
    "zero bucket": (GOOD + "metrics: {signals: {ttft: {buckets: [0, 1]}}}\n", ["metrics.signals.ttft.buckets", "above 0"]),
    "infinite budget": (GOOD + "budgets: {cost: {monthly_usd: .inf, source: counter}}\n", ["budgets.cost.monthly_usd", "finite"]),
    "1e308 budget": (GOOD + "budgets: {cost: {monthly_usd: 1e308, source: counter}}\n", ["budgets.cost.monthly_usd", "too large"]),
    "NaN price": (GOOD + "pricing: {as_of: 2025-01-01, models: {m: {input: .nan, output: 1}}}\n", ["pricing.models.m.input", "finite"]),
    "infinite anomaly factor": (GOOD + "budgets: {cost: {monthly_usd: 10, source: counter, anomaly_factor: .inf}}\n", ["anomaly_factor", "finite"]),
    "NaN objective": (GOOD.replace("99.5", ".nan"), ["slos[0].objective", "not a percentage"]),
    "percent text NaN": (GOOD.replace("99.5", "'nan%'"), ["slos[0].objective", "not a percentage"]),
    "huge min_events": (GOOD.replace("sli:", "alerting: {min_events: 1000000000000}\n    sli:"), ["min_events", "1000000"]),
    "infinite label value": (GOOD + "labels: {team: .inf}\n", ["labels.team", "quote it"]),
    # Sizes.
    "5 MB description": (GOOD.replace("objective:", f"description: {'x' * 5_000_000}\n    objective:"), ["slos[0].description", "keep it under 4,096"]),
    "huge label value": (GOOD + f"labels: {{team: {'y' * 5000}}}\n", ["labels.team", "under 1024"]),
    "kubernetes namespace": (GOOD + "kubernetes: {namespace: AI_Platform}\n", ["kubernetes.namespace", "lowercase"]),
    # Names unique once case and separators are gone (alert names and runbook files are).
    "names differing by a separator": (SLOS2.replace("NAME", "availa-bility"), ["slos[1].name", "'availa-bility' and 'availability' differ only in case or separators"]),
    "names differing by case": (SLOS2.replace("NAME", "Availability"), ["slos[1].name", "differ only in case"]),
    # A loose objective: the file, the field and the fix.
    "objective 10%": (GOOD.replace("99.5", "10"), ["slo.yaml:5", "slos[0].objective", "10% leaves a 90% error budget", "e.g. 99.5", "at least 50"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_what_the_tools_would_refuse_is_refused_at_validation(case, tmp_path):
    assert_refused(*CASES[case], tmp_path)


@pytest.mark.parametrize("value", [
    "https://hooks.slack.com/services/T0000/B0000/XXXXXXXXXXXXXXXXXXXXXXXX", "hooks.slack.com/services/T0/B0/X", "xoxb-1234-5678-abcdef",
    "R0123456789ABCDEF0123456789ABCDE", "sk-ant-api03-abcdefghijklmnop", "AKIAIOSFODNN7EXAMPLE",
])
@pytest.mark.parametrize("field", ["slack: {channel: '#a', api_url_file: %s}", "pagerduty: {routing_key_file: %s}", "opsgenie: {api_key_file: %s}"])
def test_a_secret_pasted_into_a_file_field_is_refused(value, field, tmp_path):
    assert_refused(receiver("{" + field % f"'{value}'" + "}"), ["_file", "not a file path", "/etc/alertmanager/secrets/"], tmp_path)


def test_what_looks_odd_but_is_valid_still_builds(tmp_path):
    spec = tmp_path / "slo.yaml"
    spec.write_text(route("match: {team: 'a \"quoted\" {x}'}, group_by: ['...']") + SMTP.replace("alerts@example.com", "Alerts <alerts@example.com>")
                    + "  time_intervals:\n    night:\n      - {times: [{start_time: '00:00', end_time: '24:00'}], weekdays: ['Monday:friday'],"
                    " days_of_month: ['-3:-1', '1'], months: ['1:3', december], location: America/Argentina/Buenos_Aires}\n"
                    + "links: {runbooks: 'https://git.example.com/out', grafana: 'http://[::1]:3000'}\n"
                    + "metrics: {scrape_interval: 2m, signals: {requests: {metric: 'my:requests_total'}}}\n")
    spec.write_text(spec.read_text().replace("receivers: [team],", "receivers: [team], active_time_intervals: [night],"))
    result = CliRunner().invoke(app, ["build", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output


# Pools that mix what Alertmanager and Prometheus read with what they refuse, each value tried in a
# spec otherwise valid: whatever the validation lets through, the real tool must accept.
AM_POOLS = {
    "smarthost": ["smtp.example.com:587", "smtp.example.com", "[::1]:25", "10.0.0.1:25", "host:0", "host:65536", ":25", "a b:25", "h:25x"],
    "from": ["a@example.com", "Ops <ops@example.com>", "a@b", "nobody", "a@@example.com", "<a@example.com", "a@example.com\n"],
    "to": ["a@example.com", "Ops <ops@example.com>", "a@b", "nobody", "x@y.z, w@v.u"],
    "url": ["https://h.example.com/x", "http://h:8080", "h.example.com", "ftp://h/x", "https://", "https://h/{{x}}", "http://h:99999/"],
    "start_time": ["00:00", "09:30", "23:59", "24:01", "9:00", "12:60", "ab:cd", ""],
    "end_time": ["24:00", "23:59", "25:00", "00:00"],
    "weekday": ["monday", "monday:friday", "Sunday", "funday", "monday:", "1", "saturday:sunday"],
    "month": ["january:march", "1:3", "12", "13", "0", "jan"],
    "day": ["1", "1:31", "-1", "-3:-1", "0", "32", "5:1"],
    "location": ["UTC", "Local", "Europe/Paris", "Mars/Base", "Europe/Paris ", ""],
    "group_by": ["alertname", "...", "a-b", "1a", "__x", "", "slo"],
    "match_key": ["team", "team-name", "1team", "__name__", ""],
}


def _am_spec(field: str, value: str) -> dict:
    good = {k: v[0] for k, v in AM_POOLS.items()}
    good["end_time"] = "24:00"
    good[field] = value
    data = yaml.safe_load(GOOD)
    data["notifications"] = {
        "receivers": {"mail": {"email": {"to": [good["to"]]}, "webhook": {"url": good["url"]}}},
        "routes": [{"receivers": ["mail"], "group_by": [good["group_by"]], "match": {good["match_key"]: "x"}, "mute_time_intervals": ["off"]}],
        "smtp": {"smarthost": good["smarthost"], "from": good["from"]},
        "time_intervals": {"off": [{"times": [{"start_time": good["start_time"], "end_time": good["end_time"]}], "weekdays": [good["weekday"]],
                                    "months": [good["month"]], "days_of_month": [good["day"]], "location": good["location"]}]},
    }
    return data


def _accepted(data: dict, folder) -> bool:  # noqa: ANN001
    (folder / "slo.yaml").write_text(yaml.safe_dump(data))
    try:
        _, rendered = build(folder / "slo.yaml")
    except SpecError:
        return False
    write(folder / "out", rendered)
    return True


@pytest.mark.parametrize("field", sorted(AM_POOLS))
def test_what_validation_accepts_amtool_accepts(tmp_path, amtool, field):
    verdicts = []
    for i, value in enumerate(AM_POOLS[field]):
        folder = tmp_path / str(i)
        folder.mkdir()
        verdicts.append(_accepted(_am_spec(field, value), folder))
        if verdicts[-1]:
            check = subprocess.run([amtool, "check-config", str(folder / "out" / "alertmanager" / "alertmanager.yml")], capture_output=True, text=True)
            assert check.returncode == 0, f"{field}={value!r} passed validation, amtool refused it:\n{check.stdout}{check.stderr}"
    assert True in verdicts and False in verdicts  # the pool holds both kinds


PROM_POOLS = {
    "metric": ["llm_requests_total", "ns:llm_requests:rate", "llm.requests", "1requests", "llm-requests", "llm requests", "_x"],
    "label": ["model", "model_name", "model-name", "1model", "__model", "modèle", ""],
}


@pytest.mark.parametrize("field", sorted(PROM_POOLS))
def test_what_validation_accepts_promtool_accepts(tmp_path, promtool, field):
    verdicts = []
    for i, value in enumerate(PROM_POOLS[field]):
        data = yaml.safe_load(GOOD)
        data["metrics"] = {"signals": {"requests": {"metric": value if field == "metric" else "llm_requests_total"}},
                           "labels": {"status": value if field == "label" else "code"}}
        folder = tmp_path / str(i)
        folder.mkdir()
        verdicts.append(_accepted(data, folder))
        if verdicts[-1]:
            rules = next((folder / "out" / "prometheus" / "rules").iterdir())
            check = subprocess.run([promtool, "check", "rules", str(rules)], capture_output=True, text=True)
            assert check.returncode == 0, f"{field}={value!r} passed validation, promtool refused it:\n{check.stdout}{check.stderr}"
    assert True in verdicts and False in verdicts
