"""`slogen simulate`: synthetic LLM traffic at the reference metric names, with faults on command.

A background thread plays `rps` requests a second across a mix of models and features and records
them with prometheus_client, exactly as an instrumented app would. Faults switch on and off over
HTTP (`POST /fault/<name>`, `POST /fault/none`), so a demo or a test drives incidents while real
Prometheus scrapes `/metrics`.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from generator.faults import FAULTS
from generator.profiles import PROMETHEUS_CLIENT

MODELS = ("claude-sonnet-4-6", "claude-haiku-4-5")
FEATURES = ("chat", "search")
DIMENSIONS = ("requests", "tokens", "input_tokens", "output_tokens")
LIMIT = 4000.0


@dataclass
class Traffic:
    """The app's metrics, and the state of the simulated world."""

    rps: float = 20.0
    seed: int = 1
    fault: str = "none"
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __post_init__(self) -> None:
        s, labels = PROMETHEUS_CLIENT.signals, PROMETHEUS_CLIENT.labels
        mf = (labels["model"], labels["feature"])
        self.random = random.Random(self.seed)
        self.requests = Counter(_base(s["requests"].metric), "Finished Claude API calls.", (*mf, labels["status"]), registry=self.registry)
        self.ttft = Histogram(s["ttft"].metric, "Time to first token.", mf, buckets=s["ttft"].buckets, registry=self.registry)
        self.duration = Histogram(s["duration"].metric, "Total request time.", mf, buckets=s["duration"].buckets, registry=self.registry)
        self.tokens = Counter(_base(s["tokens"].metric), "Tokens.", (*mf, labels["token_type"]), registry=self.registry)
        self.responses = Counter(_base(s["responses"].metric), "Responses by stop reason.", (*mf, labels["stop_reason"]), registry=self.registry)
        dims = (labels["model"], labels["dimension"])
        self.limit = Gauge(s["ratelimit_limit"].metric, "Rate limit.", dims, registry=self.registry)
        self.remaining = Gauge(s["ratelimit_remaining"].metric, "Rate limit left.", dims, registry=self.registry)
        self.lock = threading.Lock()

    def request(self) -> None:
        r, fault = self.random, self.fault
        model, feature = r.choice(MODELS), r.choice(FEATURES)
        if fault == "outage":
            status = r.choice(("500", "529"))
        elif fault == "ratelimit-storm" and r.random() < 1 / 3:
            status = "429"
        else:
            status = "500" if r.random() < 0.001 else "200"
        self.requests.labels(model, feature, status).inc()
        if status != "200":
            return
        slow = fault == "latency"
        self.ttft.labels(model, feature).observe(7.0 if slow else r.uniform(0.3, 1.5))
        self.duration.labels(model, feature).observe(20.0 if slow else r.uniform(2, 6))
        scale = 100 if fault == "cost-runaway" else 1
        self.tokens.labels(model, feature, "input").inc(100 * scale)
        self.tokens.labels(model, feature, "output").inc(20 * scale)
        self.responses.labels(model, feature, "max_tokens" if r.random() < 0.01 else "end_turn").inc()

    def headers(self) -> None:
        """What the last responses' anthropic-ratelimit-* headers said."""
        used = 0.95 if self.fault == "ratelimit-squeeze" else 0.3
        for model in MODELS:
            for dim in DIMENSIONS:
                self.limit.labels(model, dim).set(LIMIT)
                self.remaining.labels(model, dim).set(round(LIMIT * (1 - used) - self.random.uniform(0, 50)))

    def tick(self, seconds: float) -> None:
        with self.lock:
            due = self.rps * seconds
            count = int(due) + (1 if self.random.random() < due - int(due) else 0)
            for _ in range(count):
                self.request()
            self.headers()

    def exposition(self) -> bytes:
        with self.lock:
            return b"" if self.fault == "vanish" else generate_latest(self.registry)


def _base(metric: str) -> str:
    """prometheus_client appends `_total` to counters itself."""
    return metric.removesuffix("_total")


class Simulator:
    """The traffic loop and the HTTP server, started and stopped together."""

    def __init__(self, traffic: Traffic, host: str = "127.0.0.1", port: int = 0, step: float = 0.1) -> None:
        self.traffic, self.step = traffic, step
        self.stopped = threading.Event()
        self.server = ThreadingHTTPServer((host, port), _handler(traffic))
        self.threads = [threading.Thread(target=self._loop, daemon=True), threading.Thread(target=self.server.serve_forever, daemon=True)]

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def _loop(self) -> None:
        last = time.monotonic()
        while not self.stopped.wait(self.step):
            now = time.monotonic()
            self.traffic.tick(now - last)
            last = now

    def __enter__(self) -> Simulator:
        self.traffic.tick(0)
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.server.shutdown()
        self.server.server_close()


def _handler(traffic: Traffic) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            if self.path.split("?")[0] != "/metrics":
                return self._reply(404, b"try /metrics\n")
            self._reply(200, traffic.exposition(), CONTENT_TYPE_LATEST)

        def do_POST(self) -> None:  # noqa: N802
            name = self.path.removeprefix("/fault/")
            if not self.path.startswith("/fault/") or name not in FAULTS:
                return self._reply(404, f"faults: {', '.join(FAULTS)}\n".encode())
            traffic.fault = name
            self._reply(200, f"fault: {name} ({FAULTS[name]})\n".encode())

        def _reply(self, code: int, body: bytes, kind: str = "text/plain; charset=utf-8") -> None:
            self.send_response(code)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler
