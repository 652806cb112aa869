"""slogen.instrument tells the truth about every call, with the real SDKs against the fake API on 127.0.0.1:
streams that fail after their 200, retries the SDK makes on its own, dated model ids, results without usage,
per-call context and caps, log lines, spans and exemplars. Counts are exact against what the fake API sent."""

import asyncio
import json
import logging
import threading
import warnings
from datetime import datetime
from unittest import mock

import anthropic
import openai
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

import slogen
from generator.harness.fakeapi import Behaviour, FakeAnthropic
from slogen import _record
from slogen._pricing import TOKEN_TYPES
from slogen.instrument import Pricing, context, instrument, observe, pricing_from, report_usage
from tests.test_instrument import ASK, MODEL, PRICES, samples, value

LABELS = {"model": MODEL, "feature": "chat"}


@pytest.fixture
def api():
    with FakeAnthropic(Behaviour(input_tokens=1200, output_tokens=300, retry_after_ms=1)) as fake:
        yield fake


@pytest.fixture
def registry():
    return CollectorRegistry()


@pytest.fixture
def logs(caplog):
    caplog.set_level(logging.INFO, logger="slogen.instrument")
    return lambda: [(r.levelname, json.loads(r.getMessage())) for r in caplog.records if r.name == "slogen.instrument"]


def client(api, registry, cls=anthropic.Anthropic, retries=0, **kw):
    return instrument(cls(base_url=api.base_url, api_key="sk-ant-SECRET", max_retries=retries), feature="chat",
                      pricing=pricing_from("slo.yaml"), registry=registry, **kw)


def requests(registry, **labels):
    return {k[1]: v for k, v in samples(registry).items() if k[0] == "claude_api_requests_total" and v and all(p in k[1] for p in labels.items())}


def attempts(registry) -> dict[str, float]:
    return {dict(k[1])["status_code"]: v for k, v in samples(registry).items() if k[0] == "claude_api_attempts_total" and v}


# --- 1. streams that fail after their 200 --------------------------------------------------------


def _sync_create(c):
    for _ in c.messages.create(**ASK, stream=True):
        pass


def _sync_helper(c):
    with c.messages.stream(**ASK) as stream:
        for _ in stream.text_stream:
            pass


def _async_create(c):
    async def go():
        async for _ in await c.messages.create(**ASK, stream=True):
            pass
    asyncio.run(go())


def _async_helper(c):
    async def go():
        async with c.messages.stream(**ASK) as stream:
            async for _ in stream.text_stream:
                pass
    asyncio.run(go())


SHAPES = {"create-stream": (_sync_create, anthropic.Anthropic), "messages.stream": (_sync_helper, anthropic.Anthropic),
          "async-create-stream": (_async_create, anthropic.AsyncAnthropic), "async-messages.stream": (_async_helper, anthropic.AsyncAnthropic)}


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind, status", [("overloaded_error", "529"), ("api_error", "500"), ("rate_limit_error", "429"), ("odd_new_error", "stream_error")])
def test_an_error_inside_a_stream_after_its_200_fails_the_call(api, registry, logs, shape, kind, status):
    run, cls = SHAPES[shape]
    api.behaviour.stream_error, api.behaviour.chunks = kind, 3
    with pytest.raises(anthropic.APIStatusError) as raised:
        run(client(api, registry, cls))
    assert raised.value.status_code == 200  # what the caller sees is the SDK's own exception, unchanged
    (served,) = api.served.requests
    assert served["status"] == 200 and served["stream_error"] == kind
    assert requests(registry) == {tuple(sorted({**LABELS, "status_code": status}.items())): 1.0}
    assert attempts(registry) == {status: 1.0}  # the attempt answered 200, then failed: it counts as failed
    # Tokens already streamed still count: message_start said how many input tokens the API took.
    assert value(registry, "claude_api_tokens_total", type="input", **LABELS) == 1200
    ((level, line),) = logs()
    assert level == "WARNING" and line["status"] == status and line["request_id"] == served["id"]
    assert "injected mid-stream" in line["error_message"] and "secret prompt" not in json.dumps(line)


