"""One finished LLM call: what it measured, turned into series, a span and one JSON log line.

The recording never raises into the caller: a failure anywhere in it (a pricing object that raises, a logging
handler that fails) is counted in slogen_instrument_errors_total, and the request and its outcome are still
recorded, since the availability SLI must never lose traffic to its own instrumentation."""

from __future__ import annotations

import logging
import time
import uuid
import warnings
from dataclasses import dataclass, field
from typing import Any, Mapping

from slogen import _logline as logline
from slogen import _spans as spans
from slogen._context import SCOPE
from slogen._pricing import Pricing

LOG = logging.getLogger("slogen.instrument")
MAX_MESSAGE = 300  # characters of an error message kept in the log line (the API's text, never the prompt)


@dataclass(slots=True)
class Call:
    """What one call did; filled in as the attempts, the response, the stream and the headers arrive."""

    model: str
    feature: str
    stream: bool = False
    started: float = field(default_factory=time.perf_counter)
    status: str = ""
    error_type: str = ""
    error_message: str = ""
    exc: BaseException | None = None
    request_id: str = ""
    response_id: str = ""
    response_model: str = ""
    stop_reason: str = ""
    first_token: float | None = None
    tokens: dict[str, int] = field(default_factory=dict)
    usage_known: bool = True  # False for a decorated function whose result says nothing of its usage
    attempts: list[str] = field(default_factory=list)  # each HTTP attempt's status, retries included
    # The last answer's headers as the SDK holds them (httpx's case-insensitive Headers, or a dict with lower-case
    # names): read only when the call ends (its request id) and when the series take their rate limits.
    headers: Mapping[str, str] | None = None
    content: str | None = None  # only when the caller asked to log it
    user: str | None = None
    span: Any = None
    done: bool = False

    def set_tokens(self, **counts: int | None) -> None:
        """Stream usage is cumulative: the last report wins."""
        for kind, n in counts.items():
            if n is not None:
                self.tokens[kind] = int(n)

    def read_usage(self, usage: Any, names: tuple[tuple[str, str], ...]) -> None:
        """The counts an SDK's usage object holds, by (token type, its attribute there); a missing one is left."""
        tokens = self.tokens
        for kind, name in names:
            n = getattr(usage, name, None)
            if isinstance(n, int):
                tokens[kind] = n

    def first_content(self) -> None:
        if self.first_token is None:
            self.first_token = time.perf_counter()

    def attempt(self, status: str, headers: Mapping[str, str] | None = None) -> None:
        self.attempts.append(status)
        self.status = status
        if headers is not None:
            self.headers = headers

    def named(self) -> str:
        """The API's id for the call: the one the SDK read from the answer, else the answer's header, else empty."""
        if self.request_id:
            return self.request_id
        headers = self.headers
        return (headers.get("request-id") or headers.get("x-request-id") or "") if headers is not None else ""

    def failed(self, status: str, error_type: str, exc: BaseException) -> None:
        self.status, self.error_type, self.exc = status, error_type, exc
        self.error_message = str(exc)[:MAX_MESSAGE]
        if self.attempts and self.attempts[-1] != status:
            self.attempts[-1] = status  # the last attempt answered 200, then its stream failed: that attempt failed


def new_call(model: Any, feature: str, stream: bool = False) -> Call:
    scope = SCOPE.get()
    user = scope.user
    return Call(model=str(model), feature=str(scope.feature or feature), stream=stream, user=None if user is None else str(user))


class Recorder:
    """Turns finished calls into series, a span and a log line; never raises into the caller."""

    def __init__(self, sink: Any, pricing: Pricing | None, logger: logging.Logger, log_content: bool, tracer: Any = None, provider: str = "anthropic") -> None:
        self.sink, self.pricing, self.logger, self.log_content = sink, pricing, logger, log_content
        self.tracer, self.provider = spans.tracer_for(tracer), provider
        self._unknown_warned = False

    def start(self, call: Call) -> Call:
        try:
            call.span = spans.start(self.tracer, self.provider, call.model)
        except Exception:  # noqa: BLE001
            self.failed()
        return call

    def finish(self, call: Call) -> None:
        if call.done:
            return
        call.done = True
        ended = time.perf_counter()
        status = call.status or "200"
        if status == "200" and call.error_type:
            status = "error"
        cost = self._cost(call)
        trace = self._guard(spans.ids, call.span)
        ttft = call.first_token - call.started if call.first_token is not None else None
        # Each stage is guarded on its own, so a failing sink still leaves the log line; the two that run on every
        # call are guarded here rather than through _guard's extra frame.
        try:
            self.sink.record(call, status, ended - call.started, ttft, cost, trace)
        except Exception:  # noqa: BLE001
            self.failed()
        if call.span is not None:
            self._guard(spans.end, call.span, call, status, cost, call.tokens if call.usage_known else None)
        try:
            self._log(call, status, ended, ttft, cost, trace)
        except Exception:  # noqa: BLE001
            self.failed()

    def failed(self) -> None:
        try:
            self.sink.failed()
        except Exception:  # noqa: BLE001
            pass

    def _guard(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except Exception:  # noqa: BLE001 - instrumentation must never change the call's behaviour
            self.failed()
            return None

    def _cost(self, call: Call) -> float | None:
        if self.pricing is None:
            return None
        if not call.usage_known:
            if not self._unknown_warned:
                self._unknown_warned = True
                warnings.warn(
                    f"slogen.instrument: the result of a call to {call.model} carries no token usage, so its tokens and cost are "
                    "recorded as unknown. Return the SDK's Message or ChatCompletion from the decorated function, or call "
                    "slogen.instrument.report_usage(input=..., output=...) inside it.",
                    RuntimeWarning,
                    stacklevel=4,
                )
            return None
        return self._guard(self.pricing.cost, call.model, call.tokens)

    def _log(self, call: Call, status: str, ended: float, ttft: float | None, cost: float | None, trace: tuple[str, str] | None) -> None:
        level = logging.WARNING if call.error_type else logging.INFO
        if not self.logger.isEnabledFor(level):
            return
        # The API's id when it answered; else one of ours, so a timeout can still be named in a ticket.
        request_id = call.named() or f"slogen-{uuid.uuid4().hex}"
        now = time.time()
        content = call.content if self.log_content else None
        logline.log(self.logger, level, logline.text(call, status, request_id, ended - call.started, ttft, cost, trace, now, content), now)
