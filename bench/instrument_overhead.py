"""slogen.instrument's cost per call against the real anthropic SDK on the fake API (127.0.0.1).

What is timed is slogen's own part of each call, not the HTTP round trip: every entry into slogen during the
call (Recorder.start, which opens the span; the per-event hook of streams; Recorder.finish, which records the
series, ends the span and writes the JSON log line) is timed with perf_counter and summed per call. The fake API runs in
its own process (its threads would otherwise hold the GIL inside the timed sections). The JSON
line goes through a real logging handler (to /dev/null), as in a service. Spans off: no tracer provider;
spans on: an OpenTelemetry SDK TracerProvider with a SimpleSpanProcessor and an exporter that drops the spans.
The send hook (one status append per HTTP attempt) is left out: it is a dict comprehension over the response
headers, inside the SDK's own send. Also printed: the bare SDK against the instrumented one per call (noisy on
loopback) and the memory blocks allocated per stream chunk with and without slogen.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import statistics
import time
import tracemalloc

import anthropic
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExporter, SpanExportResult
from prometheus_client import CollectorRegistry

from generator.harness.fakeapi import Behaviour, FakeAnthropic
from slogen import _record, _streams
from slogen.instrument import Pricing, instrument

CALLS, ROUNDS, CHUNKS = 300, 5, 400
ASK = {"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}
PRICING = Pricing({"claude-sonnet-4-6": {"input": 3, "output": 15}})


class Dropped(SpanExporter):
    def export(self, spans):  # noqa: ANN001, ANN201
        return SpanExportResult.SUCCESS


class Inside:
    """Sums the time spent inside slogen's entry points; one sample per call."""

    def __init__(self) -> None:
        self.spent = 0.0
        self.originals = [(_record.Recorder, "start"), (_record.Recorder, "finish"), (_streams._Observed, "_see")]  # noqa: SLF001

    def __enter__(self) -> Inside:
        for owner, name in self.originals:
            setattr(owner, name, self._timed(getattr(owner, name)))
        return self

    def __exit__(self, *exc: object) -> None:
        for owner, name in self.originals:
            setattr(owner, name, getattr(owner, name).__wrapped__)

    def _timed(self, fn):  # noqa: ANN001, ANN202
        def timed(*args):  # noqa: ANN002, ANN202
            t = time.perf_counter()
            try:
                return fn(*args)
            finally:
                self.spent += time.perf_counter() - t

        timed.__wrapped__ = fn
        return timed

    def take(self) -> float:
        spent, self.spent = self.spent, 0.0
        return spent


def one(client: anthropic.Anthropic, stream: bool) -> None:
    if stream:
        for _ in client.messages.create(**ASK, stream=True):
            pass
    else:
        client.messages.create(**ASK)


def per_call(client: anthropic.Anthropic, stream: bool) -> float:
    start = time.perf_counter()
    for _ in range(CALLS):
        one(client, stream)
    return (time.perf_counter() - start) / CALLS * 1e6


def blocks_per_chunk(client: anthropic.Anthropic) -> float:
    stream = client.messages.create(**ASK, stream=True)
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


def p95(samples: list[float]) -> float:
    return sorted(samples)[int(0.95 * len(samples)) - 1]


def main() -> None:
    logger = logging.getLogger("slogen.instrument")
    logger.setLevel(logging.INFO)
    logger.addHandler(logging.StreamHandler(open(os.devnull, "w")))  # noqa: SIM115 - lives as long as the run
    logger.propagate = False
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(Dropped()))
    conn, child = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(child,), daemon=True)
    server.start()
    short, long = conn.recv()
    try:
        def client(url: str, tracer: object = None) -> anthropic.Anthropic:
            return instrument(anthropic.Anthropic(base_url=url, api_key="k", max_retries=0), feature="bench",
                              pricing=PRICING, registry=CollectorRegistry(), tracer=tracer)

        bare = anthropic.Anthropic(base_url=short, api_key="k", max_retries=0)
        off, on = client(short), client(short, provider.get_tracer("bench"))
        load = os.getloadavg()[0]
        print(f"slogen.instrument overhead: {CALLS} calls x {ROUNDS} rounds on 127.0.0.1, JSON line logged to /dev/null, "
              f"load average {load:.1f} on {os.cpu_count()} CPUs")
        print(f"  {'call':<12} {'spans':<6} {'log line':<9} {'inside slogen µs: median':>25} {'p95':>6} {'mean':>6}")
        with Inside() as inside:
            for stream in (False, True):
                for spans, log, wrapped in (("off", True, off), ("on", True, on), ("off", False, off)):
                    logger.disabled = not log  # off: nothing listens at INFO, and slogen builds no line
                    samples = []
                    for _ in range(ROUNDS * CALLS):
                        one(wrapped, stream)
                        samples.append(inside.take() * 1e6)
                    label = "stream=True" if stream else "plain"
                    print(f"  {label:<12} {spans:<6} {'on' if log else 'off':<9} {statistics.median(samples):>25.1f} {p95(samples):>6.1f} {statistics.fmean(samples):>6.1f}")
            logger.disabled = False
        print(f"  {'call':<12} {'bare SDK µs':>12} {'instrumented µs':>16} {'difference µs':>14}   (whole call, spans off)")
        for stream in (False, True):
            b, w = [], []
            for _ in range(ROUNDS):
                b.append(per_call(bare, stream))
                w.append(per_call(off, stream))
            mb, mw = statistics.median(b), statistics.median(w)
            print(f"  {'stream=True' if stream else 'plain':<12} {mb:>12.0f} {mw:>16.0f} {mw - mb:>14.0f}")
        bare, off, on = anthropic.Anthropic(base_url=long, api_key="k", max_retries=0), client(long), client(long, provider.get_tracer("bench"))
        for c in (bare, off, on):
            one(c, True)  # the series' children and caches are made on the first call
        print(f"  memory blocks kept per stream chunk ({CHUNKS} chunks): bare {blocks_per_chunk(bare):.2f}, "
              f"instrumented {blocks_per_chunk(off):.2f}, with spans {blocks_per_chunk(on):.2f}")
    finally:
        conn.send("done")
        server.join(10)


if __name__ == "__main__":
    main()
