"""Grafana dashboards: schema-valid, the five views with the seeds' panels, reading the bundle's own rules."""

import hashlib
import json
import re
from pathlib import Path

import jsonschema
import pytest
import yaml

from generator import build, conventions as conv
from generator.tools import lint
from generator.tools.lint.base import Context, Severity
from generator.tools.lint.dashboards import SCHEMA, Grid, Identity, QueryParse, Schema, Sources, Variables, defined, metric_names, panels, queries, referenced
from generator.write import write

ROOT = Path(__file__).resolve().parent.parent
CHECKS = (Schema(), Identity(), Grid(), QueryParse(), Sources(), Variables())
GOLDEN = ROOT / "tests/golden"


def boards(out: Path) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((out / "grafana/dashboards").glob("*.json"))}


def titles(board: dict) -> set[str]:
    return {p["title"] for p in panels(board)}


def recorded(out: Path) -> set[str]:
    doc = yaml.safe_load(next((out / "prometheus/rules").glob("*.yaml")).read_text())
    return {r["record"] for g in doc["groups"] for r in g["rules"] if "record" in r}


@pytest.fixture
def bundle(tmp_path):
    _, rendered = build(ROOT / "slo.yaml")
    write(tmp_path, rendered)
    return tmp_path


def test_every_dashboard_validates_against_grafanas_schema():
    validator = jsonschema.Draft7Validator(json.loads(SCHEMA.read_text()))
    found = boards(ROOT / "out")
    assert len(found) == 5
    for name, board in found.items():
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(board)]
        assert errors == [], name


def test_the_vendored_schema_is_grafanas_own():
    notice = (SCHEMA.parent / "NOTICE").read_text()
    digest = re.search(r"sha256 ([0-9a-f]{64})  " + re.escape(SCHEMA.name), notice)
    assert digest and (SCHEMA.parent / "LICENSE").is_file()
    assert hashlib.sha256(SCHEMA.read_bytes()).hexdigest() == digest.group(1), "the vendored schema differs from the upstream copy NOTICE names"


def test_the_schema_check_catches_a_broken_dashboard(bundle):
    path = next((bundle / "grafana/dashboards").glob("*.json"))
    board = json.loads(path.read_text())
    board["panels"][1]["gridPos"] = "top left"
    board["graphTooltip"] = "always"
    path.write_text(json.dumps(board))
    found = lint.run(Context(out=bundle), (Schema(),)).problems
    assert {p.where.split(": ")[1] for p in found} >= {"graphTooltip", "panels/1"}
    assert all(p.severity == Severity.BUG for p in found)


def test_the_five_views_have_the_seeds_panels():
    found = boards(ROOT / "out")
    uid = lambda kind: conv.dashboard_uid("claude-assistant", kind)  # noqa: E731
    assert set(found) == {uid(k) for k in ("overview", "slos", "cost", "tokens", "ratelimits")}
    assert titles(found[uid("overview")]) >= {
        "Request rate", "Requests by status class", "Time to first token p50 / p95 / p99", "Total latency p50 / p95 / p99", "Output tokens per second",
    }
    status = next(p for p in panels(found[uid("overview")]) if p["title"] == "Requests by status class")
    assert [t["legendFormat"] for t in status["targets"]] == ["2xx", "4xx", "429", "5xx/529", "timeouts"]
    assert titles(found[uid("cost")]) >= {
        "Spend, last 24h", "Spend by model", "Spend by feature", "Projected daily spend", "Projected 30-day spend", "Cost per request",
    }
    assert titles(found[uid("tokens")]) >= {
        "Tokens per request", "Output / input ratio", "Cache-read share of prompt tokens (30m)", "max_tokens truncations",
    }
    assert titles(found[uid("ratelimits")]) >= {"Utilisation now", "429 responses per second", "Seconds since the remaining-gauge last changed"}
    gauge = next(p for p in panels(found[uid("ratelimits")]) if p["type"] == "gauge")
    assert [s["value"] for s in gauge["fieldConfig"]["defaults"]["thresholds"]["steps"]] == [None, 0.8, 0.9]
    slo_rows = [p["title"] for p in panels(found[uid("slos")]) if p["type"] == "row"]
    assert [r.split(":")[0] for r in slo_rows] == ["availability", "total-latency", "ttft"]
    assert titles(found[uid("slos")]) >= {"SLI against the objective", "Error budget remaining", "Burn rate per alert window", "Firing alerts", "Budget burndown"}


