"""`slogen status`: rows from the bundle's recordings, worst first; errors that say what is wrong; and,
against real Prometheus fed by the simulator, an outage costs the budget what its failures cost."""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from generator import conventions as conv
from generator import pipeline
from generator.harness.demo import fast_clocks
from generator.harness import simulate
from generator.harness.simulate import Simulator, Traffic
from generator.harness.stack import Stack, wait_for
from generator.tools import status
from generator.tools.promapi import Prometheus, PrometheusError, Sample
from generator.write import write

ROOT = Path(__file__).resolve().parent.parent
SERVICE = "claude-assistant"


def sample(name: str, slo: str, value: float, **labels: str) -> Sample:
    return Sample(tuple(sorted({"__name__": name, "slo": slo, "service": SERVICE, **labels}.items())), value)


@pytest.fixture(scope="module")
def service():
    return pipeline.load(ROOT / "slo.yaml")


def answers(remaining: dict[str, float], burn1h: dict[str, float], alerts: list[Sample] = (), objective: float = 0.995) -> status.Answers:
    slos = ("availability", "ttft", "total-latency")
    objectives = {"availability": objective, "ttft": 0.95, "total-latency": 0.99}
    return status.Answers(
        objective=[sample(conv.OBJECTIVE, s, objectives[s]) for s in slos],
        remaining=[sample(conv.BUDGET_REMAINING, s, v) for s, v in remaining.items()],
        burns={"1h": [sample(conv.sli_error_ratio("1h"), s, v) for s, v in burn1h.items()], "6h": []},
        alerts=list(alerts),
    )


def test_rows_are_worst_first_with_burn_exhaustion_and_firing_alerts(service):
    page = sample(conv.ALERTS, "availability", 1, alertname=conv.burn_alert(SERVICE, "availability"), severity="critical", burnrate_tier="fast",
                  alertstate="firing")
    rows, warnings = status.rows([service], answers({"availability": 0.25, "ttft": 0.9, "total-latency": -0.1}, {"availability": 0.05, "ttft": 0.0}, [page]),
                                 "http://p")
    assert warnings == []
    assert [r.slo for r in rows] == ["total-latency", "availability", "ttft"]
    avail = rows[1]
    assert avail.burn["1h"] == pytest.approx(10.0)  # 5% errors against a 0.5% budget
    assert avail.sli == pytest.approx(1 - 0.75 * 0.005)
    assert avail.exhausted_in == pytest.approx(0.25 * 30 * 86400 / 10)  # a quarter of a 30d budget at 10x: 18 hours
    assert status.duration(avail.exhausted_in) == "18h 0m"
    assert avail.firing == ("page (fast)",)
    assert rows[0].exhausted_in == 0 and status.duration(rows[0].exhausted_in) == "exhausted"
    assert math.isinf(rows[2].exhausted_in) and status.duration(rows[2].exhausted_in) == "never"
    assert [r.slo for r in status.below(rows, 30)] == ["total-latency", "availability"]
    table = status.table(rows)
    assert table.splitlines()[0].startswith("SLO") and "page (fast)" in table
    as_json = status.as_json(rows)
    assert as_json[2]["budget_never_exhausted"] is True and as_json[2]["budget_exhausted_in_seconds"] is None


def test_an_slo_without_data_is_shown_as_such_and_first(service):
    rows, _ = status.rows([service], answers({"availability": 0.5, "ttft": 0.9}, {}), "http://p")
    assert rows[0].slo == "total-latency" and rows[0].sli is None and "no data" in status.table(rows).splitlines()[1]
    assert status.below(rows, 0) == [rows[0]]  # unknown is never proof of health


def test_missing_recordings_name_the_slos_and_say_the_rules_are_not_loaded(service):
    empty = status.Answers([], [], {"1h": [], "6h": []}, [])
    with pytest.raises(PrometheusError) as err:
        status.rows([service], empty, "http://p")
    text = str(err.value)
    assert "claude-assistant/availability" in text and conv.OBJECTIVE in text and "rules are not loaded" in text


def test_a_stale_rule_file_is_pointed_out(service):
    _, warnings = status.rows([service], answers({"availability": 0.5}, {}, objective=0.999), "http://p")
    assert warnings and "99.9%" in warnings[0] and "99.5%" in warnings[0]


def test_one_query_per_recording_family_whatever_the_number_of_slos(service):
    q = status.queries([service])
    assert len(q.burns) == 2 and all("slo=" not in e for e in (q.objective, q.remaining, q.alerts))


@pytest.mark.parametrize("args, message", [
    (["--prometheus", "http://127.0.0.1:1"], "Prometheus is unreachable"),
    (["--prometheus", "not a url"], "not a usable URL"),
])
def test_cli_errors_exit_2_without_a_traceback(args, message):
    result = subprocess.run([sys.executable, "-m", "generator", "status", str(ROOT / "slo.yaml"), *args], capture_output=True, text=True, check=False)
    assert result.returncode == 2 and message in result.stderr and "Traceback" not in result.stderr, result.stderr


