"""A long stream through slogen.instrument keeps nothing per chunk: the events are the SDK's, passed through.

tracemalloc counts the blocks still alive after a stream, by the file that allocated them; slogen's own files
(the stream observer, the recorder, the spans) must hold the same handful whether the stream had 100 or 2,000
chunks, with spans off and on (the real OpenTelemetry SDK, in-memory exporter)."""

import tracemalloc
from pathlib import Path

import anthropic
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry

import slogen
from generator.harness.fakeapi import Behaviour, FakeAnthropic
from slogen.instrument import Pricing, instrument

SLOGEN = str(Path(slogen.__file__).parent)
ASK = {"model": "claude-sonnet-4-6", "max_tokens": 64, "messages": [{"role": "user", "content": "hi"}]}


def _kept_by_slogen(client, api, chunks: int) -> int:
    api.behaviour.chunks = chunks
    stream = client.messages.create(**ASK, stream=True)
    tracemalloc.start(1)
    try:
        before = tracemalloc.take_snapshot()
        events = 0
        for _ in stream:
            events += 1
        after = tracemalloc.take_snapshot()
    finally:
        tracemalloc.stop()
    assert events >= chunks
    only = [tracemalloc.Filter(True, f"{SLOGEN}/*")]
    return sum(max(0, s.count_diff) for s in after.filter_traces(only).compare_to(before.filter_traces(only), "filename"))


@pytest.mark.parametrize("spans", [False, True])
def test_no_allocation_kept_per_stream_chunk(spans):
    exporter = InMemorySpanExporter()
    tracer = None
    if spans:
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        tracer = provider.get_tracer("test")
    with FakeAnthropic(Behaviour(first_token_delay=0)) as api:
        client = instrument(anthropic.Anthropic(base_url=api.base_url, api_key="k", max_retries=0), feature="alloc",
                            pricing=Pricing({"claude-sonnet-4-6": {"input": 3, "output": 15}}), registry=CollectorRegistry(), tracer=tracer)
        _kept_by_slogen(client, api, 10)  # first call: the series' children and caches are made once
        short, long = _kept_by_slogen(client, api, 100), _kept_by_slogen(client, api, 2000)
    assert long - short < 20, f"slogen kept {short} blocks for 100 chunks and {long} for 2,000"
    assert len(exporter.get_finished_spans()) == (3 if spans else 0)
