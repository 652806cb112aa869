"""End to end: the bundle in real Prometheus and Alertmanager on 127.0.0.1, fed by `slogen simulate`.

The spec is the repository's slo.yaml with clocks made fast (`generator.harness.demo.fast_clocks`: 1s
scrapes, 5s rule evaluation, seconds-long holds, a budget at twice the simulated spend);
routing, receivers, objectives and windows are the shipped ones. Every receiver delivers to a
local webhook sink, so the test sees who would have been told.
"""

import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator import conventions as conv
from generator.harness.demo import fast_bundle
from generator.harness.simulate import Simulator, Traffic
from generator.harness.stack import Stack, wait_for

ROOT = Path(__file__).resolve().parent.parent
SERVICE = "claude-assistant"
RPS = 20
pytestmark = pytest.mark.e2e


def alert(name: str) -> str:
    return conv.camel(SERVICE, name)


@pytest.fixture
def stack(tmp_path):
    out = fast_bundle(ROOT / "slo.yaml", tmp_path, RPS)
    with Simulator(Traffic(rps=RPS, seed=7)) as sim:
        with Stack.of(out, f"127.0.0.1:{sim.port}") as running:
            running.sim = sim
            yield running


# Each fault in turn, the alert it must raise (labels given as None must be absent), and exactly who is told,
# through the generated routing: warnings to Slack, criticals to Slack and PagerDuty, cost also by mail.
PHASES = [
    ("cost-runaway", "SpendBudgetBurn", {"severity": "critical", "budget": None}, {"slack-alerts", "oncall", "cost-email"}),
    ("latency", "TtftP95High", {"severity": "warning"}, {"slack-alerts"}),
    ("outage", "AvailabilityErrorBudgetBurn", {"severity": "critical", "slo": "availability"}, {"slack-alerts", "oncall"}),
    ("ratelimit-storm", "RateLimited", {"severity": "warning"}, {"slack-alerts"}),
    ("ratelimit-squeeze", "RateLimitHeadroomLow", {"severity": "critical"}, {"slack-alerts", "oncall"}),
    ("vanish", "AvailabilitySLIAbsent", {}, {"slack-alerts"}),
]
BUDGET_SECONDS = 290  # the whole run, healthy phase included


@pytest.mark.slow(260)
def test_faults_reach_exactly_the_routed_receivers_and_healthy_traffic_pages_nobody(stack):
    sink, traffic = stack.sink, stack.sim.traffic
    deadline = time.monotonic() + BUDGET_SECONDS
    wait_for(lambda: stack.query(f'slo:sli_error:ratio_rate5m{{service="{SERVICE}", slo="availability"}}'), 60, "SLO recordings from the scraped traffic")

    since = stack.evaluations()
    time.sleep(30)  # healthy phase: a duration, not a wait
    stack.wait_evaluations(since, 5)  # and the rules ran through it, however slowly the machine let them
    assert stack.firing(severity="critical") == []
    assert sink.alerts(severity="critical") == []

    took = {}
    for fault, name, labels, receivers in PHASES:
        traffic.fault = fault
        began = time.monotonic()
        wait_for(lambda: sink.receivers_of(alert(name), **labels) >= receivers, deadline - began, f"{fault}: {name} delivered to {sorted(receivers)} ({took})")
        took[fault] = round(time.monotonic() - began)
        assert sink.receivers_of(alert(name), **labels) == receivers, fault

    # Still exactly: a route that told someone else late shows by the end of the run.
    assert {fault: sink.receivers_of(alert(name), **labels) for fault, name, labels, _ in PHASES} == {fault: r for fault, *_, r in PHASES}
    assert sink.receivers_of(alert("TtftP95High"), severity="critical") == set()  # 7s is a warning, not a page
    assert not any(r == "cost-email" for r, _ in sink.alerts(slo="availability"))


@pytest.mark.slow(60)
def test_an_outage_is_one_page_per_receiver(stack):
    """With minutes of history the 1h/5m and very-fast pairs burn within seconds of each other: both conditions
    hold, one alert fires (the latch) and each paged receiver is told once (test_inhibition shows the symptoms wait behind it)."""
    sink, traffic = stack.sink, stack.sim.traffic
    wait_for(lambda: stack.query(f'slo:sli_error:ratio_rate5m{{service="{SERVICE}", slo="availability"}}'), 60, "SLO recordings from the scraped traffic")
    time.sleep(20)  # healthy history before the outage: a duration, not a wait
    traffic.fault = "outage"
    wait_for(lambda: sink.receivers_of(alert("AvailabilityErrorBudgetBurn"), severity="critical"), 150, "the page delivered")
    selector = f'{{service="{SERVICE}", slo="availability"}}'
    for window, factor in (("1h", 14.4), ("5m", 40)):  # the 1h/5m pair and the very-fast 5m/1m one
        wait_for(lambda w=window, f=factor: stack.query(f"{conv.sli_error_ratio(w)}{selector} / 0.005 > {f}"), 90, f"the {window} window burning")
    stack.wait_evaluations(stack.evaluations(), 4)  # with both pairs burning: a second page would be raised and sent by then
    pages = stack.firing(alertname=alert("AvailabilityErrorBudgetBurn"), severity="critical")
    told = [(r, a["labels"].get(conv.LABEL_TIER)) for r, a in sink.alerts(alertname=alert("AvailabilityErrorBudgetBurn"), severity="critical")
            if a["status"] == "firing"]
    assert len(pages) == 1, [p["labels"] for p in pages]
    # Whichever pair fired first holds the page (with minutes of history the 1h window fills fastest).
    assert sorted(r for r, _ in told) == ["oncall", "slack-alerts"] and len({tier for _, tier in told}) == 1, told
    assert pages[0]["labels"][conv.LABEL_TIER] == told[0][1]


@pytest.mark.slow(75)
def test_demo_plays_faults_against_the_real_stack_and_prints_who_is_told():
    result = subprocess.run(
        [sys.executable, "-m", "generator", "demo", str(ROOT / "slo.yaml"), "--faults", "none,outage", "--seconds", "35"],
        capture_output=True, text=True, timeout=180, check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("Prometheus http://127.0.0.1:") and "Alertmanager http://127.0.0.1:" in lines[0]
    assert "-- fault: none" in lines and "-- fault: outage" in lines
    told = lines[lines.index("-- fault: outage"):]
    assert any(alert("AvailabilityErrorBudgetBurn") in line and line.strip().endswith("-> oncall") for line in told), result.stdout


def test_demo_refuses_an_unknown_fault():
    result = subprocess.run([sys.executable, "-m", "generator", "demo", "--faults", "meteor"], capture_output=True, text=True, check=False)
    assert result.returncode == 2 and "unknown meteor" in result.stderr
