"""Every panel of every golden dashboard shows data, against real Prometheus fed by the profile's real emitter.

For each profile its committed golden bundle (tests/golden/<case>/expected) is loaded into Prometheus on
127.0.0.1, which scrapes what really emits that dialect: slogen.instrument in the simulator (prometheus-client,
the seed-001 app), the hand-rolled prometheus_client app (claude-basic), OpenLLMetry 0.62 with the OTel
Prometheus exporter (otel-genai), and the exposition captured from the real LiteLLM 1.108 proxy (litellm),
served with every counter growing in step so rates and shares are the proxy's own. Every query of every panel
is sent the way Grafana sends it: variables substituted (All -> the variable's all value `.*`, or one value
the variable lists, regex-escaped), an undefined variable left literal (so `$feature` on a board without a
feature variable matches nothing, the bug of issue 28), `$__rate_interval` as Grafana computes it for a 15s
scrape. Each must return a series with a number within a bounded wait.

The rule groups' evaluation interval is shortened from 1m to 5s (their expressions are untouched), so the
recordings appear in seconds. No panel reads a window that needs hours of data to exist: the 30-day SLI and
the 1-day spend are averages over whatever the window holds. Two kinds of panel are asserted otherwise:
- "Firing alerts" lists `ALERTS{..., alertstate="firing"}`, empty while the service is healthy: the query
  must succeed and select exactly the labels the SLO's loaded alerting rules carry.
- A metric the real emitter does not export (OpenLLMetry 0.62 records no time to first chunk): its panels
  must be empty only while no such series exists; when the emitter starts exporting it they must show data.

otel-utf8 needs Prometheus 3 (this one is Debian's 2.x) and tricky has no real emitter; the unit test in
test_dashboards.py checks their variables.
"""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from generator import conventions as conv
from generator.harness.fakeapi import Behaviour, FakeAnthropic
from generator.harness.simulate import Simulator, Traffic
from generator.harness.stack import HOST, Stack, free_port, wait_for
from generator.tools.lint.dashboards import VARIABLE_REF, panels

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = ROOT / "tests/golden"
APPS = ROOT / "tests/emitters"
CAPTURE = APPS / "litellm/metrics.txt"
RPS = 20
RATE_INTERVAL = "1m"  # Grafana's $__rate_interval for its default 15s scrape interval: max(4 x 15s, step + 15s)
WAIT = 240  # seconds for every panel to show data: the rules run every 5s, the slowest chain is a few runs deep
# Successes, 500s, a 429 and a client error: the status classes each have a real series to read.
PATTERN = (None, None, None, 500, None, 429, None, None, 400, None)
CASES = ("reference", "claude-basic", "otel-genai", "litellm")
# Metrics a real emitter of the profile does not export, and the panels that read them.
EMITTER_GAPS = {
    "otel-genai": ("gen_ai_client_operation_time_to_first_chunk_seconds_bucket", {"p95 time to first token", "Time to first token p50 / p95 / p99"}),
}
FIRING_ALERTS = "Firing alerts"
pytestmark = pytest.mark.e2e


def _boards(case: str) -> dict[str, dict]:
    return {p.stem: json.loads(p.read_text()) for p in sorted((GOLDEN / case / "expected/grafana/dashboards").glob("*.json"))}


def _rules(case: str, folder: Path) -> list[Path]:
    """The golden rule files, evaluated every 5s instead of every minute."""
    out = []
    for path in sorted((GOLDEN / case / "expected/prometheus/rules").glob("*.yaml")):
        doc = yaml.safe_load(path.read_text())
        for group in doc["groups"]:
            group["interval"] = "5s"
        (folder / path.name).write_text(yaml.safe_dump(doc, sort_keys=False))
        out.append(folder / path.name)
    return out


def regex_escape(value: str) -> str:
    """How Grafana's Prometheus data source escapes a chosen value for a regex matcher."""
    return re.sub(r"([\\^$*+?.()|\[\]{}])", r"\\\\\1", value)


