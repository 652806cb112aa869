"""The README's failure-mode catalogue, end to end: each fault played by the fake API, met by the real `anthropic`
SDK (two retries, as shipped), counted by `slogen.instrument`, exposed by prometheus_client, scraped by real
Prometheus with the bundle of the repository's slo.yaml (fast clocks: holds of seconds, windows as shipped), routed
by real Alertmanager. No sample is written by hand.

The faults are played one after another on one stack, with healthy traffic between them. The order matters:
an outage that burns the availability budget (401s, broken streams) keeps the service-wide burn alert firing for the
rest of the run, because the slow pair's 30m and 6h windows hold the whole run. That alert inhibits the per-model one
at Alertmanager, and it is the alert the mid-stream phase must raise by itself. So the phases that burn no budget
service-wide come first (the 400 storm, which the SLO excludes, first of all, while its 5m window holds little
healthy history), then one model down, then the outages. One model down at 5% of traffic stays under the service-wide
lines (3% for the slow pair) until the fault has lasted 1.5 times the healthy history; its own alert fires in seconds.
"""

import logging
import threading
import time
from pathlib import Path

import anthropic
import pytest
from prometheus_client import CollectorRegistry, start_http_server

from generator import conventions as conv
from generator.harness.demo import fast_bundle
from generator.harness.fakeapi import Behaviour, FakeAnthropic
from generator.harness.stack import HOST, Stack, wait_for
from slogen.instrument import instrument, pricing_from

ROOT = Path(__file__).resolve().parent.parent
SERVICE = "claude-assistant"
SONNET, HAIKU = "claude-sonnet-4-6", "claude-haiku-4-5"
RPS, THREADS = 30, 3
HAIKU_EVERY = 20  # 5% of calls
GAP = 10  # seconds of healthy traffic between phases
pytestmark = pytest.mark.e2e


def healthy(**fault: object) -> Behaviour:
    # Small answers cost about what fast_clocks budgets per request, so healthy traffic spends half the budget.
    return Behaviour(input_tokens=80, output_tokens=10, retry_after_ms=1, **fault)


def alert(name: str) -> str:
    return conv.camel(SERVICE, name)


class Calls:
    """Threads streaming SDK calls at a steady pace; a failed call is the point, not an error of the test."""

    def __init__(self, base_url: str, registry: CollectorRegistry) -> None:
        quiet = logging.getLogger("slogen.catalogue")
        quiet.disabled = True  # one log line per failed call, thousands of them
        self.client = instrument(anthropic.Anthropic(base_url=base_url, api_key="sk-ant-test", max_retries=2), feature="chat",
                                 pricing=pricing_from(ROOT / "slo.yaml"), registry=registry, logger=quiet)
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self._run, args=(k,), daemon=True) for k in range(THREADS)]

    def __enter__(self) -> "Calls":
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for t in self.threads:
            t.join(timeout=10)

    def _run(self, k: int) -> None:
        period, due, i = THREADS / RPS, time.monotonic(), 0
        while not self.stop.is_set():
            model = HAIKU if (i + k) % HAIKU_EVERY == 0 else SONNET
            try:
                with self.client.messages.stream(model=model, max_tokens=64, messages=[{"role": "user", "content": "hi"}]) as s:
                    for _ in s.text_stream:
                        pass
            except anthropic.APIError:
                pass
            i += 1
            due = max(due + period, time.monotonic() - period)  # a slow call delays the next, it does not start a burst
            self.stop.wait(max(0.0, due - time.monotonic()))


@pytest.fixture
def stack(tmp_path):
    out = fast_bundle(ROOT / "slo.yaml", tmp_path, RPS)
    registry = CollectorRegistry()
    exporter, _ = start_http_server(0, addr=HOST, registry=registry)
    try:
        with FakeAnthropic(healthy()) as api, Calls(api.base_url, registry), Stack.of(out, f"{HOST}:{exporter.server_port}") as running:
            running.api = api
            yield running
    finally:
        exporter.shutdown()
        exporter.server_close()


