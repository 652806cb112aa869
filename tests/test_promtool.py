"""The real promtool over the committed bundle, the golden bundles and the hand-written scenario."""

import subprocess
from pathlib import Path

import pytest

from generator import build, load
from generator.tools.lint import proof
from generator.tools.lint.base import Context, Severity
from generator.tools.lint.promtool import TestRules
from generator.write import write

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests" / "golden"

pytestmark = pytest.mark.promtool


def run(promtool, *args):
    return subprocess.run([promtool, *args], capture_output=True, text=True, timeout=900, check=False)


def test_committed_bundle_passes_check_rules_with_lint_fatal(promtool):
    result = run(promtool, "check", "rules", "--lint=all", "--lint-fatal", *map(str, (ROOT / "out/prometheus/rules").glob("*.yaml")))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow(45)
def test_generated_unit_tests_pass_on_the_committed_bundle(promtool):
    """As the gate proves them: each SLO shape's tests against its group of the committed rule file."""
    _, rendered = build(ROOT / "slo.yaml")
    ctx = Context(out=ROOT / "out", service=load(ROOT / "slo.yaml"), rendered=rendered, tools={"promtool": promtool})
    problems = TestRules().run(ctx)
    assert [p.severity for p in problems] == [Severity.INFO], "\n".join(p.message for p in problems)
    assert "3 SLOs proved by 4 promtool runs" in problems[0].message  # availability's per-model tests run beside its own


@pytest.mark.slow(130)
def test_independent_reference_scenario(promtool):
    """Written by hand at the reference metric names: outage pages within 5 minutes, a healthy day
    with blips raises nothing, one failure at 2 req/min pages nobody, vanished metrics alert within 15m."""
    result = run(promtool, "test", "rules", str(ROOT / "tests/scenarios/reference.test.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow(35)
def test_faults_of_the_monitoring_raise_no_false_alert(promtool):
    """Written by hand: counter resets in healthy traffic and during an outage (which still pages), a 10-minute
    scrape gap, a model appearing mid-day with counts from before its first scrape."""
    result = run(promtool, "test", "rules", str(ROOT / "tests/scenarios/monitoring-faults.test.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow(15)
def test_tricky_strings_and_other_periods_load_and_pass(promtool):
    out = GOLDEN / "tricky" / "expected"
    rules = list((out / "prometheus/rules").glob("*.yaml"))
    assert run(promtool, "check", "rules", "--lint=all", "--lint-fatal", *map(str, rules)).returncode == 0
    # Its generated tests as the gate runs them: SLOs whose names need quoting are compiled, and proved, on their own.
    _, rendered = build(GOLDEN / "tricky" / "slo.yaml")
    problems = TestRules().run(Context(out=out, service=load(GOLDEN / "tricky" / "slo.yaml"), rendered=rendered, tools={"promtool": promtool}))
    assert [p.severity for p in problems] == [Severity.INFO], "\n".join(p.message for p in problems)


def _generated_tests_with_rules_edited(promtool, folder: Path, old: str, new: str):
    """The generated tests of slo.yaml run against its rules with `old` replaced by `new`: the
    gate's proofs of the groups the edit reaches (each alone with its tests, as lint runs them)."""
    _, rendered = build(ROOT / "slo.yaml")
    write(folder, rendered)
    rules = next((folder / "prometheus/rules").glob("*.yaml"))
    rules.write_text(rules.read_text().replace(old, new))
    built = next(data for path, data in rendered.items() if path.parts[:2] == ("prometheus", "rules")).decode()
    # The service-wide alerts' cases: a grouped SLO's per-group run reads the same edited group, and is not what these tests are about.
    edited = [p for p in proof.proofs(load(ROOT / "slo.yaml"), rules.read_text(), built) if new in p.rules and not p.grouped]
    assert edited, f"no group holds {old!r}"
    results = [run(promtool, "test", "rules", str(p.write(folder / f"proof-{i}"))) for i, p in enumerate(edited)]
    return subprocess.CompletedProcess([], max(r.returncode for r in results), "".join(r.stdout for r in results), "".join(r.stderr for r in results))


@pytest.mark.slow(15)
def test_a_broken_rule_fails_the_generated_tests(promtool, tmp_path):
    """The generated tests can fail: the very-fast page threshold set too high is caught."""
    result = _generated_tests_with_rules_edited(promtool, tmp_path, "/ 0.005 > 40", "/ 0.005 > 400")
    assert result.returncode == 1
    assert 'burnrate_tier="very-fast"' in result.stderr


@pytest.mark.slow(30)
def test_without_the_latch_an_outage_pages_twice_and_the_generated_tests_say_so(promtool, tmp_path):
    """The one-page-per-incident checks can fail: a 1h/5m pair no longer held back by the firing very-fast alert is caught."""
    result = _generated_tests_with_rules_edited(promtool, tmp_path, 'burnrate_tier!="fast"}', 'burnrate_tier="none"}')
    assert result.returncode == 1
    assert "count(ALERTS{alertname=" in result.stderr and "got: {} 2E+00" in result.stderr