def substitute(expr: str, board: dict, chosen: dict[str, str]) -> str:
    """The query as Grafana sends it: each variable of the board replaced by its chosen value, or by its all value
    when none is chosen; anything else that looks like a variable is left as it is."""
    values = {}
    for v in board["templating"]["list"]:
        if v.get("type") == "query":
            values[v["name"]] = regex_escape(chosen[v["name"]]) if v["name"] in chosen else v.get("allValue") or ".*"

    def fill(match: re.Match) -> str:
        name = next(g for g in match.groups() if g)
        if name == "__rate_interval":
            return RATE_INTERVAL
        return values.get(name, match.group(0))

    return VARIABLE_REF.sub(fill, expr)


def targets(boards: dict[str, dict]) -> list[tuple[str, str, str, bool]]:
    """(board, panel title, expression, instant) of every panel query."""
    return [
        (name, p.get("title", ""), t["expr"], bool(t.get("instant")))
        for name, board in boards.items() for p in panels(board) for t in p.get("targets", []) if t.get("expr")
    ]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as response:
        return json.loads(response.read())


class Prom:
    def __init__(self, url: str) -> None:
        self.url = url

    def series(self, expr: str, instant: bool) -> list[dict]:
        """What a panel gets: a range query over the last five minutes (an instant one for tables); fails on a bad query."""
        now = time.time()
        if instant:
            params = {"query": expr, "time": repr(now)}
            found = _get(f"{self.url}/api/v1/query?{urllib.parse.urlencode(params)}")
        else:
            params = {"query": expr, "start": repr(now - 300), "end": repr(now), "step": "15"}
            found = _get(f"{self.url}/api/v1/query_range?{urllib.parse.urlencode(params)}")
        assert found["status"] == "success", (expr, found)
        return found["data"]["result"]

    def has_numbers(self, expr: str, instant: bool) -> bool:
        points = [v for s in self.series(expr, instant) for _, v in (s.get("values") or [s["value"]])]
        return any(math.isfinite(float(v)) for v in points)

    def label_values(self, variable_query: str) -> list[str]:
        match = re.fullmatch(r"label_values\((.*),\s*(\w+)\)", variable_query)
        assert match, variable_query
        selector, label = match.groups()
        return sorted(_get(f"{self.url}/api/v1/label/{label}/values?" + urllib.parse.urlencode({"match[]": selector}))["data"])

    def alerting_rules(self) -> list[dict]:
        groups = _get(f"{self.url}/api/v1/rules?type=alert")["data"]["groups"]
        return [r for g in groups for r in g["rules"]]