def test_panels_read_the_bundles_recording_rules():
    out = ROOT / "out"
    rules = recorded(out)
    read = {name for board in boards(out).values() for _, expr in queries(board) for name in metric_names(expr)}
    slogen_names = {n for n in read if ":" in n}
    assert slogen_names <= rules, slogen_names - rules
    # The views show what the alerts see: these recordings are read, not recomputed.
    assert {conv.COST_RATE, conv.RATELIMIT_UTILISATION, conv.THROTTLED_RATE, conv.BUDGET_REMAINING, conv.TTFT_P95, conv.OUTPUT_SPEED_5M} <= slogen_names
    assert conv.spend_rate("1d") in slogen_names and conv.sli_error_ratio("1h") in slogen_names


def test_variables_ids_and_links():
    for board in boards(ROOT / "out").values():
        variables = {v["name"]: v for v in board["templating"]["list"]}
        assert list(variables) == ["datasource", "model", "feature"]
        for name in ("model", "feature"):
            assert variables[name]["multi"] and variables[name]["includeAll"] and variables[name]["allValue"] == ".*"
        assert all(p["datasource"]["uid"] == "${datasource}" for p in panels(board) if p["type"] != "row")
        links = {link["title"]: link for link in board["links"]}
        assert links["Dashboards"]["tags"] == ["slogen:claude-assistant"] and "slogen:claude-assistant" in board["tags"]
        assert links["Runbooks"]["url"].endswith("/out/runbooks/")
    assert lint.run(Context(out=ROOT / "out"), CHECKS).problems == ()


@pytest.mark.parametrize(
    ("service", "kind"),
    [("claude-assistant", "overview"), ("a.b_c-d", "slos"), ("x" * 63, "ratelimits"), ("y" * 63, "ratelimits")],
)
def test_uids_are_stable_short_and_distinct(service, kind):
    uid = conv.dashboard_uid(service, kind)
    assert uid == conv.dashboard_uid(service, kind) and 0 < len(uid) <= 40
    assert uid.replace("-", "").replace("_", "").isalnum()
    assert uid != conv.dashboard_uid(service, "overview" if kind != "overview" else "slos")
    assert conv.dashboard_uid("x" * 63, kind) != conv.dashboard_uid("x" * 62, kind)


def test_alerts_carry_the_url_of_their_dashboard():
    doc = yaml.safe_load(next((ROOT / "out/prometheus/rules").glob("*.yaml")).read_text())
    urls = {r["alert"]: r["annotations"].get("dashboard_url") for g in doc["groups"] for r in g["rules"] if "alert" in r}
    base = "https://grafana.example.com/d/claude-assistant-"
    assert urls["ClaudeAssistantAvailabilityErrorBudgetBurn"] == base + "slos"
    assert urls["ClaudeAssistantSpendBudgetBurn"] == base + "cost"
    assert urls["ClaudeAssistantRateLimitHeadroomLow"] == base + "ratelimits"
    assert urls["ClaudeAssistantTtftP95High"] == base + "overview"
    assert urls["ClaudeAssistantMaxTokensTruncations"] == base + "tokens"
    assert all(urls.values())


def test_without_a_grafana_link_alerts_have_no_dashboard_url_and_switched_off_rules_fall_back_to_raw_metrics(spec_file, tmp_path):
    spec = spec_file(
        """\
        version: 1
        service: svc
        slos:
          - {name: avail, objective: 99, sli: {availability: {}}}
        budgets: {rate_limits: {enabled: false}}
        alerts: {output_speed: {enabled: false}, cache_reads: {enabled: false}}
        """
    )
    _, rendered = build(spec)
    out = tmp_path / "out"
    write(out, rendered)
    assert "dashboard_url" not in (out / "prometheus/rules/svc.yaml").read_text()
    assert set(boards(out)) == {"svc-overview", "svc-slos", "svc-tokens"}  # no cost budget, no rate-limit rules
    assert not (out / "kubernetes").exists()  # no `kubernetes` in the spec: no Kubernetes objects
    speed = next(p for p in panels(boards(out)["svc-overview"]) if p["title"] == "Output tokens per second")
    assert metric_names(speed["targets"][0]["expr"]) == {"claude_api_tokens_total", "claude_api_request_duration_seconds_sum"}
    assert lint.run(Context(out=out), CHECKS).problems == ()