def test_an_openai_compatible_stream_ending_in_an_error_fails_the_call(api, registry, logs):
    c = instrument(openai.OpenAI(base_url=api.base_url + "/v1", api_key="k", max_retries=0), feature="chat", registry=registry)
    api.behaviour.stream_error = "overloaded_error"  # an OpenAI-compatible proxy writes it as server_error
    with pytest.raises(openai.APIError):
        list(c.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], stream=True))
    assert requests(registry) == {tuple(sorted({**LABELS, "status_code": "500"}.items())): 1.0}
    assert logs()[0][1]["error_type"] == "InternalServerError"


# --- 2. every attempt, retries included --------------------------------------------------------


def test_retries_that_recover_are_one_good_request_and_two_attempts_each(api, registry, logs):
    api.behaviour.retry_fail = 529  # every call's first attempt is overloaded; its retry answers
    c = client(api, registry, retries=2)
    for _ in range(20):
        c.messages.create(**ASK)
    assert len(api.served.requests) == 40
    assert requests(registry) == {tuple(sorted({**LABELS, "status_code": "200"}.items())): 20.0}
    assert attempts(registry) == {"529": 20.0, "200": 20.0}
    assert {line["attempts"] for _, line in logs()} == {2} and {level for level, _ in logs()} == {"INFO"}


def test_retries_exhausted_fail_with_the_last_status_and_every_attempt_counted(api, registry, logs):
    api.behaviour.fail_status = 529
    with pytest.raises(anthropic.OverloadedError):
        client(api, registry, retries=2).messages.create(**ASK)
    assert len(api.served.requests) == 3
    assert requests(registry) == {tuple(sorted({**LABELS, "status_code": "529"}.items())): 1.0}
    assert attempts(registry) == {"529": 3.0}
    assert logs()[0][1]["attempts"] == 3


def test_async_retries_and_a_recovered_stream(api, registry):
    api.behaviour.retry_fail, api.behaviour.retry_fail_attempts = 500, 2
    c = client(api, registry, anthropic.AsyncAnthropic, retries=2)

    async def go():
        await c.messages.create(**ASK)
        async for _ in await c.messages.create(**ASK, stream=True):
            pass

    asyncio.run(go())
    assert len(api.served.requests) == 6
    assert attempts(registry) == {"500": 4.0, "200": 2.0}
    assert requests(registry) == {tuple(sorted({**LABELS, "status_code": "200"}.items())): 2.0}


def test_timed_out_attempts_are_counted_as_timeouts(api, registry, logs):
    api.behaviour.first_token_delay = 1.0
    c = instrument(anthropic.Anthropic(base_url=api.base_url, api_key="k", max_retries=1, timeout=0.2), feature="chat", registry=registry)
    with pytest.raises(anthropic.APITimeoutError):
        c.messages.create(**ASK)
    assert attempts(registry) == {"timeout": 2.0}
    ((_, line),) = logs()
    assert line["status"] == "timeout" and line["attempts"] == 2
    assert line["request_id"].startswith("slogen-")  # the API never answered: our own id names the call


def test_eight_threads_of_retried_calls_add_up_exactly(api, registry):
    api.behaviour.retry_fail = 529
    c = client(api, registry, retries=2)

    def work():
        for _ in range(50):
            c.messages.create(**ASK)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(api.served.requests) == 800
    assert attempts(registry) == {"529": 400.0, "200": 400.0}
    assert value(registry, "claude_api_tokens_total", type="input", **LABELS) == 400 * 1200


# --- 3. prices by longest listed prefix ------------------------------------------------------------


def test_a_dated_model_id_is_priced_as_its_longest_listed_prefix(api, registry):
    pricing = Pricing({"claude-sonnet-4-6": PRICES, "claude-sonnet-4": {"input": 99, "output": 99}, "claude-opus-4-1": {"input": 15, "output": 75}})
    assert pricing.listed("claude-sonnet-4-6-20260101") == "claude-sonnet-4-6"
    assert pricing.listed("claude-sonnet-4-5") == "claude-sonnet-4"
    assert pricing.listed("claude-haiku-4-5-latest") is None
    c = instrument(anthropic.Anthropic(base_url=api.base_url, api_key="k", max_retries=0), feature="chat", pricing=pricing, registry=registry)
    c.messages.create(**{**ASK, "model": "claude-sonnet-4-6-20260101"})
    expected = (1200 * PRICES["input"] + 300 * PRICES["output"]) / 1e6
    assert value(registry, "claude_api_cost_usd_total", model="claude-sonnet-4-6-20260101", feature="chat") == pytest.approx(expected)
    assert pricing.cost("claude-haiku-4-5-latest", {"input": 1_000_000}) == 99  # no prefix: the default (the dearest listed)


# --- 4. unknown is not zero ------------------------------------------------------------------------


def test_a_decorated_function_returning_text_records_usage_as_unknown_and_warns_once(api, registry, logs):
    raw = anthropic.Anthropic(base_url=api.base_url, api_key="k", max_retries=0)

    @observe(model=MODEL, feature="chat", pricing=Pricing({MODEL: PRICES}), registry=registry)
    def ask():
        return raw.messages.create(**ASK).content[0].text

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert ask() == "ok" and ask() == "ok"
    assert len([w for w in caught if "report_usage" in str(w.message)]) == 1
    assert value(registry, "claude_api_requests_total", status_code="200", **LABELS) == 2
    assert not [k for k in samples(registry) if k[0] in ("claude_api_tokens_total", "claude_api_cost_usd_total")]
    line = logs()[0][1]
    assert line["input_tokens"] is None and line["cost_usd"] is None

    @observe(model=MODEL, feature="chat", pricing=Pricing({MODEL: PRICES}), registry=registry)
    def ask_and_say():
        message = raw.messages.create(**ASK)
        report_usage(input=message.usage.input_tokens, output=message.usage.output_tokens)
        return message.content[0].text

    ask_and_say()
    assert value(registry, "claude_api_tokens_total", type="input", **LABELS) == 1200
    assert logs()[-1][1]["cost_usd"] == pytest.approx((1200 * 3 + 300 * 15) / 1e6)


# --- 5 and 8. logs, context, caps ------------------------------------------------------------------


def test_a_log_line_a_responder_can_use(api, registry, logs):
    c = client(api, registry)
    with context(user="u-123"):
        c.messages.create(**ASK)
    api.behaviour.fail_status = 401
    with pytest.raises(anthropic.AuthenticationError):
        c.messages.create(**ASK)
    (ok_level, ok), (bad_level, bad) = logs()
    assert ok_level == "INFO" and bad_level == "WARNING" and ok["level"] == "INFO" and bad["level"] == "WARNING"
    assert ok["ts"].endswith("Z") and "T" in ok["ts"]
    datetime.fromisoformat(ok["ts"].replace("Z", "+00:00"))
    assert ok["user"] == "u-123" and "user" not in bad
    assert bad["status"] == "401" and bad["error_type"] == "AuthenticationError" and bad["error_message"]
    assert ok["request_id"].startswith("req_fake_") and bad["request_id"].startswith("req_fake_")
    assert "SECRET" not in json.dumps([ok, bad])


def test_context_overrides_the_feature_per_call_and_keeps_users_out_of_labels(api, registry):
    c = client(api, registry, anthropic.AsyncAnthropic)

    async def one(feature, user):
        with context(feature=feature, user=user):
            await asyncio.sleep(0)
            await c.messages.create(**ASK)

    async def go():
        await asyncio.gather(*(one(f, f"user-{i}") for i, f in enumerate(["search", "search", "summary", "chat"])))

    asyncio.run(go())
    counted = {dict(k[1])["feature"]: v for k, v in samples(registry).items() if k[0] == "claude_api_requests_total"}
    assert counted == {"search": 2.0, "summary": 1.0, "chat": 1.0}
    assert not [k for k in samples(registry) if "user" in dict(k[1]) or any("user-" in v for _, v in k[1])]


