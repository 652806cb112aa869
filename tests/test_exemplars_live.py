"""Exemplars end to end: slogen.instrument's histograms carry the call's trace id, real Prometheus (exemplar
storage on) scrapes them over OpenMetrics, and its exemplars API returns that trace id for the slow bucket, also
when asked with the overview board's own TTFT panel query, variables filled in as Grafana fills them (Grafana asks
the exemplars API with the panel's query when the target has `exemplar: true`)."""

import json
import subprocess
import time
import urllib.parse

import anthropic
import pytest
from prometheus_client import CollectorRegistry, start_http_server

from generator import build
from generator.harness.fakeapi import Behaviour, FakeAnthropic
from generator.tools.lint.dashboards import panels
from generator.harness.stack import HOST, _binary, _get, _stop, free_port, wait_for
from slogen.instrument import instrument
from tests.test_dashboard_data import ROOT, substitute
from tests.test_instrument import ASK


def ttft_panel_queries() -> list[str]:
    """The overview board's TTFT percentile queries that ask for exemplars, as Grafana sends them."""
    _, rendered = build(ROOT / "slo.yaml")
    board = json.loads(next(data for path, data in rendered.items() if path.name == "claude-assistant-overview.json"))
    targets = [t for p in panels(board) if p.get("title", "").startswith("Time to first token") for t in p["targets"]]
    assert targets and all(t.get("exemplar") is True for t in targets)
    return [substitute(t["expr"], board, {}) for t in targets]

pytestmark = pytest.mark.e2e


def test_prometheus_stores_the_trace_id_of_a_slow_call_as_an_exemplar(tmp_path):
    from opentelemetry.sdk.trace import TracerProvider

    registry, tracer = CollectorRegistry(), TracerProvider().get_tracer("app")
    exporter_port, prom_port = free_port(), free_port()
    server, thread = start_http_server(exporter_port, addr=HOST, registry=registry)
    (tmp_path / "prometheus.yml").write_text(json.dumps({
        "global": {"scrape_interval": "1s"},
        "scrape_configs": [{"job_name": "app", "static_configs": [{"targets": [f"{HOST}:{exporter_port}"]}]}],
    }))
    proc = subprocess.Popen(
        [_binary("prometheus"), f"--config.file={tmp_path / 'prometheus.yml'}", f"--storage.tsdb.path={tmp_path / 'data'}",
         f"--web.listen-address={HOST}:{prom_port}", "--enable-feature=exemplar-storage"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        with FakeAnthropic(Behaviour(first_token_delay=0.3)) as api:
            c = instrument(anthropic.Anthropic(base_url=api.base_url, api_key="k", max_retries=0), feature="chat", registry=registry, tracer=tracer)
            with tracer.start_as_current_span("slow request") as span:
                for _ in c.messages.create(**ASK, stream=True):
                    pass
        trace_id = format(span.get_span_context().trace_id, "032x")
        found: list[dict] = []

        def stored(query: str) -> bool:
            url = f"http://{HOST}:{prom_port}/api/v1/query_exemplars?" + urllib.parse.urlencode(
                {"query": query, "start": time.time() - 600, "end": time.time() + 600})
            body = _get(url)
            found[:] = json.loads(body)["data"] if body else []
            return any(e["labels"].get("trace_id") == trace_id for s in found for e in s["exemplars"])

        wait_for(lambda: stored("claude_api_ttft_seconds_bucket"), 60, "Prometheus stored no exemplar with the call's trace id", every=0.5)
        (series,) = [s for s in found if any(e["labels"].get("trace_id") == trace_id for e in s["exemplars"])]
        assert series["seriesLabels"]["le"] == "0.5"  # TTFT 0.3 s: first counted in the 0.5 s bucket
        for query in ttft_panel_queries():  # what the dashboard's exemplar dots show
            assert stored(query), f"the panel query {query!r} finds no exemplar with the call's trace id"
    finally:
        _stop(proc)
        server.shutdown()
