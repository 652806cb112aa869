"""What each SDK's responses, stream events and exceptions mean, in the one vocabulary of `Call`."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, Callable

from generator.profiles import SDK_ERROR_CLASSES

# OpenAI finish reasons in Anthropic's words, so the truncation alert reads one `max_tokens`.
OPENAI_STOP = {"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "function_call": "tool_use", "content_filter": "refusal"}


def kind_of(client: Any) -> str:
    module = type(client).__module__
    if module.startswith("anthropic"):
        return "anthropic"
    if module.startswith("openai"):
        return "openai"
    raise TypeError(f"slogen.instrument wraps anthropic and openai clients, not {type(client).__qualname__}")


def is_async(client: Any) -> bool:
    return type(client).__name__.startswith("Async")


# The error types a provider writes in an error body, as the HTTP status the same error has outside a stream.
# A stream that fails after its 200 carries only the body: the status is read from there.
ERROR_STATUS = {
    "invalid_request_error": "400",
    "authentication_error": "401",
    "billing_error": "402",
    "permission_error": "403",
    "not_found_error": "404",
    "request_too_large": "413",
    "rate_limit_error": "429",
    "rate_limit_exceeded": "429",  # OpenAI's spelling
    "insufficient_quota": "429",
    "api_error": "500",
    "server_error": "500",
    "timeout_error": "504",
    "overloaded_error": "529",
}
STREAM_ERROR = "stream_error"  # a stream that failed with an error type no status stands for


def error_kind(exc: BaseException) -> str | None:
    """The provider's error type from an exception's body (`overloaded_error`), if it has one."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        kind = inner.get("type") if isinstance(inner, dict) else None
        if kind == "error" and isinstance(inner, dict):  # {"type": "error", "error": {...}} one level down
            kind = None
        if not isinstance(kind, str) or not kind:
            code = inner.get("code") if isinstance(inner, dict) else None
            kind = code if isinstance(code, str) else None
        return kind
    return None


def status_of(exc: BaseException) -> tuple[str, str]:
    """(status_code label, error type) of a failed call: the HTTP code, `timeout`, `network`, `stream_error`,
    `cancelled` or `error`.

    An error inside a stream that already answered 200 is raised with that 200 (anthropic's APIStatusError) or with
    no status (openai's APIError): its body's error type says what it was, so an overload mid-answer is a 529."""
    name = type(exc).__name__
    if isinstance(exc, (asyncio.CancelledError, KeyboardInterrupt)):
        return "cancelled", name
    code = getattr(exc, "status_code", None)
    if isinstance(code, int) and code >= 400:
        return str(code), name
    kind = error_kind(exc)
    if kind is not None or (isinstance(code, int) and code < 400):
        status = ERROR_STATUS.get(kind or "", STREAM_ERROR)
        # The class the SDK raises for that status outside a stream, as the otel-genai profile's error.type reads it.
        return status, SDK_ERROR_CLASSES.get(status) or kind or name
    return transport_status(exc), name


def transport_status(exc: BaseException) -> str:
    """An attempt or call that got no answer: `timeout`, `network`, or `error` for anything else."""
    name = type(exc).__name__
    if "Timeout" in name:
        return "timeout"
    if "Connection" in name or "Network" in name or "Protocol" in name or isinstance(exc, OSError):
        return "network"
    return "error"


def _usage(obj: Any, name: str) -> int | None:
    value = getattr(obj, name, None)
    return value if isinstance(value, int) else None


# (token type, the attribute of Anthropic's usage that counts it)
_ANTHROPIC_USAGE = (("input", "input_tokens"), ("output", "output_tokens"), ("cache_read", "cache_read_input_tokens"), ("cache_write", "cache_creation_input_tokens"))
_OUTPUT = (("output", "output_tokens"),)  # a message_delta's usage: the output so far


