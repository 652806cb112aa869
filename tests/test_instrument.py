"""slogen.instrument with the real anthropic and openai SDKs against the fake API on 127.0.0.1.

Every value in the exposition is checked against what the fake API sent: tokens, cost to the
cent, status codes, rate-limit headers, TTFT within the injected delay.
"""

import asyncio
import json
import logging
import socket
import time

import anthropic
import openai
import pytest
from prometheus_client import CollectorRegistry
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client import generate_latest

from generator.harness.fakeapi import Behaviour, FakeAnthropic
from slogen._pricing import TOKEN_TYPES
from slogen.instrument import Pricing, instrument, observe, pricing_from

MODEL = "claude-sonnet-4-6"
ASK = {"model": MODEL, "max_tokens": 64, "messages": [{"role": "user", "content": "the secret prompt"}]}
PRICES = {"input": 3.0, "output": 15.0, "cache_read": 0.3, "cache_write": 3.75}  # slo.yaml's Sonnet prices
DELAY = 0.2


def samples(registry) -> dict[tuple, float]:
    out = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for s in family.samples:
            if not s.name.endswith("_created"):
                out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def value(registry, name: str, **labels: str) -> float:
    return samples(registry).get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def api():
    with FakeAnthropic(Behaviour(input_tokens=1200, output_tokens=300, cache_read_tokens=5000, cache_write_tokens=800)) as fake:
        yield fake


@pytest.fixture
def registry():
    return CollectorRegistry()


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.INFO, logger="slogen.instrument")
    return lambda: [json.loads(r.getMessage()) for r in caplog.records if r.name == "slogen.instrument"]


def client(api, registry, cls=anthropic.Anthropic, **kw):
    return instrument(cls(base_url=api.base_url, api_key="sk-ant-SECRET", max_retries=0, **kw), feature="chat",
                      pricing=pricing_from("slo.yaml"), registry=registry)


def expected_cost(api) -> float:
    b = api.behaviour
    return (b.input_tokens * PRICES["input"] + b.output_tokens * PRICES["output"] + b.cache_read_tokens * PRICES["cache_read"]
            + b.cache_write_tokens * PRICES["cache_write"]) / 1e6


def assert_one_good_call(registry, api, logs, stream: bool):
    b, labels = api.behaviour, {"model": MODEL, "feature": "chat"}
    assert value(registry, "claude_api_requests_total", status_code="200", **labels) == 1
    for kind, n in (("input", b.input_tokens), ("output", b.output_tokens), ("cache_read", b.cache_read_tokens), ("cache_write", b.cache_write_tokens)):
        assert value(registry, "claude_api_tokens_total", type=kind, **labels) == n, kind
    assert value(registry, "claude_api_cost_usd_total", **labels) == pytest.approx(expected_cost(api), abs=0.005)
    assert round(value(registry, "claude_api_cost_usd_total", **labels), 6) == round(expected_cost(api), 6)
    assert value(registry, "claude_api_responses_total", stop_reason="end_turn", **labels) == 1
    assert value(registry, "claude_api_ratelimit_limit", model=MODEL, dimension="requests") == b.limit
    assert value(registry, "claude_api_ratelimit_remaining", model=MODEL, dimension="tokens") == round(b.limit * (1 - b.used_share))
    assert value(registry, "claude_api_request_duration_seconds_count", **labels) == 1
    ttft = value(registry, "claude_api_ttft_seconds_sum", **labels)
    if stream:
        assert DELAY <= ttft < DELAY + 0.5
        assert value(registry, "claude_api_ttft_seconds_bucket", le="0.1", **labels) == 0
        assert value(registry, "claude_api_ttft_seconds_bucket", le="1.0", **labels) == 1
    else:
        assert value(registry, "claude_api_ttft_seconds_count", **labels) == 0
    (line,) = logs()
    served = api.served.requests[-1]
    assert line["request_id"] == served["id"] and line["status"] == "200" and line["stream"] is stream
    assert line["input_tokens"] == b.input_tokens and line["cache_read_tokens"] == b.cache_read_tokens
    assert {k: line[f"{k}_tokens"] for k in TOKEN_TYPES} == {"input": b.input_tokens, "output": b.output_tokens, "cache_read": b.cache_read_tokens, "cache_write": b.cache_write_tokens}
    assert line["cost_usd"] == pytest.approx(expected_cost(api))
    assert (line["ttft_ms"] is not None) is stream
    text = json.dumps(line)
    assert "SECRET" not in text and "secret prompt" not in text and "content" not in line


def test_plain_create(api, registry, logs):
    api.behaviour.first_token_delay = 0.0
    message = client(api, registry).messages.create(**ASK)
    assert isinstance(message, anthropic.types.Message) and message.usage.output_tokens == 300  # the SDK's own object
    assert_one_good_call(registry, api, logs, stream=False)


def test_stream_true_ttft_at_the_first_content_delta(api, registry, logs):
    api.behaviour.first_token_delay = DELAY
    events = [e.type for e in client(api, registry).messages.create(**ASK, stream=True)]
    assert events[0] == "message_start" and events[-1] == "message_stop"
    assert_one_good_call(registry, api, logs, stream=True)


def test_stream_helper(api, registry, logs):
    api.behaviour.first_token_delay = DELAY
    with client(api, registry).messages.stream(**ASK) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text.startswith("chunk 0") and final.usage.cache_read_input_tokens == 5000
    assert_one_good_call(registry, api, logs, stream=True)


def test_async_create_stream_and_helper(api, registry, logs):
    api.behaviour.first_token_delay = DELAY
    c = client(api, registry, anthropic.AsyncAnthropic)

    async def go():
        await c.messages.create(**ASK)
        async for _ in await c.messages.create(**ASK, stream=True):
            pass
        async with c.messages.stream(**ASK) as stream:
            async for _ in stream.text_stream:
                pass

    asyncio.run(go())
    labels = {"model": MODEL, "feature": "chat"}
    assert value(registry, "claude_api_requests_total", status_code="200", **labels) == 3
    assert value(registry, "claude_api_ttft_seconds_count", **labels) == 2
    assert value(registry, "claude_api_tokens_total", type="output", **labels) == 900
    assert [line["stream"] for line in logs()] == [False, True, True]


def test_streams_pass_through_lazily(api, registry):
    """The first event reaches the caller while the API is still writing the rest: nothing is buffered."""
    api.behaviour.chunks, api.behaviour.chunk_delay = 4, 0.3
    start = time.perf_counter()
    stream = client(api, registry).messages.create(**ASK, stream=True)
    first = next(iter(stream))
    assert first.type == "message_start" and time.perf_counter() - start < 0.6
    for _ in stream:
        pass
    assert time.perf_counter() - start >= 0.9


@pytest.mark.parametrize("status, error", [(500, anthropic.InternalServerError), (529, anthropic.OverloadedError),
                                           (429, anthropic.RateLimitError), (400, anthropic.BadRequestError)])
def test_failures_propagate_unchanged_and_are_counted_by_code(api, registry, logs, status, error):
    api.behaviour.fail_status = status
    api.behaviour.used_share = 1.0
    with pytest.raises(error) as raised:
        client(api, registry).messages.create(**ASK)
    assert raised.value.status_code == status
    assert value(registry, "claude_api_requests_total", model=MODEL, feature="chat", status_code=str(status)) == 1
    assert value(registry, "claude_api_tokens_total", model=MODEL, feature="chat", type="input") == 0
    (line,) = logs()
    assert line["status"] == str(status) and line["error_type"] == error.__name__
    if status == 429:  # a 429 carries the headers that say why
        assert value(registry, "claude_api_ratelimit_remaining", model=MODEL, dimension="requests") == 0


def test_a_failing_stream_is_counted(api, registry):
    api.behaviour.fail_status = 529
    with pytest.raises(anthropic.OverloadedError):
        with client(api, registry).messages.stream(**ASK) as stream:
            list(stream.text_stream)
    assert value(registry, "claude_api_requests_total", model=MODEL, feature="chat", status_code="529") == 1


def test_timeout_and_network_failures(api, registry, logs):
    api.behaviour.first_token_delay = 1.0
    with pytest.raises(anthropic.APITimeoutError):
        client(api, registry, timeout=0.2).messages.create(**ASK)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = s.getsockname()[1]  # bound, never listening: connection refused
        c = instrument(anthropic.Anthropic(base_url=f"http://127.0.0.1:{closed}", api_key="k", max_retries=0), feature="chat", registry=registry)
        with pytest.raises(anthropic.APIConnectionError):
            c.messages.create(**ASK)
    assert [line["status"] for line in logs()] == ["timeout", "network"]
    assert value(registry, "claude_api_requests_total", model=MODEL, feature="chat", status_code="timeout") == 1


def test_early_break_and_cancellation_still_record(api, registry, logs):
    api.behaviour.chunks, api.behaviour.chunk_delay = 5, 0.2
    with client(api, registry).messages.stream(**ASK) as stream:
        for _ in stream.text_stream:
            break
    c = client(api, registry, anthropic.AsyncAnthropic)

    async def slow():
        async for _ in await c.messages.create(**ASK, stream=True):
            pass

    async def cancel():
        task = asyncio.create_task(slow())
        await asyncio.sleep(0.3)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(cancel())
    broke, cancelled = logs()
    assert broke["status"] == "200" and broke["stop_reason"] == "client_closed" and broke["input_tokens"] == 1200
    assert cancelled["status"] == "cancelled" and cancelled["error_type"] == "CancelledError"


def test_a_failure_inside_instrumentation_is_swallowed_and_counted(api, registry):
    class Broken(Pricing):
        def cost(self, model, tokens):
            raise RuntimeError("bug in slogen")

    c = instrument(anthropic.Anthropic(base_url=api.base_url, api_key="k", max_retries=0), pricing=Broken({}), registry=registry)
    assert c.messages.create(**ASK).usage.input_tokens == 1200
    assert value(registry, "slogen_instrument_errors_total") == 1


def test_openai_compatible_client(api, registry, logs):
    c = instrument(openai.OpenAI(base_url=api.base_url + "/v1", api_key="sk-SECRET", max_retries=0), feature="chat",
                   pricing={"claude-sonnet-4-6": PRICES}, registry=registry)
    c.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}])
    api.behaviour.first_token_delay = DELAY
    chunks = list(c.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True, stream_options={"include_usage": True}))
    assert chunks[-1].usage.completion_tokens == 300
    labels = {"model": MODEL, "feature": "chat"}
    assert value(registry, "claude_api_requests_total", status_code="200", **labels) == 2
    # OpenAI counts cached tokens inside prompt_tokens: the series count fresh input and cache reads apart.
    assert value(registry, "claude_api_tokens_total", type="input", **labels) == 2 * 1200
    assert value(registry, "claude_api_tokens_total", type="cache_read", **labels) == 2 * 5000
    assert value(registry, "claude_api_ttft_seconds_count", **labels) == 1
    assert DELAY <= value(registry, "claude_api_ttft_seconds_sum", **labels) < DELAY + 0.5
    assert value(registry, "claude_api_ratelimit_limit", model=MODEL, dimension="requests") == 4000
    assert [line["stop_reason"] for line in logs()] == ["end_turn", "end_turn"]


def test_decorator_for_your_own_call(api, registry, logs):
    raw = anthropic.Anthropic(base_url=api.base_url, api_key="k", max_retries=0)

    @observe(model=MODEL, feature="summarise", pricing=Pricing({MODEL: PRICES}), registry=registry)
    def summarise():
        return raw.messages.create(**ASK)

    summarise()
    api.behaviour.fail_status = 500
    with pytest.raises(anthropic.InternalServerError):
        summarise()
    labels = {"model": MODEL, "feature": "summarise"}
    assert value(registry, "claude_api_requests_total", status_code="200", **labels) == 1
    assert value(registry, "claude_api_requests_total", status_code="500", **labels) == 1
    assert value(registry, "claude_api_cost_usd_total", **labels) == pytest.approx(expected_cost(api))


