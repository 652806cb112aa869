"""Make a real service emit what the bundle reads: two lines around an Anthropic or OpenAI-compatible client.

    from slogen.instrument import instrument, pricing_from
    client = instrument(anthropic.Anthropic(), feature="chat", pricing=pricing_from("slo.yaml"))

Records the prometheus-client profile's series (requests by status, TTFT of streams at the first
content delta, duration, tokens by type, cost, stop reasons, rate-limit gauges from the response
headers) and logs one JSON line per call on the `slogen.instrument` logger. The call itself is never
changed: its result and its exceptions reach the caller as they are, streams pass through lazily,
and a failure inside the instrumentation is swallowed and counted (`slogen_instrument_errors_total`).
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, TypeVar

from prometheus_client import CollectorRegistry

from slogen import _providers as providers
from slogen._record import LOG, Call, Metrics, OtelSink, PrometheusSink, Pricing, Recorder
from slogen._streams import AsyncObserved, Observed

__all__ = ["instrument", "observe", "pricing_from", "Pricing"]

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
) -> C:
    """Instrument `client` in place (anthropic.Anthropic / AsyncAnthropic, openai.OpenAI / AsyncOpenAI) and return it.

    With an OpenTelemetry `meter`, the GenAI semantic-convention metrics are recorded instead of the
    prometheus-client ones (the otel-genai profile reads them)."""
    if isinstance(pricing, dict):
        pricing = Pricing(pricing.get("models", pricing), pricing.get("default"))
    kind, is_async = providers.kind_of(client), providers.is_async(client)
    sink = OtelSink(meter, kind) if meter is not None else PrometheusSink(Metrics.of(registry))
    recorder = Recorder(sink, pricing, logger or LOG, log_content)
    _hook_headers(client, recorder)
    if kind == "anthropic":
        messages = client.messages  # type: ignore[attr-defined]
        messages.create = _wrap_create(messages.create, recorder, feature, providers.ANTHROPIC, is_async)
        messages.stream = _wrap_helper(messages.stream, recorder, feature)
    else:
        completions = client.chat.completions  # type: ignore[attr-defined]
        completions.create = _wrap_create(completions.create, recorder, feature, providers.OPENAI, is_async)
    return client


def observe(model: str, feature: str = "default", pricing: Pricing | None = None, registry: CollectorRegistry | None = None):  # noqa: ANN201
    """Decorator for your own call function: its return value (a Message or ChatCompletion, if it is one) and its
    exceptions are recorded like an instrumented client's."""
    recorder = Recorder(PrometheusSink(Metrics.of(registry)), pricing, LOG, False)

    def wrap(fn):  # noqa: ANN001, ANN202
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def run_async(*args: Any, **kwargs: Any) -> Any:
                call = Call(model=model, feature=feature)
                try:
                    result = await fn(*args, **kwargs)
                except BaseException as exc:
                    _fail(recorder, call, exc)
                    raise
                _done(recorder, call, result, providers.detect(result))
                return result

            return run_async

        @functools.wraps(fn)
        def run(*args: Any, **kwargs: Any) -> Any:
            call = Call(model=model, feature=feature)
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:
                _fail(recorder, call, exc)
                raise
            _done(recorder, call, result, providers.detect(result))
            return result

        return run

    return wrap


# --- internals ----------------------------------------------------------------------------------


def _hook_headers(client: Any, recorder: Recorder) -> None:
    """Response headers (status, request id, rate limits) through the SDK's own httpx client, for every call shape."""
    try:
        hooks = client._client.event_hooks  # noqa: SLF001 - the SDK's httpx client; no public way to see headers of parsed calls
    except AttributeError:
        recorder.failed()
        return

    def seen(response: Any) -> None:
        call = _current.get()
        if call is not None:
            call.status = str(response.status_code)
            call.headers = {k.lower(): v for k, v in response.headers.items()}
            call.request_id = call.headers.get("request-id") or call.headers.get("x-request-id") or call.request_id

    async def seen_async(response: Any) -> None:
        seen(response)

    hooks.setdefault("response", []).append(seen_async if providers.is_async(client) else seen)


@contextmanager
def _calling(recorder: Recorder, model: str, feature: str, stream: bool) -> Iterator[Call]:
    """One call in flight: the header hook sees it, and a failure is recorded as it propagates."""
    call = Call(model=str(model), feature=feature, stream=stream)
    token = _current.set(call)
    try:
        yield call
    except BaseException as exc:
        _fail(recorder, call, exc)
        raise
    finally:
        _current.reset(token)


def _fail(recorder: Recorder, call: Call, exc: BaseException) -> None:
    try:
        call.status, call.error_type = providers.status_of(exc)
        headers = getattr(getattr(exc, "response", None), "headers", None)
        if headers is not None and not call.headers:
            call.headers = {k.lower(): v for k, v in headers.items()}
    except Exception:  # noqa: BLE001
        recorder.failed()
    recorder.finish(call)


def _done(recorder: Recorder, call: Call, result: Any, provider: providers.Provider | None) -> None:
    try:
        if provider is not None:
            provider.read_result(call, result)
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