@contextmanager
def _served_capture():
    """The captured LiteLLM exposition on /metrics, every counter and histogram multiplied by the minutes since start
    (plus one): each grows by its captured value a minute, so rates, shares and quantiles are the proxy's."""
    text = CAPTURE.read_text()
    start = time.monotonic()

    def body() -> bytes:
        k = 1 + (time.monotonic() - start) / 60
        kind, lines = "", []
        for line in text.splitlines():
            if line.startswith("# TYPE "):
                kind = line.split()[3]
            if not line.startswith("#") and kind in ("counter", "histogram") and not line.split("{")[0].split(" ")[0].endswith("_created"):
                series, value = line.rsplit(" ", 1)
                line = f"{series} {float(value) * k!r}"
            lines.append(line)
        return ("\n".join(lines) + "\n").encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            data = body()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer((HOST, 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"{HOST}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@contextmanager
def _app(name: str):
    """One of the instrumented apps of tests/emitters against the fake Anthropic API."""
    behaviour = Behaviour(input_tokens=40, output_tokens=10, cache_read_tokens=20, cache_write_tokens=5, pattern=PATTERN)
    with FakeAnthropic(behaviour) as api:
        port = free_port()
        proc = subprocess.Popen(
            [sys.executable, str(APPS / name), "--api", api.base_url, "--port", str(port), "--rps", str(RPS), "--seconds", str(WAIT + 120)],
            cwd=APPS, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        try:
            wait_for(lambda: _scrapes(port), 30, f"{name} exposes /metrics")
            yield f"{HOST}:{port}"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


@contextmanager
def _simulator():
    """slogen.instrument around the real anthropic SDK, two models and two features (prometheus-client)."""
    with Simulator(Traffic(rps=RPS)) as sim:
        wait_for(lambda: _scrapes(sim.port), 30, "the simulator exposes /metrics")
        sim.traffic.api.behaviour.pattern = PATTERN
        yield f"{HOST}:{sim.port}"


def _scrapes(port: int) -> bool:
    try:
        return bool(urllib.request.urlopen(f"http://{HOST}:{port}/metrics", timeout=2).read())
    except OSError:
        return False


def _emitter(case: str):
    if case == "reference":
        return _simulator()
    if case == "litellm":
        return _served_capture()
    return _app({"claude-basic": "basic_app.py", "otel-genai": "otel_app.py"}[case])


@pytest.mark.parametrize("case", CASES)
@pytest.mark.slow(20)
def test_every_panel_of_the_golden_boards_shows_data_from_the_real_emitter(case, tmp_path):
    boards = _boards(case)
    expected = GOLDEN / case / "expected"
    with _emitter(case) as target, Stack(rules=_rules(case, tmp_path), alertmanager=expected / "alertmanager/alertmanager.yml", target=target) as stack:
        prom = Prom(stack.urls["prometheus"])
        gap_metric, gap_panels = EMITTER_GAPS.get(case, ("", set()))
        wait_for(lambda: prom.series(f'count({{__name__="{conv.sli_error_ratio("5m")}"}})', True), 120, f"{case}: the SLO recordings")
        # All: every board as it opens. Then each variable set to the first value it lists, the others on All.
        runs = [(name, board, {}) for name, board in boards.items()]
        for name, board in boards.items():
            for v in board["templating"]["list"]:
                if v.get("type") == "query":
                    listed = prom.label_values(v["query"])
                    assert listed, f"{case}/{name}: variable {v['name']} lists no values"
                    runs.append((name, board, {v["name"]: listed[0]}))
        pending = {
            (name, title, str(chosen), substitute(expr, board, chosen), instant)
            for name, board, chosen in runs for board_name, title, expr, instant in targets({name: board})
            if title != FIRING_ALERTS and title not in gap_panels
        }
        assert len(pending) > 20  # every board's queries, not an empty loop

        deadline = time.monotonic() + WAIT
        while pending and time.monotonic() < deadline:
            pending = {p for p in pending if not prom.has_numbers(p[3], p[4])}
            if pending:
                time.sleep(5)
        assert not pending, f"{case}: panels without data after {WAIT}s:\n" + "\n".join(
            f"  {name} / {title} (chosen {chosen}): {expr}" for name, title, chosen, expr, _ in sorted(pending)
        )

        # Empty while healthy by nature: the query works and selects what the SLO's alerts carry.
        rules = prom.alerting_rules()
        for name, title, expr, instant in targets(boards):
            if title != FIRING_ALERTS:
                continue
            prom.series(substitute(expr, boards[name], {}), instant)  # Prometheus accepts it (series() asserts success)
            wanted = dict(re.findall(r'(\w+)="([^"]*)"', expr))
            assert wanted.pop("alertstate") == "firing" and expr.startswith("ALERTS{")
            assert [r for r in rules if all(r["labels"].get(k) == v for k, v in wanted.items())], f"{case}: no loaded alert carries {wanted}"

        # What the emitter does not export: empty only while it is absent.
        if gap_metric:
            exported = prom.series(f'count({{__name__="{gap_metric}"}})', True)
            for name, title, expr, instant in targets(boards):
                if title in gap_panels:
                    assert prom.has_numbers(substitute(expr, boards[name], {}), instant) == bool(exported), (case, title, bool(exported))
