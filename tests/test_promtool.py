"""The real promtool over the committed bundle, the golden bundles and the hand-written scenario."""

import subprocess
from pathlib import Path

import pytest

from generator import build
from generator.write import write

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"

pytestmark = pytest.mark.promtool


def run(promtool, *args):
    return subprocess.run([promtool, *args], capture_output=True, text=True, timeout=900, check=False)


def test_committed_bundle_passes_check_rules_with_lint_fatal(promtool):
    result = run(promtool, "check", "rules", "--lint=all", "--lint-fatal", *map(str, (ROOT / "out/prometheus/rules").glob("*.yaml")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_unit_tests_pass_on_the_committed_bundle(promtool):
    result = run(promtool, "test", "rules", *map(str, (ROOT / "out/prometheus/tests").glob("*.yaml")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_independent_reference_scenario(promtool):
    """Written by hand at the reference metric names: outage pages within 5 minutes, a healthy day
    with blips raises nothing, one failure at 2 req/min pages nobody, vanished metrics alert within 15m."""
    result = run(promtool, "test", "rules", str(ROOT / "tests/scenarios/reference.test.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_faults_of_the_monitoring_raise_no_false_alert(promtool):
    """Written by hand: counter resets in healthy traffic and during an outage (which still pages), a 10-minute
    scrape gap, a model appearing mid-day with counts from before its first scrape."""
    result = run(promtool, "test", "rules", str(ROOT / "tests/scenarios/monitoring-faults.test.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_tricky_strings_and_other_periods_load_and_pass(promtool):
    out = GOLDEN / "tricky" / "expected"
    rules = list((out / "prometheus/rules").glob("*.yaml"))
    assert run(promtool, "check", "rules", "--lint=all", "--lint-fatal", *map(str, rules)).returncode == 0
    result = run(promtool, "test", "rules", *map(str, (out / "prometheus/tests").glob("*.yaml")))
    assert result.returncode == 0, result.stdout + result.stderr


def _generated_tests_with_rules_edited(promtool, folder: Path, old: str, new: str):
    """The generated tests of slo.yaml run against its rules with `old` replaced by `new`."""
    _, rendered = build(ROOT / "slo.yaml")
    write(folder, rendered)
    rules = next((folder / "prometheus/rules").glob("*.yaml"))
    rules.write_text(rules.read_text().replace(old, new))
    return run(promtool, "test", "rules", *map(str, (folder / "prometheus/tests").glob("*.yaml")))


def test_a_broken_rule_fails_the_generated_tests(promtool, tmp_path):
    """The generated tests can fail: the very-fast page threshold set too high is caught."""
    result = _generated_tests_with_rules_edited(promtool, tmp_path, "/ 0.005 > 40", "/ 0.005 > 400")
    assert result.returncode == 1
    assert 'burnrate_tier="very-fast"' in result.stderr


@pytest.mark.parametrize("case", ["claude-basic", "otel-genai", "litellm"])
def test_every_profile_loads_and_its_generated_tests_pass(promtool, case):
    """Each dialect's golden bundle: rules pass lint-fatal, and its generated tests, written at that
    dialect's own names, labels and spellings (error classes, ok/error, split token counters), pass."""
    out = GOLDEN / case / "expected"
    rules = list((out / "prometheus/rules").glob("*.yaml"))
    result = run(promtool, "check", "rules", "--lint=all", "--lint-fatal", *map(str, rules))
    assert result.returncode == 0, result.stdout + result.stderr
    result = run(promtool, "test", "rules", *map(str, (out / "prometheus/tests").glob("*.yaml")))
    assert result.returncode == 0, result.stdout + result.stderr


def test_without_the_latch_an_outage_pages_twice_and_the_generated_tests_say_so(promtool, tmp_path):
    """The one-page-per-incident checks can fail: a 1h/5m pair no longer held back by the firing very-fast alert is caught."""
    result = _generated_tests_with_rules_edited(promtool, tmp_path, 'burnrate_tier!="fast"}', 'burnrate_tier="none"}')
    assert result.returncode == 1
    assert "count(ALERTS{alertname=" in result.stderr and "got: {} 2E+00" in result.stderr
