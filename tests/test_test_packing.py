"""The generated promtool tests share test cases between SLOs only where no SLO can see another's input.

promtool evaluates every rule group at every step of every case, so one case per SLO and scenario
made the suite quadratic in the number of SLOs. These tests pin down when cases are shared, that
sharing keeps the number of cases flat as SLOs are added, and (with the real promtool) that shared
cases still pass on good rules and fail on a broken one.
"""

import subprocess

import pytest
import yaml

from generator import build
from generator.compile.rule_tests import packing, scenarios
from generator import ir
from generator.ir import ExprCheck, Series
from generator.write import write

AVAIL = "claude_api_requests_total"
TTFT = ("claude_api_ttft_seconds_bucket", "claude_api_ttft_seconds_count")

OFF = "budgets: {rate_limits: {enabled: false}}\nalerts: {ttft_p95: {enabled: false}, error_burst: {enabled: false}, server_errors: {enabled: false}, truncations: {enabled: false}, cache_reads: {enabled: false}, output_speed: {enabled: false}, credentials: {enabled: false}, model_not_found: {enabled: false}, client_errors: {enabled: false}, upstream_degraded: {enabled: false}}"


def case(name, *series, check="up"):
    return ir.TestCase(name, tuple(Series(s, "0+1x10") for s in series), exprs=(ExprCheck(check, "5m"),))


def test_slos_reading_disjoint_metrics_share_one_case():
    packed = packing.pack([
        (frozenset({AVAIL}), case("a: outage", f'{AVAIL}{{status_code="200"}}', check="a")),
        (frozenset(TTFT), case("t: outage", f'{TTFT[0]}{{le="3"}}', TTFT[1], check="t")),
    ])
    assert len(packed) == 1
    assert packed[0].name == "outage: a, t"
    assert [c.expr for c in packed[0].exprs] == ["a", "t"]
    assert len(packed[0].series) == 3


def test_slos_with_the_very_same_input_share_it_once():
    series = f'{AVAIL}{{status_code="500"}}'
    packed = packing.pack([(frozenset({AVAIL}), case(f"s{i}: outage", series, check=f"s{i}")) for i in range(5)])
    assert len(packed) == 1
    assert packed[0].series == (Series(series, "0+1x10"),)
    assert packed[0].name == "outage: s0, s1, s2 and 2 more SLOs"


def test_slos_reading_the_same_metric_with_other_traffic_never_share():
    first = case("a: outage", f'{AVAIL}{{status_code="200"}}')
    other = ir.TestCase("b: outage", (Series(f'{AVAIL}{{status_code="200"}}', "0+2x10"),))
    assert packing.pack([(frozenset({AVAIL}), first), (frozenset({AVAIL}), other)]) == [first, other]


def test_a_metric_an_slo_reads_but_gets_no_series_for_still_blocks_sharing():
    # b's selector reads the count series a puts in; sharing would hand b a's traffic.
    a = case("a: outage", TTFT[1])
    b = case("b: outage", f'{TTFT[0]}{{le="3"}}')
    assert len(packing.pack([(frozenset({TTFT[1]}), a), (frozenset(TTFT), b)])) == 2


def _spec(slos: int) -> str:
    body = "".join(
        f"  - {{name: avail-{i}, objective: 99.5, sli: {{availability: {{}}}}}}\n"
        f"  - {{name: ttft-{i}, objective: 95, sli: {{latency: {{signal: ttft, threshold: 3s}}}}}}\n"
        for i in range(slos)
    )
    return f"version: 1\nservice: many\n{OFF}\nslos:\n{body}"


def _cases(spec_file, text) -> list:
    """The generated test cases as promtool reads them."""
    _, rendered = build(spec_file(text))
    return yaml.safe_load(next(data for path, data in rendered.items() if path.name.endswith(".test.yaml")))["tests"]


def test_the_number_of_cases_does_not_grow_with_same_shape_slos(spec_file):
    assert len(_cases(spec_file, _spec(1))) == len(_cases(spec_file, _spec(20))) == 7


