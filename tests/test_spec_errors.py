"""Every user mistake: a clear message with file, position, dotted path and fix; exit 2; out/ untouched."""

import pytest
from typer.testing import CliRunner

from generator.cli import app

GOOD = """\
version: 1
service: svc
slos:
  - name: availability
    objective: 99.5
    sli: {availability: {}}
"""

CASES = {
    "malformed YAML": ("version: 1\nslos: [\n", ["slo.yaml:3:1", "YAML syntax error"]),
    "empty file": ("", ["empty"]),
    "not a mapping": ("- a\n- b\n", ["YAML mapping"]),
    "no version": ("service: svc\nslos: []\n", ["version", "expected `version: 1`"]),
    "wrong version": ("version: 2\n", ["got 2"]),
    "unknown key with a hint": (GOOD.replace("objective: 99.5", "objectve: 99.5"), ["slos[0].objectve", "did you mean 'objective'", "slos[0].objective: required key is missing"]),
    "unknown key with a parenthesis": (GOOD + "'(': x\n", ["slo.yaml:7:1", "unknown key '('"]),
    "version true": (GOOD.replace("version: 1", "version: true"), ["expected `version: 1`, got True"]),
    "unknown top-level key": (GOOD + "alarms: {}\n", ["slo.yaml:7:1", "unknown key 'alarms'", "Valid keys:"]),
    "wrong type": (GOOD.replace("objective: 99.5", "objective: [1]"), ["slos[0].objective", "not a percentage"]),
    "objective 0": (GOOD.replace("99.5", "0"), ["slos[0].objective", "above 0 and below 100"]),
    "objective 100": (GOOD.replace("99.5", "100"), ["leaves no error budget"]),
    "objective above 100": (GOOD.replace("99.5", "150"), ["above 0 and below 100"]),
    "window 0d": (GOOD.replace("    sli:", "    window: 0d\n    sli:"), ["slos[0].window", "longer than zero"]),
    "window 13x": (GOOD.replace("    sli:", "    window: 13x\n    sli:"), ["slos[0].window", "not a duration"]),
    "window without a catalog": (GOOD.replace("    sli:", "    window: 14d\n    sli:"), ["slos[0].window", "use one of 7d, 28d, 30d"]),
    "duplicate SLO names": (GOOD + "  - name: availability\n    objective: 99\n    sli: {availability: {}}\n", ["slos[1].name", "used twice"]),
    "duplicate key": (GOOD + "service: other\n", ["slo.yaml:7:1", "key written twice"]),
    "two SLI kinds": (GOOD.replace("{availability: {}}", "{availability: {}, latency: {signal: ttft, threshold: 3s}}"), ["slos[0].sli", "exactly one"]),
    "threshold between buckets": (
        GOOD.replace("{availability: {}}", "{latency: {signal: ttft, threshold: 2.5s}}"),
        ["slos[0].sli.latency.threshold", "2.5s is not a bucket boundary of claude_api_ttft_seconds", "valid: 0.1, 0.25, 0.5, 1, 2, 3, 5"],
    ),
    "unknown latency signal": (GOOD.replace("{availability: {}}", "{latency: {signal: tokens, threshold: 3s}}"), ["slos[0].sli.latency.signal", "'tokens' is not allowed"]),
    "path traversal in the service": (GOOD.replace("service: svc", "service: ../../etc"), ["service", "not a valid name"]),
    "newline in an SLO name": (GOOD.replace("name: availability", 'name: "a\\nb"'), ["slos[0].name", "not a valid name"]),
    "reserved label": (GOOD + "labels: {severity: high}\n", ["labels", "set by slogen itself"]),
    "bad label name": (GOOD + "labels: {'team-name': x}\n", ["labels", "not a Prometheus label name"]),
    "cost budget without prices": (GOOD + "budgets: {cost: {monthly_usd: 100}}\n", ["budgets.cost", "needs a `pricing` table", "source: counter"]),
    "cache-read lines out of order": (GOOD + "alerts: {cache_reads: {steady: 5%, collapsed: 10%}}\n", ["alerts.cache_reads", "must be below steady"]),
    "server-error share of 100%": (GOOD + "alerts: {server_errors: {ratio: 100}}\n", ["alerts.server_errors.ratio", "above 0 and below 100"]),
    "allocation without a budget": (
        GOOD + "budgets: {cost: {monthly_usd: 100, source: counter, allocations: {chat: {features: [chat]}}}}\n",
        ["budgets.cost.allocations.chat.monthly_usd", "required"],
    ),
    "allocation using slogen's budget label": (
        GOOD + "budgets: {cost: {monthly_usd: 100, source: counter, allocations: {chat: {monthly_usd: 10, labels: {budget: x}}}}}\n",
        ["budgets.cost.allocations.chat.labels", "set by slogen itself"],
    ),
    "rate-limit lines out of order": (GOOD + "budgets: {rate_limits: {warning: 95%, critical: 90%}}\n", ["budgets.rate_limits", "warning < critical"]),
}