def _anthropic_message(call: Any, message: Any) -> None:
    """A Message: the whole answer, or a stream's first event (whose usage later events update)."""
    usage = getattr(message, "usage", None)
    call.read_usage(usage, _ANTHROPIC_USAGE)
    call.stop_reason = getattr(message, "stop_reason", None) or call.stop_reason
    call.response_model = getattr(message, "model", None) or call.response_model
    call.response_id = getattr(message, "id", None) or call.response_id


def _anthropic_result(call: Any, message: Any) -> None:
    _anthropic_message(call, message)
    # Set by the SDK on what a request returned, not on a stream's events (where reading it costs a raised
    # AttributeError inside pydantic); the send hook has the answer's headers for those.
    call.request_id = call.request_id or getattr(message, "_request_id", None) or ""


def _anthropic_content(message: Any) -> str:
    return "".join(getattr(b, "text", "") for b in getattr(message, "content", None) or [])


def _anthropic_event(call: Any, event: Any) -> bool:
    """True for an event whose kind tells nothing more: a content delta once the first token is timed (the SDK
    gives each event type its own class, so the stream lets later ones of that class pass unread)."""
    kind = getattr(event, "type", "")
    if kind == "content_block_delta":
        if call.first_token is not None:
            return True
        call.first_content()
    elif kind == "message_start":
        _anthropic_message(call, event.message)
    elif kind == "message_delta":
        call.read_usage(getattr(event, "usage", None), _OUTPUT)
        call.stop_reason = getattr(event.delta, "stop_reason", None) or call.stop_reason
    return False


def _openai_usage(call: Any, usage: Any) -> None:
    if usage is None:
        return
    prompt, cached = _usage(usage, "prompt_tokens"), _usage(getattr(usage, "prompt_tokens_details", None), "cached_tokens") or 0
    # OpenAI counts cached tokens inside prompt_tokens; the profile counts fresh input and cache reads apart.
    call.set_tokens(input=None if prompt is None else prompt - cached, output=_usage(usage, "completion_tokens"), cache_read=cached or None)


def _openai_result(call: Any, completion: Any) -> None:
    _openai_usage(call, getattr(completion, "usage", None))
    choices = getattr(completion, "choices", None) or []
    if choices:
        reason = getattr(choices[0], "finish_reason", None)
        call.stop_reason = OPENAI_STOP.get(reason, reason or "")
    call.request_id = call.request_id or getattr(completion, "_request_id", None) or ""
    call.response_model = getattr(completion, "model", None) or call.response_model
    call.response_id = getattr(completion, "id", None) or call.response_id


def _openai_event(call: Any, chunk: Any) -> bool:
    for choice in getattr(chunk, "choices", None) or []:
        delta = getattr(choice, "delta", None)
        if getattr(delta, "content", None) or getattr(delta, "tool_calls", None):
            call.first_content()
        if reason := getattr(choice, "finish_reason", None):
            call.stop_reason = OPENAI_STOP.get(reason, reason)
    _openai_usage(call, getattr(chunk, "usage", None))
    return False  # every chunk is a ChatCompletionChunk, and the last ones carry the finish reason and usage


def _openai_content(completion: Any) -> str | None:
    choices = getattr(completion, "choices", None) or []
    return getattr(getattr(choices[0], "message", None), "content", None) if choices else None


@dataclass(frozen=True)
class Provider:
    read_result: Callable[[Any, Any], None]
    read_event: Callable[[Any, Any], bool]  # True: later events of this one's class need no reading
    content_of: Callable[[Any], str | None]  # the answer's text, read only for log_content


ANTHROPIC = Provider(_anthropic_result, _anthropic_event, _anthropic_content)
OPENAI = Provider(_openai_result, _openai_event, _openai_content)


def detect(result: Any) -> Provider | None:
    """For `observe`: which SDK's object a user's function returned, if any."""
    kind = getattr(result, "object", None) or getattr(result, "type", None)
    if kind == "message":
        return ANTHROPIC
    if kind == "chat.completion":
        return OPENAI
    return None
