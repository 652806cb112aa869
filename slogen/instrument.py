"""Make a real service emit what the bundle reads: two lines around an Anthropic or OpenAI-compatible client.

    from slogen.instrument import instrument, pricing_from
    client = instrument(anthropic.Anthropic(), feature="chat", pricing=pricing_from("slo.yaml"))

Records the prometheus-client profile's series (requests by final status, every HTTP attempt by status, TTFT of
streams at the first content delta, duration, tokens by type, cost, stop reasons, rate-limit gauges from the
response headers), one OpenTelemetry client span per call when OpenTelemetry is installed, and one JSON log line
per call on the `slogen.instrument` logger. The call itself is never changed: its result and its exceptions
reach the caller as they are, streams pass through lazily, retries stay the SDK's, and a failure inside the
instrumentation is swallowed and counted (`slogen_instrument_errors_total`).
"""

from __future__ import annotations

import functools
import inspect
import logging
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry

from slogen import _providers as providers
from slogen import _spans as spans
from slogen._context import context
from slogen._metrics import Metrics, OtelSink, PrometheusSink
from slogen._pricing import Pricing
from slogen._record import LOG, Call, Recorder, new_call
from slogen._streams import AsyncObserved, Observed

__all__ = ["instrument", "observe", "pricing_from", "report_usage", "context", "Pricing"]

C = TypeVar("C")
_current: ContextVar[Call | None] = ContextVar("slogen_call", default=None)


def pricing_from(path: str | Path) -> Pricing:
    """The `pricing` block of a slo.yaml, as the bundle prices tokens."""
    import yaml  # only here: an app that passes prices itself needs no YAML

    spec = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    block = spec.get("pricing") or {}
    return Pricing(block.get("models") or {}, block.get("default"))


def instrument(
    client: C,
    feature: str = "default",
    pricing: Pricing | dict | None = None,
    registry: CollectorRegistry | None = None,
    logger: logging.Logger | None = None,
    log_content: bool = False,
    meter: Any = None,
    tracer: Any = None,
    max_features: int | None = None,
) -> C:
    """Instrument `client` in place (anthropic.Anthropic / AsyncAnthropic, openai.OpenAI / AsyncOpenAI) and return it.

    With an OpenTelemetry `meter`, the GenAI semantic-convention metrics are recorded instead of the
    prometheus-client ones (the otel-genai profile reads them). Spans go to `tracer`, else to the global tracer
    provider's. `max_features` caps the distinct feature label values of the registry (default 100)."""
    if isinstance(pricing, dict):
        pricing = Pricing(pricing.get("models", pricing), pricing.get("default"))
    kind, is_async = providers.kind_of(client), providers.is_async(client)
    if meter is not None:
        sink: Any = OtelSink(meter, kind)
    else:
        metrics = Metrics.of(registry)
        if max_features is not None:
            metrics.features.limit = max_features
        sink = PrometheusSink(metrics)
    recorder = Recorder(sink, pricing, logger or LOG, log_content, tracer, kind)
    _hook_send(client, recorder, is_async)
    if kind == "anthropic":
        messages = client.messages  # type: ignore[attr-defined]
        messages.create = _wrap_create(messages.create, recorder, feature, providers.ANTHROPIC, is_async)
        messages.stream = _wrap_helper(messages.stream, recorder, feature)
    else:
        completions = client.chat.completions  # type: ignore[attr-defined]
        completions.create = _wrap_create(completions.create, recorder, feature, providers.OPENAI, is_async)
    return client


def report_usage(input: int | None = None, output: int | None = None, cache_read: int | None = None, cache_write: int | None = None) -> None:  # noqa: A002
    """Inside a function decorated with `observe` whose result is not an SDK object: the call's token usage."""
    call = _current.get()
    if call is not None:
        call.set_tokens(input=input, output=output, cache_read=cache_read, cache_write=cache_write)
        call.usage_known = True


def observe(model: str, feature: str = "default", pricing: Pricing | None = None, registry: CollectorRegistry | None = None, tracer: Any = None):  # noqa: ANN201
    """Decorator for your own call function: its return value (a Message or ChatCompletion, if it is one) and its
    exceptions are recorded like an instrumented client's. A result that says nothing of its usage (text) is
    recorded with tokens and cost unknown, not zero, unless the function calls `report_usage`."""
    recorder = Recorder(PrometheusSink(Metrics.of(registry)), pricing, LOG, False, tracer)

    def wrap(fn):  # noqa: ANN001, ANN202
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                with _calling(recorder, model, feature, False) as call:
                    result = await fn(*args, **kwargs)
                _observed(recorder, call, result)
                return result

            return run_async

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            with _calling(recorder, model, feature, False) as call:
                result = fn(*args, **kwargs)
            _observed(recorder, call, result)
            return result

        return run

    return wrap


def _observed(recorder: Recorder, call: Call, result: Any) -> None:
    provider = providers.detect(result)
    if provider is None and not call.tokens:
        call.usage_known = False
    _done(recorder, call, result, provider)


# --- internals ----------------------------------------------------------------------------------