def test_provisioning_and_configmaps():
    out = ROOT / "out"
    provider = yaml.safe_load((out / "grafana/provisioning/dashboards.yaml").read_text())["providers"][0]
    assert provider["type"] == "file" and provider["options"]["path"]
    configmaps = sorted((out / "kubernetes").glob("dashboard-*.yaml"))
    assert len(configmaps) == len(list((out / "grafana/dashboards").glob("*.json")))
    for path in configmaps:
        cm = yaml.safe_load(path.read_text())
        assert cm["kind"] == "ConfigMap" and cm["metadata"]["namespace"] == "monitoring"
        assert cm["metadata"]["labels"] == {"grafana_dashboard": "1"}
        (name, text), = cm["data"].items()
        assert json.loads(text) == json.loads((out / "grafana/dashboards" / name).read_text())


def _edit(out: Path, fn) -> None:
    path = out / "grafana/dashboards/claude-assistant-overview.json"
    board = json.loads(path.read_text())
    fn(board)
    path.write_text(json.dumps(board))


def _problems(out: Path, check) -> list:
    return list(lint.run(Context(out=out), (check,)).problems)


def test_a_query_that_does_not_parse_is_fatal(bundle):
    _edit(bundle, lambda b: b["panels"][1]["targets"][0].update(expr="sum(rate(x[$__rate_interval])"))
    (p,) = _problems(bundle, QueryParse())
    assert p.severity == Severity.FATAL and "Request rate" in p.where


def test_a_panel_reading_a_series_nobody_writes_is_a_bug(bundle):
    _edit(bundle, lambda b: b["panels"][1]["targets"][0].update(expr='llm:spend_usd:rate2w{service="claude-assistant"}'))
    (p,) = _problems(bundle, Sources())
    assert p.severity == Severity.BUG and "llm:spend_usd:rate2w" in p.message


def test_overlapping_panels_and_duplicate_ids_are_reported(bundle):
    def clash(board):
        board["panels"][2]["gridPos"] = dict(board["panels"][1]["gridPos"])
        board["panels"][3]["id"] = board["panels"][1]["id"]

    _edit(bundle, clash)
    assert ["overlaps panel 'Request rate'"] == [p.message for p in _problems(bundle, Grid())]
    assert any("panel id 2 is used more than once" in p.message for p in _problems(bundle, Identity()))


def _many(tmp_path: Path, n: int) -> Path:
    slos = [{"name": f"s{i:03d}", "objective": 99.5 if i % 2 else 95,
             "sli": {"availability": {}} if i % 2 else {"latency": {"signal": "ttft", "threshold": "3s"}}} for i in range(n)]
    spec = tmp_path / f"slo-{n}.yaml"
    spec.write_text(yaml.safe_dump({"version": 1, "service": "fleet", "slos": slos}))
    _, rendered = build(spec)
    out = tmp_path / f"out-{n}"
    write(out, rendered)
    return out


def test_past_a_few_dozen_slos_one_row_repeats_over_an_slo_variable_and_the_board_stops_growing(tmp_path):
    few, many = _many(tmp_path, conv.DASHBOARD_SLO_ROWS), _many(tmp_path, 3 * conv.DASHBOARD_SLO_ROWS)
    rows = [p for p in boards(few)["fleet-slos"]["panels"] if p["type"] == "row"]
    assert len(rows) == conv.DASHBOARD_SLO_ROWS and not any(r.get("repeat") for r in rows)
    board = boards(many)["fleet-slos"]
    rows = [p for p in board["panels"] if p["type"] == "row"]
    assert [(r["title"], r["repeat"]) for r in rows] == [("$slo", "slo")]
    variable = next(v for v in board["templating"]["list"] if v["name"] == "slo")
    assert variable["multi"] and variable["includeAll"] and 'slo:objective:ratio{service="fleet"}' in variable["query"]
    assert all('slo=~"$slo"' in expr for where, expr in queries(board) if "slo:" in expr and not where.startswith("variable"))
    assert _problems(many, Schema()) == [] and _problems(many, QueryParse()) == [] and _problems(many, Sources()) == []
    assert _problems(many, Grid()) == [] and _problems(many, Identity()) == []
    assert (many / "grafana/dashboards/fleet-slos.json").stat().st_size < (few / "grafana/dashboards/fleet-slos.json").stat().st_size / 5


