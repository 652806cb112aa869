"""The bundle on VictoriaMetrics: victoria-metrics scrapes the simulated service, vmalert evaluates the very
rule file (recordings written back), the real Alertmanager routes; all on 127.0.0.1 (Debian's 1.79)."""

import time
from pathlib import Path

import pytest

from generator import conventions as conv
from generator.harness.demo import fast_bundle
from generator.harness.simulate import Simulator, Traffic
from generator.harness.stack import Stack, wait_for

ROOT = Path(__file__).resolve().parent.parent
SERVICE = "claude-assistant"
pytestmark = pytest.mark.e2e


@pytest.mark.slow(90)
def test_vmalert_pages_an_outage_to_the_routed_receivers_and_healthy_traffic_pages_nobody(tmp_path):
    out = fast_bundle(ROOT / "slo.yaml", tmp_path, 20)
    with Simulator(Traffic(rps=20, seed=5)) as sim, Stack.of(out, f"127.0.0.1:{sim.port}", engine="victoriametrics") as stack:
        ratio = f'{conv.sli_error_ratio("5m")}{{service="{SERVICE}", slo="availability"}}'
        wait_for(lambda: stack.query(ratio), 90, "vmalert's SLO recordings, written back to victoria-metrics")
        since = stack.evaluations()
        time.sleep(30)  # healthy phase: a duration, not a wait
        stack.wait_evaluations(since, 5)  # and vmalert ran the rules through it, however slowly the machine let it
        assert stack.firing(severity="critical") == [] and stack.sink.alerts(severity="critical") == []
        sim.traffic.fault = "outage"
        burn = conv.burn_alert(SERVICE, "availability")
        wait_for(lambda: stack.sink.receivers_of(burn, severity="critical") >= {"slack-alerts", "oncall"}, 150, "the availability page through vmalert, to every route")
        assert stack.sink.receivers_of(burn, severity="critical") == {"slack-alerts", "oncall"}
        recorded = lambda: float(stack.query(ratio)[0]["value"][1])  # noqa: E731
        wait_for(lambda: recorded() > 0.5, 120, "the outage in the recorded ratio")
        assert recorded() > 0.5