def test_feature_and_model_values_past_the_cap_are_recorded_as_other(api, registry):
    c = client(api, registry, max_features=5)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for i in range(12):
            with context(feature=f"f{i}"):
                c.messages.create(**ASK)
        c.messages.create(**{**ASK, "model": "x" * 10_000})
    features = {dict(k[1])["feature"] for k in samples(registry) if k[0] == "claude_api_requests_total"}
    assert features == {"f0", "f1", "f2", "f3", "f4", "other"}
    models = {dict(k[1])["model"] for k in samples(registry) if k[0] == "claude_api_requests_total"}
    assert models == {MODEL, "other"}
    assert len([w for w in caught if "distinct feature" in str(w.message)]) == 1


def test_a_pricing_object_that_raises_loses_no_request(api, registry):
    class Broken(Pricing):
        def cost(self, model, tokens):
            raise RuntimeError("bug in the caller's pricing")

    c = instrument(anthropic.Anthropic(base_url=api.base_url, api_key="k", max_retries=0), pricing=Broken({}), registry=registry)
    c.messages.create(**ASK)
    assert value(registry, "claude_api_requests_total", model=MODEL, feature="default", status_code="200") == 1
    assert value(registry, "claude_api_tokens_total", model=MODEL, feature="default", type="input") == 1200
    assert value(registry, "slogen_instrument_errors_total") == 1


def test_the_package_exports_context():
    assert slogen.context is context


# --- 6 and 7. spans and exemplars --------------------------------------------------------------------


@pytest.fixture
def spans():
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    yield provider.get_tracer("app"), exporter
    provider.shutdown()


def test_one_client_span_per_call_in_genai_conventions(api, registry, logs, spans):
    tracer, exporter = spans
    api.behaviour.cache_read_tokens, api.behaviour.cache_write_tokens = 5000, 800
    c = client(api, registry, tracer=tracer)
    with tracer.start_as_current_span("handle request") as parent, context(feature="search", user="u-9"):
        stream = c.messages.create(**ASK, stream=True)
        assert not [s for s in exporter.get_finished_spans() if s.name.startswith("chat")]  # open until the stream ends
        for _ in stream:
            pass
    api.behaviour.stream_error = "overloaded_error"
    with pytest.raises(anthropic.APIStatusError):
        for _ in c.messages.create(**ASK, stream=True):
            pass
    good, bad = [s for s in exporter.get_finished_spans() if s.name == f"chat {MODEL}"]
    a = good.attributes
    assert good.kind.name == "CLIENT" and good.parent.span_id == parent.get_span_context().span_id
    assert a["gen_ai.operation.name"] == "chat" and a["gen_ai.provider.name"] == "anthropic"
    assert a["gen_ai.request.model"] == MODEL and a["gen_ai.response.model"] == MODEL and a["gen_ai.response.id"].startswith("msg_")
    assert a["gen_ai.usage.input_tokens"] == 1200 + 5000 + 800 and a["gen_ai.usage.output_tokens"] == 300
    assert a["gen_ai.usage.cache_read.input_tokens"] == 5000 and a["gen_ai.usage.cache_creation.input_tokens"] == 800
    assert a["gen_ai.response.finish_reasons"] == ("end_turn",) and a["slogen.feature"] == "search" and a["user.id"] == "u-9"
    assert a["slogen.cost_usd"] == pytest.approx((1200 * 3 + 300 * 15 + 5000 * 0.3 + 800 * 3.75) / 1e6)
    assert a["slogen.attempts"] == 1 and "error.type" not in a
    assert bad.attributes["error.type"] == "OverloadedError" and bad.status.status_code.name == "ERROR"
    assert [e.name for e in bad.events] == ["exception"]
    line = logs()[0][1]
    assert line["trace_id"] == format(good.context.trace_id, "032x") and line["span_id"] == format(good.context.span_id, "016x")


def test_without_a_tracer_provider_nothing_is_traced_and_nothing_breaks(api, registry, logs):
    client(api, registry).messages.create(**ASK)
    assert "trace_id" not in logs()[0][1]


def test_a_tracer_provider_set_after_instrument_gets_the_spans(api):
    """The global provider is looked up per call (through a cheap check while none is set): one set later, as an
    app that instruments at import and configures OpenTelemetry in main does, gets every later call's span.
    In a child process, since a process's global provider can be set only once."""
    script = f"""
import anthropic
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from prometheus_client import CollectorRegistry
from slogen.instrument import instrument

c = instrument(anthropic.Anthropic(base_url={api.base_url!r}, api_key="k", max_retries=0), registry=CollectorRegistry())
ask = {ASK!r}
c.messages.create(**ask)
exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
c.messages.create(**ask)
for _ in c.messages.create(**ask, stream=True):
    pass
print([s.name for s in exporter.get_finished_spans() if s.name.startswith("chat")])
"""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == str([f"chat {MODEL}"] * 2)
    assert len(api.served.requests) == 3


def test_latency_histograms_carry_the_trace_id_as_an_exemplar(api, registry, spans):
    from prometheus_client.openmetrics.exposition import generate_latest as openmetrics

    tracer, exporter = spans
    api.behaviour.first_token_delay = 0.3
    for _ in client(api, registry, tracer=tracer).messages.create(**ASK, stream=True):
        pass
    (span,) = exporter.get_finished_spans()
    text = openmetrics(registry).decode()
    trace_id = format(span.context.trace_id, "032x")
    exemplars = [line for line in text.splitlines() if "# {" in line and trace_id in line]
    assert {line.split("{", 1)[0] for line in exemplars} == {"claude_api_request_duration_seconds_bucket", "claude_api_ttft_seconds_bucket"}
    # The exemplar sits in the bucket its value fell in: TTFT of 0.3 s is first counted under le="0.5".
    assert any('claude_api_ttft_seconds_bucket{' in line and 'le="0.5"' in line for line in exemplars)


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[dict] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(json.loads(record.getMessage()))


_text = st.text(max_size=40)  # quotes, backslashes, newlines, {{ and any unicode but lone surrogates


@settings(max_examples=200, deadline=None)
@given(model=_text, feature=_text, user=st.none() | _text, message=_text, stop=_text, error=st.booleans(),
       tokens=st.none() | st.dictionaries(st.sampled_from(TOKEN_TYPES), st.integers(0, 10**9)),
       cost=st.none() | st.floats(0, 1e6), ttft=st.none() | st.floats(0, 1e4), now=st.floats(0, 4e9))
def test_the_log_line_is_json_whatever_the_strings_and_its_time_is_utc_to_the_millisecond(model, feature, user, message, stop, error, tokens, cost, ttft, now):
    handler, logger = _Lines(), logging.getLogger("slogen.test.lines")
    logger.handlers[:] = [handler]
    logger.setLevel(logging.INFO)
    logger.propagate = False
    call = _record.Call(model=model, feature=feature, user=user, stop_reason=stop, tokens=dict(tokens or {}), usage_known=tokens is not None,
                        attempts=["200"], request_id="req_1", error_type="APIError" if error else "", error_message=message)
    recorder = _record.Recorder(None, None, logger, False)
    with mock.patch.object(_record.time, "time", return_value=now):
        recorder._log(call, "500" if error else "200", call.started + 1.5, ttft, cost, None)  # noqa: SLF001
    (line,) = handler.lines
    assert (line["model"], line["feature"], line.get("user"), line["stop_reason"]) == (model, feature, user, stop)
    assert line.get("error_message") == (message if error else None) and line["level"] == ("WARNING" if error else "INFO")
    assert {k: line[f"{k}_tokens"] for k in TOKEN_TYPES} == {k: (tokens.get(k, 0) if tokens is not None else None) for k in TOKEN_TYPES}
    assert line["cost_usd"] == (round(cost, 8) if cost is not None else None) and line["ttft_ms"] == (round(ttft * 1000, 3) if ttft is not None else None)
    stamp = line["ts"]
    assert stamp.endswith("Z") and len(stamp) == len("2026-01-01T00:00:00.000Z")
    assert -1e-6 <= now - datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp() < 1e-3 + 1e-6  # RFC 3339, UTC, ms truncated