def test_every_variable_a_golden_board_reads_is_defined_on_that_board():
    """Grafana sends an undefined `$feature` to Prometheus as it is, and the panel matches nothing (issue 28)."""
    checked = 0
    for expected in sorted(GOLDEN.glob("*/expected")):
        for name, board in boards(expected).items():
            known = defined(board)
            for title, expr in queries(board):
                assert referenced(expr) <= known, (expected.parent.name, name, title, referenced(expr) - known)
                checked += 1
        assert _problems(expected, Variables()) == []
    assert checked > 400  # every golden bundle's boards, not an empty glob


def test_boards_have_a_variable_only_for_labels_the_request_series_carry():
    for case, expected in (("reference", ["datasource", "model", "feature"]), ("litellm", ["datasource", "model"]),
                           ("claude-basic", ["datasource", "model"]), ("otel-genai", ["datasource", "model"])):
        for board in boards(GOLDEN / case / "expected").values():
            assert [v["name"] for v in board["templating"]["list"] if v["name"] != "slo"] == expected, case


def test_a_query_reading_an_undefined_variable_is_a_bug(bundle):
    def feature_gone(board):
        board["templating"]["list"] = [v for v in board["templating"]["list"] if v["name"] != "feature"]
        board["panels"][1]["targets"][0]["expr"] += ' * on () group_left x{feature=~"${feature:regex}", y="[[model]]", z="$1"}'

    before = boards(bundle)["claude-assistant-overview"]
    _edit(bundle, feature_gone)
    problems = _problems(bundle, Variables())
    filtered = {f"claude-assistant-overview.json: {title}" for title, expr in queries(before) if '"$feature"' in expr}
    assert "claude-assistant-overview.json: Request rate" in filtered
    assert {p.where for p in problems} == filtered
    assert {p.message.split(",")[0] for p in problems} == {"reads $feature"}  # $model is defined; $1 is a regex group
    assert all(p.severity == Severity.BUG for p in problems)


def test_a_panel_that_can_have_no_data_is_left_out_and_the_build_says_why():
    notes = {case: [w for w in build(GOLDEN / case / "slo.yaml")[0].warnings if w.startswith("dashboard ")] for case in ("reference", "litellm", "otel-genai")}
    assert notes["reference"] == []
    assert notes["litellm"] == [
        "dashboard llm-gateway / Cost leaves out 'Spend by feature': profile litellm has no feature label on its cost series; "
        "set metrics.labels.feature to the exporter's label that holds it"
    ]
    assert any("'Tokens per request: cache_read, cache_write'" in n and "cache" in n for n in notes["otel-genai"])
    litellm = boards(GOLDEN / "litellm/expected")
    assert "Spend by feature" not in titles(litellm["llm-gateway-cost"]) and "Spend by model" in titles(litellm["llm-gateway-cost"])
    otel = next(p for p in panels(boards(GOLDEN / "otel-genai/expected")["otel-assistant-tokens"]) if p["title"] == "Tokens per request")
    assert [t["legendFormat"] for t in otel["targets"]] == ["input", "output"]


def test_naming_the_feature_label_brings_the_split_back(spec_file, tmp_path):
    spec = spec_file(
        """\
        version: 1
        service: gw
        metrics: {profile: litellm, labels: {feature: team}}
        slos: [{name: availability, objective: 99.5, sli: {availability: {}}}]
        budgets: {cost: {monthly_usd: 100, source: counter}}
        """
    )
    bundle, rendered = build(spec)
    write(tmp_path, rendered)
    assert not [w for w in bundle.warnings if w.startswith("dashboard ")]
    cost = boards(tmp_path)["gw-cost"]
    assert [v["name"] for v in cost["templating"]["list"]] == ["datasource", "model", "feature"]
    spend = next(p for p in panels(cost) if p["title"] == "Spend by feature")
    assert spend["targets"][0]["expr"] == 'sum by (feature) (llm:cost_usd:rate5m{service="gw", model=~"$model", feature=~"$feature"}) * 3600'
    assert _problems(tmp_path, Variables()) == []