CRITICAL, WARNING = {"slack-alerts", "oncall"}, {"slack-alerts"}
# The fault, the alert it must raise with these labels, exactly who is told, and the bound in seconds from the
# fault's start: the window's share of faulty traffic crossing the line, the 10s hold, evaluation and delivery.
PHASES = [
    ("400 storm", {"fail_status": 400}, "ClientErrorSurge", {"severity": "critical"}, CRITICAL, 150),
    ("overloaded but recovering", {"retry_fail": 529}, "UpstreamDegraded", {"severity": "warning"}, WARNING, 90),
    ("one model down", {"model_status": {HAIKU: 500}}, "AvailabilityByModelErrorBudgetBurn",
     {"severity": "critical", "slo": "availability", "model": HAIKU}, CRITICAL, 90),
    ("mid-stream errors", {"stream_error": "overloaded_error"}, "AvailabilityErrorBudgetBurn",
     {"severity": "critical", "slo": "availability", "model": None}, CRITICAL, 90),
    ("401 storm", {"fail_status": 401}, "CredentialsRejected", {"severity": "critical"}, CRITICAL, 120),
    ("404 on one model", {"model_status": {HAIKU: 404}}, "ModelNotFound", {"severity": "critical", "model": HAIKU}, CRITICAL, 120),
]
SETTLE = 30  # seconds of healthy traffic in which nobody may be told


def pages_since(sink, start: int, earlier: set[str]) -> list[str]:
    """Alerts oncall was told of as firing since notification `start`, leaving out those of earlier phases."""
    with sink.lock:
        told = sink.received[start:]
    return [a["labels"]["alertname"] for r, a in told if r == "oncall" and a["status"] == "firing" and a["labels"]["alertname"] not in earlier]


@pytest.mark.slow(330)
def test_each_failure_mode_reaches_exactly_its_receivers(stack, record_property):
    sink, api = stack.sink, stack.api
    wait_for(lambda: stack.query(f'slo:sli_error:ratio_rate5m{{service="{SERVICE}", slo="availability"}}'), 60, "SLO recordings from the scraped traffic")
    told = lambda: [a["labels"]["alertname"] for _, a in sink.alerts() if a["status"] == "firing"]  # noqa: E731
    since, settled = stack.evaluations(), time.monotonic() + SETTLE
    while time.monotonic() < settled:  # the healthy phase: a duration, not a wait, watched each second
        assert told() == [], "healthy traffic told someone"
        time.sleep(1)
    stack.wait_evaluations(since, 5)  # and the rules ran through it, however slowly the machine let them
    assert told() == [], "healthy traffic told someone"

    took, earlier = {}, set()
    for fault, behaviour, name, labels, receivers, bound in PHASES:
        assert sink.receivers_of(alert(name), **labels) == set(), f"{fault}: {name} was told before its fault"
        start, began = len(sink.received), time.monotonic()
        api.behaviour = healthy(**behaviour)
        wait_for(lambda: sink.receivers_of(alert(name), **labels) >= receivers, bound, f"{fault}: {name} told to {sorted(receivers)} ({took})")
        took[fault] = round(time.monotonic() - began)
        print(f"{fault}: {alert(name)} told in {took[fault]}s")
        api.behaviour = healthy()
        since = stack.evaluations()
        time.sleep(GAP)  # a duration, not a wait: the phases separate; late notifications of this one arrive
        stack.wait_evaluations(since, 1)  # a page this fault raised late has been raised by now, however slow the machine
        assert sink.receivers_of(alert(name), **labels) == receivers, fault
        if "oncall" not in receivers:  # a warning's fault pages no one, whatever else it raises
            assert pages_since(sink, start, earlier) == [], f"{fault} paged"
        earlier |= {alert(name)}
    print(f"detection times: {took}")
    record_property("detection_seconds", took)