def _hook_send(client: Any, recorder: Recorder, is_async: bool) -> None:
    """Every HTTP attempt, retries included, where the SDK sends it: its own HTTP client's `send`.

    The SDK's retries stay as the user configured them; each attempt's status (or `timeout` / `network`) is noted
    on the call in flight, and the last answer's headers give the request id and the rate limits."""
    try:
        http = client._client  # noqa: SLF001 - the SDK's HTTP client; no public hook sees every attempt
        send = http.send
    except AttributeError:
        recorder.failed()
        return

    def seen(response: Any) -> Any:
        call = _current.get()
        if call is not None:
            try:
                call.attempt(str(response.status_code), response.headers)
            except Exception:  # noqa: BLE001
                recorder.failed()
        return response

    def lost(exc: BaseException) -> None:
        call = _current.get()
        if call is not None:
            call.attempts.append(providers.transport_status(exc))

    if is_async:

        async def sending_async(request: Any, *args: Any, **kwargs: Any) -> Any:
            try:
                response = await send(request, *args, **kwargs)
            except Exception as exc:
                lost(exc)
                raise
            return seen(response)

        http.send = sending_async
        return

    def sending(request: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            response = send(request, *args, **kwargs)
        except Exception as exc:
            lost(exc)
            raise
        return seen(response)

    http.send = sending


class _calling:  # noqa: N801 - used as `with _calling(...) as call:`, like the contextmanager it replaced
    """One call in flight: the send hook sees it, its span is current, and a failure is recorded as it propagates.
    A class, not a generator context manager, since it runs on every call."""

    __slots__ = ("recorder", "call", "token", "span_token")

    def __init__(self, recorder: Recorder, model: str, feature: str, stream: bool) -> None:
        self.recorder, self.call = recorder, recorder.start(new_call(model, feature, stream))

    def __enter__(self) -> Call:
        self.token = _current.set(self.call)
        span = self.call.span
        self.span_token = None if span is None else spans.enter(span)
        return self.call

    def __exit__(self, kind: Any, exc: BaseException | None, tb: Any) -> None:
        try:
            if self.span_token is not None:
                spans.leave(self.span_token)
            if exc is not None:
                _fail(self.recorder, self.call, exc)
        finally:
            _current.reset(self.token)


def _fail(recorder: Recorder, call: Call, exc: BaseException) -> None:
    try:
        call.failed(*providers.status_of(exc), exc)
        headers = getattr(getattr(exc, "response", None), "headers", None)
        if headers is not None and not call.headers:
            call.headers = headers
    except Exception:  # noqa: BLE001
        recorder.failed()
    recorder.finish(call)


def _done(recorder: Recorder, call: Call, result: Any, provider: providers.Provider | None) -> None:
    try:
        if provider is not None:
            provider.read_result(call, result)
            if recorder.log_content:
                call.content = provider.content_of(result)
    except Exception:  # noqa: BLE001
        recorder.failed()
    recorder.finish(call)


def _wrap_create(create: Any, recorder: Recorder, feature: str, provider: providers.Provider, is_async: bool) -> Any:
    def result_of(call: Call, result: Any, observer: type) -> Any:
        if call.stream:
            return observer(result, call, recorder, provider)
        _done(recorder, call, result, provider)
        return result

    if is_async:  # the SDKs' async methods are wrapped by decorators that hide the coroutine function

        @functools.wraps(create)
        async def create_async(*args: Any, **kwargs: Any) -> Any:
            with _calling(recorder, kwargs.get("model", ""), feature, bool(kwargs.get("stream"))) as call:
                result = await create(*args, **kwargs)
            return result_of(call, result, AsyncObserved)

        return create_async

    @functools.wraps(create)
    def create_sync(*args: Any, **kwargs: Any) -> Any:
        with _calling(recorder, kwargs.get("model", ""), feature, bool(kwargs.get("stream"))) as call:
            result = create(*args, **kwargs)
        return result_of(call, result, Observed)

    return create_sync


def _wrap_helper(stream: Any, recorder: Recorder, feature: str) -> Any:
    """`messages.stream(...)`: the manager opens the request on enter; its events are observed on the raw stream."""

    @functools.wraps(stream)
    def helper(*args: Any, **kwargs: Any) -> Any:
        return _Manager(stream(*args, **kwargs), recorder, kwargs.get("model", ""), feature)

    return helper


class _Manager:
    """Stands in for (Async)MessageStreamManager: same context-manager protocol, the same stream object inside."""

    def __init__(self, manager: Any, recorder: Recorder, model: str, feature: str) -> None:
        self._manager, self._recorder, self._model, self._feature = manager, recorder, model, feature

    def __getattr__(self, name: str) -> Any:
        return getattr(self._manager, name)

    def _open(self, opened: Any, call: Call, observer: type) -> Any:
        try:
            opened._raw_stream = observer(opened._raw_stream, call, self._recorder, providers.ANTHROPIC)  # noqa: SLF001
        except Exception:  # noqa: BLE001
            self._recorder.failed()
        return opened

    def __enter__(self) -> Any:
        with _calling(self._recorder, self._model, self._feature, True) as call:
            opened = self._manager.__enter__()
        return self._open(opened, call, Observed)

    def __exit__(self, *exc: Any) -> Any:
        return self._manager.__exit__(*exc)

    async def __aenter__(self) -> Any:
        with _calling(self._recorder, self._model, self._feature, True) as call:
            opened = await self._manager.__aenter__()
        return self._open(opened, call, AsyncObserved)

    async def __aexit__(self, *exc: Any) -> Any:
        return await self._manager.__aexit__(*exc)

