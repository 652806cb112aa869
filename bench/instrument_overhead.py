"""slogen.instrument's cost per call, side by side with the bare anthropic SDK on the fake API (127.0.0.1).

Prints microseconds per call (median of interleaved runs), the time spent inside slogen's own
recording per call, and memory blocks allocated per stream chunk with and without the wrapper.
"""

from __future__ import annotations

import statistics
import time
import tracemalloc

import anthropic
from prometheus_client import CollectorRegistry

from generator.harness.fakeapi import Behaviour, FakeAnthropic
from slogen import _record
from slogen.instrument import Pricing, instrument

CALLS, ROUNDS, CHUNKS = 300, 7, 400
ASK = {"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}


def per_call(client: anthropic.Anthropic, stream: bool) -> float:
    start = time.perf_counter()
    for _ in range(CALLS):
        if stream:
            for _ in client.messages.create(**ASK, stream=True):
                pass
        else:
            client.messages.create(**ASK)
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


def main() -> None:
    with FakeAnthropic(Behaviour(first_token_delay=0, chunks=3)) as api:
        bare = anthropic.Anthropic(base_url=api.base_url, api_key="k", max_retries=0)
        wrapped = instrument(anthropic.Anthropic(base_url=api.base_url, api_key="k", max_retries=0), feature="bench",
                             pricing=Pricing({"claude-sonnet-4-6": {"input": 3, "output": 15}}), registry=CollectorRegistry())
        inside: list[float] = []
        finish = _record.Recorder.finish

        def timed(self, call):  # noqa: ANN001, ANN202
            t = time.perf_counter()
            finish(self, call)
            inside.append(time.perf_counter() - t)

        _record.Recorder.finish = timed
        print(f"slogen.instrument overhead: {CALLS} calls x {ROUNDS} interleaved rounds on 127.0.0.1")
        print(f"  {'call':<16} {'bare SDK µs':>12} {'instrumented µs':>16} {'difference µs':>14}")
        for stream in (False, True):
            b, w = [], []
            for _ in range(ROUNDS):
                b.append(per_call(bare, stream))
                w.append(per_call(wrapped, stream))
            mb, mw = statistics.median(b), statistics.median(w)
            print(f"  {'stream=True' if stream else 'plain':<16} {mb:>12.0f} {mw:>16.0f} {mw - mb:>14.0f}")
        print(f"  recording inside slogen (metrics + JSON line): median {statistics.median(inside) * 1e6:.0f} µs per call")
        _record.Recorder.finish = finish
        api.behaviour.chunks = CHUNKS
        print(f"  memory blocks allocated per stream chunk ({CHUNKS} chunks): bare {blocks_per_chunk(bare):.2f}, "
              f"instrumented {blocks_per_chunk(wrapped):.2f}")


if __name__ == "__main__":
    main()
