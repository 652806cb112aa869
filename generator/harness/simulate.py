"""`slogen simulate`: a real anthropic SDK client, wrapped by slogen.instrument, calling a fake Anthropic API.

Requests go out at `rps` across two models and two features, most of them streamed; the faults are
injected in the fake API (errors, slow first tokens, token runaways, rate-limit headers), so every
series on `/metrics` is what the instrumentation measured, exactly as in a real app. Faults switch
over HTTP (`POST /fault/<name>`, `POST /fault/none`) while real Prometheus scrapes `/metrics`.
"""

from __future__ import annotations

import asyncio
import importlib.util
import random
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_LATEST

from generator.errors import SlogenError
from generator.harness.fakeapi import Behaviour, FakeAnthropic
from generator.harness.faults import FAULTS

MODELS = ("claude-sonnet-4-6", "claude-haiku-4-5")
FEATURES = ("chat", "search")
LIMIT = 4000
HEALTHY_ERRORS = (None,) * 999 + (500,)  # one 500 in a thousand
MAX_IN_FLIGHT = 2000


class SimulatorError(SlogenError):
    exit_code = 2


def behaviour(fault: str) -> Behaviour:
    """What the fake API does during `fault`: 100 input and 20 output tokens an answer, first tokens in 0.3 s."""
    b = Behaviour(
        input_tokens=100, output_tokens=20, first_token_delay=0.3, chunks=3, chunk_delay=0.05,
        limit=LIMIT, used_share=0.3, remaining_jitter=50, pattern=HEALTHY_ERRORS,
    )
    if fault == "outage":
        b.pattern = (500, 529)
    elif fault == "ratelimit-storm":
        b.pattern = (None, None, 429)
    elif fault == "latency":
        b.first_token_delay, b.chunk_delay = 7.0, 6.5  # first token at 7 s, the answer at 20 s
    elif fault == "cost-runaway":
        b.input_tokens, b.output_tokens = 100 * 100, 20 * 100
    elif fault == "ratelimit-squeeze":
        b.used_share = 0.95
    return b


@dataclass
class Traffic:
    """What the simulated world is doing; setting `fault` changes the fake API at once."""

    rps: float = 20.0
    seed: int = 1
    fault: str = "none"
    registry: CollectorRegistry = field(default_factory=CollectorRegistry)

    def __setattr__(self, name: str, value: object) -> None:
        super().__setattr__(name, value)
        if name == "fault" and getattr(self, "api", None) is not None:
            self.api.behaviour = behaviour(str(value))

    def exposition(self) -> bytes:
        return b"" if self.fault == "vanish" else generate_latest(self.registry)


class Simulator:
    """The fake API, the instrumented client's request loop and the /metrics server, started and stopped together."""

    def __init__(self, traffic: Traffic, host: str = "127.0.0.1", port: int = 0) -> None:
        if importlib.util.find_spec("anthropic") is None:
            raise SimulatorError("slogen simulate drives the real anthropic SDK: `pip install anthropic` (make build installs it)")
        self.traffic = traffic
        self.stopped = threading.Event()
        self.api = FakeAnthropic(behaviour(traffic.fault))
        self.server = ThreadingHTTPServer((host, port), _handler(traffic))
        self.server.daemon_threads = True
        self.loop = asyncio.new_event_loop()
        self.threads = [threading.Thread(target=self.loop.run_forever, daemon=True), threading.Thread(target=self.server.serve_forever, daemon=True)]

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    def __enter__(self) -> Simulator:
        self.api.__enter__()
        self.traffic.api = self.api  # type: ignore[attr-defined]
        self.traffic.fault = self.traffic.fault
        for t in self.threads:
            t.start()
        self.runner = asyncio.run_coroutine_threadsafe(_run(self.traffic, self.api.base_url), self.loop)
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopped.set()
        self.runner.cancel()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.server.shutdown()
        self.server.server_close()
        self.api.__exit__()


async def _run(traffic: Traffic, base_url: str) -> None:
    import anthropic  # the SDK is what a real app has; only the simulator needs it

    from slogen.instrument import Pricing, instrument

    # The simulated service prices its tokens at the shipped slo.yaml's prices.
    prices = Pricing({"claude-sonnet-4-6": {"input": 3.0, "output": 15.0, "cache_write": 3.75, "cache_read": 0.3},
                      "claude-haiku-4-5": {"input": 0.8, "output": 4.0, "cache_write": 1.0, "cache_read": 0.08}})
    clients = {
        f: instrument(anthropic.AsyncAnthropic(base_url=base_url, api_key="sk-ant-simulated", max_retries=0, timeout=60), feature=f,
                      pricing=prices, registry=traffic.registry)
        for f in FEATURES
    }
    r = random.Random(traffic.seed)
    in_flight: set[asyncio.Task] = set()
    loop = asyncio.get_running_loop()
    start, n = loop.time(), 0
    try:
        while True:
            n += 1
            await asyncio.sleep(max(0.0, start + n / traffic.rps - loop.time()))
            if len(in_flight) < MAX_IN_FLIGHT:
                call = _call(clients[r.choice(FEATURES)], r.choice(MODELS), n % 3)
                task = loop.create_task(call)
                in_flight.add(task)
                task.add_done_callback(in_flight.discard)
    finally:
        for task in in_flight:
            task.cancel()


async def _call(client: object, model: str, shape: int) -> None:
    import anthropic

    ask = {"model": model, "max_tokens": 256, "messages": [{"role": "user", "content": "Summarise the ticket."}]}
    try:
        if shape == 0:
            await client.messages.create(**ask)  # type: ignore[attr-defined]
        elif shape == 1:
            async for _ in await client.messages.create(**ask, stream=True):  # type: ignore[attr-defined]
                pass
        else:
            async with client.messages.stream(**ask) as stream:  # type: ignore[attr-defined]
                async for _ in stream.text_stream:
                    pass
    except anthropic.APIError:
        pass  # the instrumentation counted it; the simulated app shrugs


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
