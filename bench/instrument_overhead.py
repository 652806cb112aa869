"""slogen.instrument's cost per call against the real anthropic SDK on the fake API (127.0.0.1).

What is timed is everything slogen does in a call and nothing the SDK does: the time spent in the instrumented
`messages.create` and in each `next()` on the stream it returns, less the time spent in the SDK's own `create`
and the SDK's own stream underneath, plus slogen's part of the SDK's HTTP send (the attempt hook: the hook's time
less the SDK's send). The same stopwatches run around a bare client, and that figure (the stopwatches' own cost)
is taken off. The series, the span and the JSON log line are all in it, the line through a real logging handler
(to /dev/null), as in a service. Spans off: no tracer provider; spans on: an OpenTelemetry SDK TracerProvider
with a BatchSpanProcessor (what a service runs) and an exporter that drops the spans.

Quiet: nothing else runs. Busy: one process spinning on every CPU besides the bench and the fake API. Beside
the first row of each kind of call, the SDK's own µs a call on the bare client: on a shared VM the host's speed
moves between runs, and slogen's figures move with it. Also printed: the memory blocks kept per stream chunk with
and without slogen.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import statistics
import time
import tracemalloc
from typing import Any

import anthropic
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult
from prometheus_client import CollectorRegistry

from generator.harness.fakeapi import Behaviour, FakeAnthropic
from slogen.instrument import Pricing, instrument

CALLS, ROUNDS, CHUNKS = 1500, 5, 400
ASK = {"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
PRICING = Pricing({"claude-sonnet-4-6": {"input": 3, "output": 15}})


class Dropped(SpanExporter):
    def export(self, spans):  # noqa: ANN001, ANN201
        return SpanExportResult.SUCCESS


class Stopwatch:
    """Seconds in the instrumented client (`outer`) and in the SDK beneath it (`sdk`), plus slogen's send hook
    (`hook`) around the SDK's own send (`send`)."""

    def __init__(self) -> None:
        self.outer = self.sdk = self.hook = self.send = 0.0
        self.sdk_spent = 0.0  # the SDK's own µs in the call last taken

    def timer(self, fn: Any, slot: str) -> Any:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                setattr(self, slot, getattr(self, slot) + time.perf_counter() - start)

        return timed

    def take(self) -> float:
        """slogen's µs in the call just made."""
        spent = self.outer - self.sdk + self.hook - self.send
        self.sdk_spent = self.sdk * 1e6
        self.outer = self.sdk = self.hook = self.send = 0.0
        return spent * 1e6


class _SdkStream:
    """The SDK's stream, each `next` counted as the SDK's."""

    def __init__(self, stream: Any, watch: Stopwatch) -> None:
        self._stream, self._watch = stream, watch

    def __iter__(self) -> _SdkStream:
        return self

    def __next__(self) -> Any:
        start = time.perf_counter()
        try:
            return next(self._stream)
        finally:
            self._watch.sdk += time.perf_counter() - start

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def client(url: str, watch: Stopwatch, tracer: Any = None, bare: bool = False) -> anthropic.Anthropic:
    sdk = anthropic.Anthropic(base_url=url, api_key="k", max_retries=0)
    create, http = watch.timer(sdk.messages.create, "sdk"), sdk._client  # noqa: SLF001

    def sdk_create(*args: Any, **kwargs: Any) -> Any:
        result = create(*args, **kwargs)
        return _SdkStream(result, watch) if kwargs.get("stream") else result

    sdk.messages.create, http.send = sdk_create, watch.timer(http.send, "send")
    if not bare:
        instrument(sdk, feature="bench", pricing=PRICING, registry=CollectorRegistry(), tracer=tracer)
    http.send = watch.timer(http.send, "hook")
    return sdk


def one(c: anthropic.Anthropic, stream: bool, watch: Stopwatch) -> None:
    start = time.perf_counter()
    result = c.messages.create(**ASK, stream=stream)
    watch.outer += time.perf_counter() - start
    if stream:
        events = iter(result)
        while True:
            start = time.perf_counter()
            try:
                next(events)
            except StopIteration:
                break
            finally:
                watch.outer += time.perf_counter() - start