def _profile(name: str, extra: str = "") -> str:
    return GOOD.replace("service: svc", f"service: svc\nmetrics: {{profile: {name}{extra}}}")


# A signal the dialect does not emit is a spec error naming the profile, the signal and what to export.
CASES |= {
    "ttft SLO on claude-basic": (
        _profile("claude-basic").replace("{availability: {}}", "{latency: {signal: ttft, threshold: 3s}}"),
        ["slos[0].sli.latency.signal", "profile claude-basic has no time-to-first-token metric", "time to the first streamed token", "signal: duration"],
    ),
    "exclude_status on claude-basic": (
        _profile("claude-basic").replace("{availability: {}}", "{availability: {exclude_status: ['400']}}"),
        ["slos[0].sli.availability.exclude_status", "records no status codes", "`ok` or `error`"],
    ),
    "rate limits asked of otel-genai": (
        _profile("otel-genai") + "budgets: {rate_limits: {warning: 70%}}\n",
        ["budgets.rate_limits", "profile otel-genai has no `ratelimit_remaining` signal", "anthropic-ratelimit-*-remaining headers as a gauge"],
    ),
    "otel bucket fix is a View": (
        _profile("otel-genai").replace("{availability: {}}", "{latency: {signal: duration, threshold: 30s}}"),
        ["not a bucket boundary of gen_ai_client_operation_duration_seconds", "valid: 0.01, 0.02", 'View(instrument_name="gen_ai.client.operation.duration"',
         "ExplicitBucketHistogramAggregation([..., 30, ...])", "metrics.signals.duration.buckets"],
    ),
    "litellm bucket fix is prometheus_latency_buckets": (
        _profile("litellm").replace("{availability: {}}", "{latency: {signal: ttft, threshold: 0.8s}}"),
        ["not a bucket boundary of litellm_llm_api_time_to_first_token_metric", "litellm_settings.prometheus_latency_buckets"],
    ),
    "utf8 names on vmalert": (_profile("otel-genai", ", naming: utf8") + "target: victoriametrics\n", ["metrics.naming", "needs Prometheus 3", "use naming: collector"]),
    "naming is for otel-genai only": (_profile("litellm", ", naming: collector"), ["metrics.naming", "applies to the otel-genai profile only"]),
    "allocations without a feature label": (
        _profile("litellm") + "budgets: {cost: {monthly_usd: 100, source: counter, allocations: {chat: {monthly_usd: 10}}}}\n",
        ["budgets.cost.allocations", "profile litellm has no feature label", "metrics.labels.feature"],
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_spec_is_refused_clearly_and_out_is_untouched(case, tmp_path):
    assert_refused(*CASES[case], tmp_path)


def assert_refused(text, fragments, tmp_path):
    spec = tmp_path / "slo.yaml"
    spec.write_text(text, encoding="utf-8")
    out = tmp_path / "out"
    (out / "prometheus").mkdir(parents=True)
    (out / "prometheus" / "keep.yaml").write_text("previous bundle\n")
    result = CliRunner().invoke(app, ["build", str(spec), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.output, f"{fragment!r} not in:\n{result.output}"
    assert [p.name for p in out.rglob("*") if p.is_file()] == ["keep.yaml"]
    assert (out / "prometheus" / "keep.yaml").read_text() == "previous bundle\n"


def test_missing_file_is_a_user_error(tmp_path):
    result = CliRunner().invoke(app, ["build", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "file not found" in result.output


def test_a_binary_file_is_a_user_error(tmp_path):
    spec = tmp_path / "slo.yaml"
    spec.write_bytes(b"\xff\xfe\x00garbage")
    result = CliRunner().invoke(app, ["build", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "Traceback" not in result.output


NOTIFY = GOOD + """\
notifications:
  receivers:
    chat: {slack: {channel: "#a", api_url_file: /s}}
  routes:
    - {match: {severity: critical}, receivers: [chat]}
"""

NOTIFICATION_CASES = {
    "undefined receiver": (NOTIFY.replace("receivers: [chat]", "receivers: [chat, pager]"), ["notifications.routes[0].receivers[1]", "'pager' is not defined", "defined receivers: chat"]),
    "duplicated receiver name": (NOTIFY.replace("  routes:", "    chat: {pagerduty: {routing_key_file: /p}}\n  routes:"), ["key written twice"]),
    "literal slack URL": (NOTIFY.replace("api_url_file: /s", "api_url: https://hooks.slack.com/services/X"), ["slack.api_url would put a secret", "api_url_file"]),
    "literal routing key": (NOTIFY.replace("{slack: {channel: \"#a\", api_url_file: /s}}", "{pagerduty: {routing_key: abc}}"), ["pagerduty.routing_key", "routing_key_file"]),
    "credentials in a webhook URL": (NOTIFY.replace("{slack: {channel: \"#a\", api_url_file: /s}}", "{webhook: {url: \"https://u:p@x/h\"}}"), ["carries credentials"]),
    "email without a relay": (NOTIFY.replace("{slack: {channel: \"#a\", api_url_file: /s}}", "{email: {to: [a@example.com]}}"), ["needs a mail relay"]),
    "undefined time interval": (NOTIFY.replace("receivers: [chat]}", "receivers: [chat], mute_time_intervals: [nights]}"), ["time interval 'nights' is not defined"]),
}


@pytest.mark.parametrize("case", sorted(NOTIFICATION_CASES))
def test_bad_notifications_are_refused(case, tmp_path):
    assert_refused(*NOTIFICATION_CASES[case], tmp_path)


def _many(n: int) -> str:
    return GOOD.split("slos:")[0] + "slos:\n" + "".join(f"  - {{name: s{i}, objective: 99, sli: {{availability: {{}}}}}}\n" for i in range(n))


def test_ten_thousand_slos_are_refused_with_a_way_out(tmp_path):
    assert_refused(_many(10_000), ["slo.yaml:3:1", "slos: 10000 SLOs in one file", "at most 1000", "split it"], tmp_path)


def test_the_slo_limit_can_be_raised_on_purpose_and_the_refusal_says_how(tmp_path):
    spec = tmp_path / "slo.yaml"
    spec.write_text(_many(3), encoding="utf-8")
    out = tmp_path / "out"
    refused = CliRunner().invoke(app, ["build", str(spec), "--out", str(out), "--max-slos", "2"])
    assert refused.exit_code == 2
    assert "3 SLOs in one file; slogen builds at most 2" in refused.output and "--max-slos 3" in refused.output
    assert not out.exists()
    built = CliRunner().invoke(app, ["build", str(spec), "--out", str(out), "--max-slos", "3"])
    assert built.exit_code == 0, built.output
    assert len(list((out / "runbooks").glob("SvcS*ErrorBudgetBurn.md"))) == 3


def test_the_largest_allowed_spec_validates():
    from generator.spec.models import MAX_SLOS, Spec

    import yaml

    assert len(Spec.model_validate(yaml.safe_load(_many(MAX_SLOS))).slos) == MAX_SLOS