# Live: a lax objective (half the requests may fail), so 20 s of outage in a minute of traffic spend a share of the
# budget that can be measured to 1%.
OBJECTIVE = 50.0
RPS = 20


def _run_traffic(sim: Simulator, fault: str, seconds: float) -> None:
    """Play `fault` for `seconds`, then stop the requests (their counters become final)."""
    sim.traffic.fault, sim.traffic.rps = fault, RPS
    sim.runner = asyncio.run_coroutine_threadsafe(simulate._run(sim.traffic, sim.api.base_url), sim.loop)
    time.sleep(seconds)  # the phase: a duration, not a wait
    sim.traffic.rps = 1e-9  # no new request; the ones in flight finish and are counted (cancelled, they would not be)
    in_flight = lambda: asyncio.run_coroutine_threadsafe(_calls_in_flight(), sim.loop).result(30)  # noqa: E731
    wait_for(lambda: in_flight() == 0, 60, "the calls in flight to finish", every=0.2)
    sim.runner.cancel()


async def _calls_in_flight() -> int:
    # Timers run in deadline order: past this one the runner has woken from the sleep it began at the old pace,
    # started its last call, and sleeps at the new one.
    await asyncio.sleep(2 / RPS)
    return sum(t.get_coro().__qualname__ == simulate._call.__qualname__ for t in asyncio.all_tasks())


def _settled(stack: Stack, prometheus: Prometheus, total: str) -> None:
    """Wait until a scrape has seen the final counters and two rule evaluations have read them."""
    value = lambda: (prometheus.query(f"sum({total})") or [Sample((), -1)])[0].value  # noqa: E731
    last = [value()]

    def still() -> bool:
        now = value()
        same, last[0] = now == last[0], now
        return same

    wait_for(still, 30, "the counters to settle", every=2)
    stack.wait_evaluations(stack.evaluations(), 2)


def _own_counts(prometheus: Prometheus) -> tuple[float, float]:
    """(bad, total) events behind the recordings now: what the budget left is computed from."""
    sel = f'{{service="{SERVICE}", slo="availability"}}'
    bad, total = (prometheus.query(f"{conv.sli_error_rate('1h')}{sel} * 3600"), prometheus.query(f"{conv.sli_total_rate('1h')}{sel} * 3600"))
    return bad[0].value, total[0].value


@pytest.mark.e2e
@pytest.mark.slow(100)
def test_an_outage_costs_the_budget_what_its_failures_cost(tmp_path):
    """Prometheus counts a series from its first scrape on, so the events before it are Prometheus' own
    baseline: the test reads that baseline, then plays an outage and compares the budget left with what
    the fake API sent since. A short outage in the warm-up makes every series exist before it."""
    spec = fast_clocks(yaml.safe_load((ROOT / "slo.yaml").read_text()), 20)
    spec["slos"] = [{**s, "objective": OBJECTIVE} for s in spec["slos"] if s["name"] == "availability"]
    (tmp_path / "slo.yaml").write_text(yaml.safe_dump(spec))
    service = pipeline.load(tmp_path / "slo.yaml")
    write(tmp_path / "out", pipeline.build(tmp_path / "slo.yaml")[1])
    sim = Simulator(Traffic(rps=20, seed=3))
    total = str(service.slos[0].sli.total)
    with Stack.of(tmp_path / "out", f"127.0.0.1:{sim.port}") as stack, sim:
        sim.runner.cancel()
        prometheus = Prometheus(stack.urls["prometheus"])
        _run_traffic(sim, "outage", 3)
        _run_traffic(sim, "none", 15)
        wait_for(lambda: prometheus.query(f'{conv.BUDGET_REMAINING}{{service="{SERVICE}"}}'), 90, "the budget recording")
        _settled(stack, prometheus, total)
        bad0, total0 = _own_counts(prometheus)
        before = status.status([service], prometheus)[0][0].budget_left
        sent_before = len(sim.api.served.requests)
        _run_traffic(sim, "outage", 15)
        _run_traffic(sim, "none", 25)
        _settled(stack, prometheus, total)
        after = status.status([service], prometheus)[0][0].budget_left
        result = subprocess.run([sys.executable, "-m", "generator", "status", str(tmp_path / "slo.yaml"), "--prometheus", stack.urls["prometheus"],
                                 "--json", "--fail-below", "99"], capture_output=True, text=True, check=False)
    sent = sim.api.served.requests[sent_before:]
    failed = sum(1 for r in sent if int(r["status"]) >= 500)
    budget = 1 - OBJECTIVE / 100
    expected = 1 - (bad0 + failed) / (total0 + len(sent)) / budget
    assert failed > 100 and 0.1 < expected < before - 0.2, (failed, len(sent), before)
    assert abs(after - expected) < 0.01, (before, after, expected, failed, len(sent))
    assert result.returncode == 1 and json.loads(result.stdout)[0]["slo"] == "availability", result.stderr