def samples(c: anthropic.Anthropic, stream: bool, watch: Stopwatch, sdk: list[float] | None = None) -> list[float]:
    """slogen's µs in each call; `sdk` gets the SDK's own."""
    taken = []
    for _ in range(CALLS // ROUNDS):
        one(c, stream, watch)
        taken.append(watch.take())
        if sdk is not None:
            sdk.append(watch.sdk_spent)
    return taken


def blocks_per_chunk(c: anthropic.Anthropic) -> float:
    stream = c.messages.create(**ASK, stream=True)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for _ in stream:
        pass
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    return sum(s.count_diff for s in after.compare_to(before, "filename") if s.count_diff > 0) / CHUNKS


def serve(conn) -> None:  # noqa: ANN001 - a Pipe end
    """The fake API in its own process: in this one, its threads would take the GIL inside the timed sections."""
    with FakeAnthropic(Behaviour(first_token_delay=0, chunks=3)) as short, FakeAnthropic(Behaviour(first_token_delay=0, chunks=CHUNKS)) as long:
        conn.send((short.base_url, long.base_url))
        conn.recv()  # until the bench is done


def spin(stop) -> None:  # noqa: ANN001 - an Event
    while not stop.is_set():
        sum(range(10_000))


def p95(values: list[float]) -> float:
    return sorted(values)[int(0.95 * len(values)) - 1]


def table(short: str, provider: TracerProvider, logger: logging.Logger) -> None:
    """Every row sampled in each of ROUNDS rounds, so a noisy minute on the host weighs on all rows alike."""
    watch = Stopwatch()
    bare, off, on = client(short, watch, bare=True), client(short, watch), client(short, watch, provider.get_tracer("bench"))
    rows = [(stream, spans, log, wrapped) for stream in (False, True) for spans, log, wrapped in (("off", True, off), ("on", True, on), ("off", False, off))]
    baseline: dict[bool, list[float]] = {False: [], True: []}  # the stopwatches' own cost
    sdk: dict[bool, list[float]] = {False: [], True: []}  # the SDK's own time a call, to see how fast the host ran
    taken: dict[int, list[float]] = {i: [] for i in range(len(rows))}
    for _ in range(ROUNDS):
        for stream in (False, True):
            baseline[stream] += samples(bare, stream, watch, sdk[stream])
        for i, (stream, _spans, log, wrapped) in enumerate(rows):
            logger.disabled = not log  # off: nothing listens at INFO, and slogen builds no line
            taken[i] += samples(wrapped, stream, watch)
    logger.disabled = False
    print(f"  {'call':<12} {'spans':<6} {'log line':<9} {'slogen µs a call: median':>25} {'p95':>6} {'mean':>6}   {'the SDK alone':>13}")
    for i, (stream, spans, log, _wrapped) in enumerate(rows):
        cost = statistics.median(baseline[stream])
        values = [t - cost for t in taken[i]]
        label = "stream=True" if stream else "plain"
        alone = f"{statistics.median(sdk[stream]):>13.0f}" if spans == "off" and log else ""
        print(f"  {label:<12} {spans:<6} {'on' if log else 'off':<9} {statistics.median(values):>25.1f} {p95(values):>6.1f} {statistics.fmean(values):>6.1f}   {alone}".rstrip())


def main() -> None:
    logger = logging.getLogger("slogen.instrument")
    logger.setLevel(logging.INFO)
    logger.addHandler(logging.StreamHandler(open(os.devnull, "w")))  # noqa: SIM115 - lives as long as the run
    logger.propagate = False
    provider = TracerProvider()
    provider.add_span_processor(BatchSpanProcessor(Dropped()))
    conn, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(child,), daemon=True)
    server.start()
    short, long = conn.recv()
    try:
        print(f"slogen.instrument overhead: {CALLS} calls a row in {ROUNDS} rounds on 127.0.0.1, JSON line logged to /dev/null, {os.cpu_count()} CPUs")
        print(f"quiet (load average {os.getloadavg()[0]:.1f}):")
        table(short, provider, logger)
        stop = multiprocessing.Event()
        spinners = [multiprocessing.Process(target=spin, args=(stop,), daemon=True) for _ in range(os.cpu_count() or 1)]
        for s in spinners:
            s.start()
        try:
            time.sleep(2)  # for the load average to show them; nothing waits on it
            print(f"busy, a spinning process on every CPU (load average {os.getloadavg()[0]:.1f}):")
            table(short, provider, logger)
        finally:
            stop.set()
            for s in spinners:
                s.join(10)
        watch = Stopwatch()
        bare, off, on = client(long, watch, bare=True), client(long, watch), client(long, watch, provider.get_tracer("bench"))
        for c in (bare, off, on):
            one(c, True, watch)  # the series' children and caches are made on the first call
        print(f"memory blocks kept per stream chunk ({CHUNKS} chunks): bare {blocks_per_chunk(bare):.2f}, "
              f"instrumented {blocks_per_chunk(off):.2f}, with spans {blocks_per_chunk(on):.2f}")
    finally:
        conn.send("done")
        server.join(10)
        provider.shutdown()


if __name__ == "__main__":
    main()
