"""One incident, one page: the real Alertmanager with the generated configuration, fed the alerts of an outage."""

import json
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
import threading
import time
import urllib.request
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from generator import build
from generator.harness.stack import HOST, Sink, _binary, _get, free_port, redirect_receivers, wait_for
from generator.write import write

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.e2e
COMMON = {"service": "claude-assistant", "team": "ai-platform", "namespace": "monitoring"}
PAGE = {**COMMON, "alertname": "ClaudeAssistantAvailabilityErrorBudgetBurn", "severity": "critical", "category": "availability",
        "slo": "availability", "long_window": "5m", "short_window": "2m", "burnrate_tier": "very-fast"}
SYMPTOMS = [
    {**COMMON, "alertname": "ClaudeAssistantErrorBurst", "severity": "warning", "category": "availability"},
    {**COMMON, "alertname": "ClaudeAssistantServerErrorsSustained", "severity": "warning", "category": "availability"},
    {**COMMON, "alertname": "ClaudeAssistantOutputSpeedDegraded", "severity": "warning", "category": "latency", "model": "claude-sonnet-4-6"},
    {**COMMON, "alertname": "ClaudeAssistantUpstreamDegraded", "severity": "warning", "category": "availability"},
]


def _post(url: str, alerts: list[dict]) -> None:
    body = json.dumps([{"labels": a, "annotations": {"summary": a["alertname"]}} for a in alerts]).encode()
    urllib.request.urlopen(urllib.request.Request(f"{url}/api/v2/alerts", body, {"content-type": "application/json"}), timeout=5).read()


def _grouped(url: str) -> set[str]:
    """Alerts Alertmanager's dispatcher has routed into aggregation groups (inhibited ones too)."""
    return {a["labels"]["alertname"] for g in json.loads(_get(f"{url}/api/v2/alerts/groups") or b"[]") for a in g["alerts"]}


@contextmanager
def live_alertmanager(folder: Path) -> Iterator[tuple[str, Sink]]:
    """The real Alertmanager with the reference bundle's configuration, every receiver redirected to a local sink;
    yields its URL, once ready, and the sink."""
    _, rendered = build(ROOT / "slo.yaml")
    write(folder / "out", rendered)
    sink = Sink()
    server = ThreadingHTTPServer((HOST, 0), sink.handler())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    config = redirect_receivers(yaml.safe_load((folder / "out/alertmanager/alertmanager.yml").read_text()), server.server_address[1])
    (folder / "am.yml").write_text(yaml.safe_dump(config))
    port = free_port()
    proc = subprocess.Popen([_binary("prometheus-alertmanager", "alertmanager"), f"--config.file={folder / 'am.yml'}", f"--storage.path={folder / 'data'}",
                             f"--web.listen-address={HOST}:{port}", "--cluster.listen-address="], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://{HOST}:{port}"
    try:
        wait_for(lambda: _get(f"{url}/-/ready") is not None, 30, "alertmanager ready")
        yield url, sink
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        server.shutdown()


def test_an_outage_notifies_each_receiver_once_and_the_symptoms_wait_behind_the_page(tmp_path):
    with live_alertmanager(tmp_path) as (url, sink):
        _post(url, [PAGE])
        wait_for(lambda: _grouped(url) >= {PAGE["alertname"]}, 30, "the page in an aggregation group")
        _post(url, [PAGE, *SYMPTOMS])  # the symptoms arrive while the page fires
        wait_for(lambda: sink.receivers_of(PAGE["alertname"]) >= {"slack-alerts", "oncall"}, 30, "the page delivered to both routes")
        wait_for(lambda: _grouped(url) >= {s["alertname"] for s in SYMPTOMS}, 30, "the symptoms in aggregation groups, their group_wait running")
        # A duration, not a wait: group_wait and a group_interval of the generated tree (shortened by redirect_receivers),
        # in which a symptom that the page failed to inhibit would be told.
        time.sleep(4)
        state = {a["labels"]["alertname"]: a["status"] for a in json.loads(_get(f"{url}/api/v2/alerts"))}
        told = [(r, a["labels"]["alertname"]) for r, a in sink.received]
    assert sorted(told) == sorted({(r, PAGE["alertname"]) for r in ("slack-alerts", "oncall")}), told
    for symptom in SYMPTOMS:
        assert state[symptom["alertname"]]["state"] == "suppressed" and state[symptom["alertname"]]["inhibitedBy"], state