def test_slos_of_one_shape_get_the_same_checks_under_their_own_names(spec_file):
    names = {"avail-0": "Avail0", "avail-1": "Avail1", "ttft-0": "Ttft0", "ttft-1": "Ttft1"}
    checks = {}
    for case in _cases(spec_file, _spec(2)):
        for check in case.get("promql_expr_test", []):
            expr = check["expr"]
            slo = next(n for n, camel in names.items() if f'slo="{n}"' in expr or f"Many{camel}" in expr)
            anonymous = expr.replace(slo, "X").replace(names[slo], "X")
            checks.setdefault((case["name"].split(":")[0], slo[:-2]), {}).setdefault(slo, []).append((check["eval_time"], anonymous, bool(check["exp_samples"])))
    assert len(checks) == 12  # six scenarios of each kind query (the seventh checks annotations)
    for per_slo in checks.values():
        first, second = per_slo.values()
        assert first == second


def test_a_scenario_the_model_contradicts_names_the_slo(spec_file, monkeypatch):
    from generator.burnmodel import Traffic

    # An "outage" without a single failure: the page tier cannot fire, which must stop the build.
    monkeypatch.setattr(scenarios, "outage", lambda shape: scenarios.Scenario("full outage", Traffic.of([(300, 600, 0)])))
    scenarios.scenario_plans.cache_clear()
    try:
        with pytest.raises(scenarios.ScenarioError, match="^SLO avail-0, full outage: the critical tier did not fire$"):
            _cases(spec_file, _spec(1))
        # SLOs of one shape are planned once, for a stand-in: the error still names the SLO.
        with pytest.raises(scenarios.ScenarioError, match="^SLO avail-0, full outage: the critical tier did not fire$"):
            _cases(spec_file, _spec(2))
    finally:
        scenarios.scenario_plans.cache_clear()


COLLIDING = f"""\
version: 1
service: collide
{OFF}
slos:
  - {{name: avail, objective: 99.5, sli: {{availability: {{}}}}}}
  - {{name: avail-strict, objective: 99.9, sli: {{availability: {{exclude_status: ["404"]}}}}}}
  - {{name: ttft, objective: 95, sli: {{latency: {{signal: ttft, threshold: 3s}}}}}}
  - {{name: ttft-slow, objective: 99, sli: {{latency: {{signal: ttft, threshold: 5s}}}}}}
  - {{name: total, objective: 99, sli: {{latency: {{signal: duration, threshold: 30s}}}}}}
"""


def test_colliding_slos_are_spread_over_cases_that_each_hold_one_per_metric(spec_file):
    names = [c["name"] for c in _cases(spec_file, COLLIDING)]
    assert names[:2] == [
        "full outage after healthy traffic: avail, total, ttft",
        "full outage after healthy traffic: avail-strict, ttft-slow",
    ]
    # At 2 requests a minute both availability SLOs get the very same series, so they share them.
    assert "one failure at 2 requests per minute: avail, avail-strict, total and 1 more SLO" in names
    assert len(names) == 14


@pytest.mark.promtool
@pytest.mark.slow(110)
def test_shared_cases_pass_on_good_rules_and_fail_on_a_broken_one(promtool, spec_file, tmp_path):
    _, rendered = build(spec_file(COLLIDING))
    out = tmp_path / "out"
    write(out, rendered)
    tests = [str(p) for p in (out / "prometheus/tests").glob("*.yaml")]
    good = subprocess.run([promtool, "test", "rules", *tests], capture_output=True, text=True, timeout=600, check=False)
    assert good.returncode == 0, good.stdout + good.stderr
    rules = next((out / "prometheus/rules").glob("*.yaml"))
    # Only avail-strict's budget is 0.001: its page pair now waits for twice the burn.
    rules.write_text(rules.read_text().replace("/ 0.001 > 14.4", "/ 0.001 > 28.8"))
    broken = subprocess.run([promtool, "test", "rules", *tests], capture_output=True, text=True, timeout=600, check=False)
    assert broken.returncode == 1
    assert "CollideAvailStrictErrorBudgetBurn" in broken.stderr
    assert "CollideAvailErrorBudgetBurn" not in broken.stderr.replace("CollideAvailStrictErrorBudgetBurn", "")
