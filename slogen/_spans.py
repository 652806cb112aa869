"""One OpenTelemetry client span per call, in the GenAI semantic conventions' words, when OpenTelemetry is there.

Without the opentelemetry package nothing here runs; with it but no tracer provider set, no span is made (the
API's no-op spans would cost a few µs a call), so the cost is one attribute check."""

from __future__ import annotations

import os
from typing import Any

try:
    from opentelemetry import context as otel_context
    from opentelemetry import trace
except ImportError:  # pragma: no cover - exercised by the no-OpenTelemetry install
    trace = otel_context = None  # type: ignore[assignment]

SCOPE = "slogen.instrument"
_PROVIDER_ENV = "OTEL_PYTHON_TRACER_PROVIDER"  # the API's own name for it
_UNKNOWN = object()


def tracer_for(tracer: Any) -> _Tracer | None:
    """Where a call's span comes from: the tracer passed, else the global provider's; None without OpenTelemetry."""
    if trace is None:
        return None
    return _Tracer(tracer) if tracer is not None else _Global()


class _Tracer:
    def __init__(self, tracer: Any) -> None:
        self.tracer = tracer

    def get(self) -> Any:
        return self.tracer


class _Global(_Tracer):
    """The global tracer provider's tracer, looked up per call: a provider set after `instrument()` still gets the
    spans, and until one is set no span is made at all (the API's no-op span would cost a few µs a call)."""

    def __init__(self) -> None:
        super().__init__(None)
        # Read once: get_tracer_provider() looks it up in os.environ on every call until a provider is set.
        self._from_env = _PROVIDER_ENV in os.environ

    def get(self) -> Any:
        if self.tracer is None:
            # The API's global, read first where it exists (a dict lookup): while it is None and no provider is
            # named in the environment, get_tracer_provider() would return the proxy.
            if not self._from_env and getattr(trace, "_TRACER_PROVIDER", _UNKNOWN) is None:
                return None
            if isinstance(trace.get_tracer_provider(), trace.ProxyTracerProvider):
                return None
            self.tracer = trace.get_tracer(SCOPE)
        return self.tracer


def start(source: _Tracer | None, provider: str, model: str) -> Any:
    """A client span for the call, child of whatever span is current (None while no provider is set); not ended here."""
    tracer = source.get() if source is not None else None
    if tracer is None:
        return None
    return tracer.start_span(
        f"chat {model}", kind=trace.SpanKind.CLIENT,
        attributes={"gen_ai.operation.name": "chat", "gen_ai.provider.name": provider, "gen_ai.request.model": model},
    )


def enter(span: Any) -> object:
    """Make `span` current, so the SDK's own HTTP spans nest under it; the token is for `leave`. (use_span, without
    its generator: this runs on every call.)"""
    return otel_context.attach(trace.set_span_in_context(span))


def leave(token: object) -> None:
    otel_context.detach(token)


def ids(span: Any) -> tuple[str, str] | None:
    """(trace id, span id) in hex of `span`, else of the current span, when one is valid."""
    if trace is None:
        return None
    context = (span if span is not None and span.get_span_context().is_valid else trace.get_current_span()).get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def end(span: Any, call: Any, status: str, cost: float | None, tokens: dict[str, int] | None) -> None:
    if span is None or not span.is_recording():
        if span is not None:
            span.end()
        return
    attrs: dict[str, Any] = {"slogen.feature": call.feature, "slogen.attempts": len(call.attempts), "slogen.status": status}
    if call.response_model:
        attrs["gen_ai.response.model"] = call.response_model
    if call.response_id:
        attrs["gen_ai.response.id"] = call.response_id
    if call.stop_reason:
        attrs["gen_ai.response.finish_reasons"] = (call.stop_reason,)
    if call.user:
        attrs["user.id"] = call.user
    if status.isdigit():
        attrs["http.response.status_code"] = int(status)
    if tokens is not None:
        # Semantic conventions: input tokens count cache reads and writes too, which are also given apart.
        attrs["gen_ai.usage.input_tokens"] = sum(tokens.get(k, 0) for k in ("input", "cache_read", "cache_write"))
        attrs["gen_ai.usage.output_tokens"] = tokens.get("output", 0)
        attrs["gen_ai.usage.cache_read.input_tokens"] = tokens.get("cache_read", 0)
        attrs["gen_ai.usage.cache_creation.input_tokens"] = tokens.get("cache_write", 0)
    if cost is not None:
        attrs["slogen.cost_usd"] = cost
    if call.error_type:
        attrs["error.type"] = call.error_type
        if call.exc is not None:
            span.record_exception(call.exc)
        span.set_status(trace.Status(trace.StatusCode.ERROR, call.error_message or call.error_type))
    span.set_attributes(attrs)
    span.end()