def test_log_content_only_when_asked(api, registry, logs):
    instrument(anthropic.Anthropic(base_url=api.base_url, api_key="k", max_retries=0), registry=registry, log_content=True).messages.create(**ASK)
    instrument(openai.OpenAI(base_url=api.base_url + "/v1", api_key="k", max_retries=0), registry=registry, log_content=True).chat.completions.create(
        model=MODEL, messages=[{"role": "user", "content": "hi"}])
    client(api, registry).messages.create(**ASK)
    assert [line.get("content") for line in logs()] == ["ok", "ok", None]


def test_rate_limit_gauges_follow_the_latest_answer_across_batches(api, registry):
    """The series are added in batches and at every scrape: 70 calls (one batch and six waiting) count exactly, and
    the gauges hold the last answer's headers, not an earlier one's."""
    c = client(api, registry)
    for i in range(70):
        api.behaviour.used_share = i / 100
        c.messages.create(**ASK)
    assert value(registry, "claude_api_requests_total", model=MODEL, feature="chat", status_code="200") == 70
    assert value(registry, "claude_api_attempts_total", model=MODEL, feature="chat", status_code="200") == 70
    assert value(registry, "claude_api_ratelimit_remaining", model=MODEL, dimension="requests") == round(api.behaviour.limit * (1 - 0.69))
    c.messages.create(**ASK)
    assert value(registry, "claude_api_requests_total", model=MODEL, feature="chat", status_code="200") == 71


def test_with_a_meter_it_records_the_otel_genai_series_the_otel_profile_reads(api):
    """The semantic-convention instruments on the caller's MeterProvider, through the OTel Prometheus exporter:
    the series are the ones the otel-genai profile (naming: python) selects."""
    from opentelemetry.exporter.prometheus import PrometheusMetricReader
    from opentelemetry.sdk.metrics import MeterProvider
    from prometheus_client import REGISTRY

    from generator.profiles import otel_genai

    provider = MeterProvider(metric_readers=[PrometheusMetricReader()])
    try:
        c = instrument(anthropic.Anthropic(base_url=api.base_url, api_key="k", max_retries=0), meter=provider.get_meter("app"), registry=CollectorRegistry())
        api.behaviour.first_token_delay = DELAY
        for _ in c.messages.create(**ASK, stream=True):
            pass
        api.behaviour.fail_status = 429
        with pytest.raises(anthropic.RateLimitError):
            c.messages.create(**ASK)
        exposed = [s for f in text_string_to_metric_families(generate_latest(REGISTRY).decode()) for s in f.samples]
    finally:
        provider.shutdown()
    got = {(s.name, s.labels.get("error_type", ""), s.labels.get("gen_ai_token_type", "")): s.value for s in exposed if s.name.startswith("gen_ai")}
    profile = otel_genai("python")
    # The attempts counter, as the profile reads it once the spec names it (metrics.signals.attempts: {}).
    attempts = profile.optional["attempts"]
    status, model = attempts.labels["status"], attempts.labels["model"]
    assert {(s.labels[status], s.labels[model]): s.value for s in exposed if s.name == attempts.metric} == {("200", MODEL): 1, ("429", MODEL): 1}
    requests, tokens = profile.signals["requests"].metric, profile.signals["tokens"]
    assert got[(requests, "", "")] == 1 and got[(requests, "RateLimitError", "")] == 1
    b = api.behaviour
    assert got[("gen_ai_client_token_usage_sum", "", "input")] == b.input_tokens + b.cache_read_tokens + b.cache_write_tokens
    assert got[("gen_ai_client_token_usage_sum", "", "output")] == b.output_tokens
    assert "gen_ai_client_token_usage_sum" in (tokens.metric, *tokens.aliases)
    ttft_count = profile.signals["ttft"].metric + "_count"
    assert got[(ttft_count, "", "")] == 1
    assert DELAY <= got[(profile.signals["ttft"].metric + "_sum", "", "")] < DELAY + 0.5
