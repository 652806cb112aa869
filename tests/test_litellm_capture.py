"""The litellm profile on series a real LiteLLM proxy exposed (tests/emitters/litellm: capture.py recaptures them).

Every captured series becomes a promtool input that grows by its captured value each minute, so
shares between series are the proxy's own. promtool then checks, against the bundle the litellm
golden spec builds: every recording has series, and the availability error ratio is what the proxy
answered its clients (sent.json), client errors excluded.
"""

import json
import math
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from generator import build, conventions as conv
from generator import promql as q
from generator.profiles import LITELLM
from generator.write import write

ROOT = Path(__file__).resolve().parent.parent
CAPTURE = ROOT / "tests/emitters/litellm"
EXCLUDED = {400, 401, 403, 404, 413}  # the golden spec's exclude_status
MINUTES = 20
pytestmark = pytest.mark.promtool


def _series() -> list[dict]:
    out = []
    for family in text_string_to_metric_families((CAPTURE / "metrics.txt").read_text()):
        if not family.name.startswith("litellm_"):
            continue
        for sample in family.samples:
            if sample.name.endswith("_created") or not math.isfinite(sample.value):
                continue
            growing = family.type in ("counter", "histogram")
            values = f"0+{sample.value:.10g}x{MINUTES}" if growing else f"{sample.value:.10g}x{MINUTES}"
            out.append({"series": q.series(q.Selector(sample.name), dict(sample.labels)), "values": values})
    return out


def test_captured_litellm_series_fill_every_recording_and_the_ratio_is_the_proxys(promtool, tmp_path):
    _, rendered = build(ROOT / "tests/golden/litellm/slo.yaml")
    write(tmp_path, rendered)
    rules_file = sorted((tmp_path / "prometheus/rules").glob("*.yaml"))[0]
    rules = [r for g in yaml.safe_load(rules_file.read_text())["groups"] for r in g["rules"] if "record" in r]
    recordings = sorted({(r["record"], r["labels"].get("slo")) for r in rules if r["record"] not in conv.BURN_CONDITIONS})
    answered = json.loads((CAPTURE / "sent.json").read_text())["proxy_answered"]
    counted = [s for s in answered if s not in EXCLUDED]
    truth = sum(s != 200 for s in counted) / len(counted)
    ratio = f'{conv.sli_error_ratio("5m")}{{slo="availability"}}'
    checks = [
        {"expr": f"clamp_max(count({{__name__={q.string(r)}{f', slo={q.string(s)}' if s else ''}}}), 1)", "eval_time": "15m", "exp_samples": [{"labels": "{}", "value": 1}]}
        for r, s in recordings
    ]
    checks.append({
        "expr": f"abs({ratio} - {truth!r}) < bool 0.005",
        "eval_time": "15m",
        "exp_samples": [{"labels": '{service="llm-gateway", slo="availability"}', "value": 1}],
    })
    test = {
        "rule_files": [str(rules_file)],
        "evaluation_interval": "1m",
        "tests": [{"name": "captured LiteLLM exposition", "interval": "1m", "input_series": _series(), "promql_expr_test": checks}],
    }
    path = tmp_path / "capture.test.yaml"
    path.write_text(yaml.safe_dump(test, sort_keys=False))
    result = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert 0.2 < truth < 0.35  # the capture holds failures of every kind, not an all-green run


def test_the_profile_lists_the_bucket_boundaries_the_proxy_exports():
    """A threshold is checked against the profile's boundaries; they must be the real proxy's, or a valid-looking
    threshold reads a bucket that does not exist and the SLO records nothing."""
    for signal in ("ttft", "duration"):
        metric = LITELLM.signals[signal].bucket_metric
        exported = {float(s.labels["le"]) for f in text_string_to_metric_families((CAPTURE / "metrics.txt").read_text())
                    for s in f.samples if s.name == metric and s.labels["le"] != "+Inf"}
        assert exported and exported == set(LITELLM.signals[signal].buckets), signal


# LiteLLM 1.108 in front of Anthropic, measured: its input counter held 265,201 tokens, of which 82,944 were cache
# reads and 122,880 cache writes (its own cache counters), so 59,377 fresh.
MEASURED = {"input": 265_201, "cache_read": 82_944, "cache_write": 122_880, "output": 4_000}
PRICES = {"input": 3.00, "output": 15.00, "cache_write": 3.75, "cache_read": 0.30}  # USD per million tokens


def test_cost_from_tokens_prices_each_litellm_token_once(promtool, tmp_path):
    spec = tmp_path / "slo.yaml"
    spec.write_text(yaml.safe_dump({
        "version": 1, "service": "llm-gateway", "metrics": {"profile": "litellm"},
        "pricing": {"as_of": "2026-06-01", "models": {"claude-sonnet-4-6": PRICES}},
        "slos": [{"name": "availability", "objective": 99.5, "sli": {"availability": {}}}],
        "budgets": {"cost": {"monthly_usd": 5000, "source": "tokens"}},
    }))
    bundle, rendered = build(spec)
    assert not [w for w in bundle.warnings if "twice" in w]
    write(tmp_path / "out", rendered)
    rules_file = sorted((tmp_path / "out/prometheus/rules").glob("*.yaml"))[0]
    model = {"model": "claude-sonnet-4-6"}
    metrics = dict(LITELLM.signals["tokens"].parts)
    series = [{"series": q.series(q.Selector(metrics[kind]), model), "values": f"0+{n}x20"} for kind, n in MEASURED.items()]
    series.append({"series": q.series(q.Selector("litellm_proxy_total_requests_metric_total"), {"requested_model": "claude-sonnet-4-6", "status_code": "200"}), "values": "0+100x20"})
    fresh = MEASURED["input"] - MEASURED["cache_read"] - MEASURED["cache_write"]
    assert fresh == 59_377
    usd_per_minute = (fresh * PRICES["input"] + sum(MEASURED[k] * PRICES[k] for k in ("cache_read", "cache_write", "output"))) / 1e6
    own = 'service="llm-gateway"'
    checks = [
        {"expr": f'abs({conv.TOKENS_RATE}{{{own}, type="input"}} * 60 - {fresh}) < bool 1e-6', "eval_time": "15m",
         "exp_samples": [{"labels": '{model="claude-sonnet-4-6", service="llm-gateway", type="input"}', "value": 1}]},
        {"expr": f"abs({conv.spend_rate('5m')}{{{own}}} * 60 - {usd_per_minute!r}) < bool 1e-9", "eval_time": "15m",
         "exp_samples": [{"labels": '{service="llm-gateway"}', "value": 1}]},
    ]
    test = {"rule_files": [str(rules_file)], "evaluation_interval": "1m",
            "tests": [{"name": "LiteLLM cost from tokens", "interval": "1m", "input_series": series, "promql_expr_test": checks}]}
    path = tmp_path / "cost.test.yaml"
    path.write_text(yaml.safe_dump(test, sort_keys=False))
    result = subprocess.run([promtool, "test", "rules", str(path)], capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    # Priced from the input counter as it is, the same minute would cost this much more: both cache kinds twice.
    assert usd_per_minute < (MEASURED["input"] * PRICES["input"] + sum(MEASURED[k] * PRICES[k] for k in ("cache_read", "cache_write", "output"))) / 1e6 * 0.6
