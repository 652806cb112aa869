"""A fake Anthropic Messages API on 127.0.0.1: what the real SDKs and instrumentations are tested against.

`POST /v1/messages` answers as the real API does, in JSON or as an SSE stream (`"stream": true`);
`POST /v1/chat/completions` answers in OpenAI's shape, for OpenAI-compatible clients;
with `anthropic-ratelimit-*` headers and a `request-id`. A `Behaviour` says what the next calls
meet: a status to fail with (500, 529, 429, ...), a delay before the first token, tokens per
answer, an error event in the middle of a stream that already answered 200, first attempts that fail and
retries that succeed (read from the SDK's `x-stainless-retry-count`), one model failing while others answer.
Nothing here knows about metrics: the faults are in the API, where real incidents are.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


# What an OpenAI-compatible proxy writes for the same errors (LiteLLM turns Anthropic's overload into a 500).
OPENAI_ERROR_TYPES = {"overloaded_error": "server_error", "api_error": "server_error", "rate_limit_error": "rate_limit_exceeded"}


@dataclass
class Behaviour:
    """What the fake API does with the next requests; change it at any time, from any thread."""

    fail_status: int | None = None  # every request fails with this status
    pattern: tuple[int | None, ...] = ()  # else statuses in turn, None a success: (None, None, None, 500, 400)
    first_token_delay: float = 0.0
    chunk_delay: float = 0.0
    input_tokens: int = 120
    output_tokens: int = 30
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0
    stop_reason: str = "end_turn"
    chunks: int = 3
    limit: int = 4000
    used_share: float = 0.3
    remaining_jitter: int = 0  # remaining headers wander by up to this much, as a shared limit does
    stream_error: str | None = None  # an error type (`overloaded_error`) sent inside streams after their 200
    stream_error_after: int = 1  # content chunks sent before that error
    retry_fail: int | None = None  # first attempts (retry count below retry_fail_attempts) fail with this status
    retry_fail_attempts: int = 1
    model_status: dict[str, int] = field(default_factory=dict)  # these models fail every request with that status
    retry_after_ms: int | None = None  # sent with every error, so an SDK's retries come at once in tests


@dataclass
class Served:
    """Everything the fake API sent, for tests to compare the instrumentation's numbers with."""

    requests: list[dict] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, **entry: object) -> None:
        with self.lock:
            self.requests.append(entry)


class FakeAnthropic:
    """`with FakeAnthropic() as api:` then point the SDK at `api.base_url`."""

    def __init__(self, behaviour: Behaviour | None = None) -> None:
        self.behaviour = behaviour or Behaviour()
        self.served = Served()
        self._ids = itertools.count(1)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> FakeAnthropic:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def next_id(self) -> int:
        return next(self._ids)


def _status(b: Behaviour, n: int, model: str, retry: int) -> int | None:
    """The status the request meets: a fault, or None for an answer."""
    if b.fail_status is not None:
        return b.fail_status
    if model in b.model_status:
        return b.model_status[model]
    if b.retry_fail is not None and retry < b.retry_fail_attempts:
        return b.retry_fail
    return b.pattern[n % len(b.pattern)] if b.pattern else None


def _ratelimit_headers(b: Behaviour, n: int = 0) -> dict[str, str]:
    left = max(0, round(b.limit * (1 - b.used_share)) - (n % b.remaining_jitter if b.remaining_jitter else 0))
    headers = {}
    for dim in ("requests", "tokens", "input-tokens", "output-tokens"):
        headers[f"anthropic-ratelimit-{dim}-limit"] = str(b.limit)
        headers[f"anthropic-ratelimit-{dim}-remaining"] = str(left)
        headers[f"anthropic-ratelimit-{dim}-reset"] = "2026-01-01T00:00:00Z"
    return headers


def _usage(b: Behaviour, output: int) -> dict[str, int]:
    return {
        "input_tokens": b.input_tokens,
        "output_tokens": output,
        "cache_read_input_tokens": b.cache_read_tokens,
        "cache_creation_input_tokens": b.cache_write_tokens,
    }


def _handler(api: FakeAnthropic) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        n = 0  # the request's number, from 1

        def log_message(self, *args: object) -> None:  # quiet: tests read `served`, not stderr
            pass

        def setup(self) -> None:
            super().setup()
            # Headers and body go out as separate writes: without this, Nagle and delayed ACKs add 40 ms a call.
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            length = int(self.headers.get("content-length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            b = api.behaviour
            n = self.n = api.next_id()
            request_id = f"req_fake_{n:06d}"
            model = body.get("model", "claude-sonnet-4-6")
            stream = bool(body.get("stream"))
            call = self.headers.get("x-call-shape", "")  # tests name the SDK call that sent it
            retry = int(self.headers.get("x-stainless-retry-count") or 0)
            status = _status(b, n, model, retry)
            if status is not None:
                api.served.add(id=request_id, model=model, stream=stream, call=call, status=status, retry=retry)
                return self._error(status, b, request_id)
            broken = b.stream_error if stream else None
            api.served.add(
                id=request_id, model=model, stream=stream, call=call, status=200, input_tokens=b.input_tokens, output_tokens=b.output_tokens,
                cache_read_tokens=b.cache_read_tokens, cache_write_tokens=b.cache_write_tokens, stop_reason=b.stop_reason,
                first_token_delay=b.first_token_delay, retry=retry, stream_error=broken,
            )
            try:
                if self.path.endswith("/chat/completions"):
                    return self._openai(b, request_id, model, stream, body)
                if stream:
                    return self._stream(b, request_id, model)
                time.sleep(b.first_token_delay)
                self._json(200, _message(b, request_id, model, b.output_tokens), request_id, _ratelimit_headers(b, self.n))
            except (BrokenPipeError, ConnectionResetError):
                return None  # the client left early: a cancelled or abandoned stream, or a timed-out call

        def _error(self, status: int, b: Behaviour, request_id: str) -> None:
            body = {"type": "error", "error": {"type": ERROR_TYPES.get(status, "api_error"), "message": "injected by the fake API"}}
            extra = {**_ratelimit_headers(b, self.n), "retry-after": "1"} if status == 429 else {}
            if b.retry_after_ms is not None:
                extra["retry-after-ms"] = str(b.retry_after_ms)
            self._json(status, body, request_id, extra)

        def _json(self, status: int, body: dict, request_id: str, headers: dict[str, str]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.send_header("request-id", request_id)
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

        def _stream(self, b: Behaviour, request_id: str, model: str) -> None:
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("cache-control", "no-cache")
            self.send_header("request-id", request_id)
            self.send_header("connection", "close")
            for k, v in _ratelimit_headers(b, self.n).items():
                self.send_header(k, v)
            self.end_headers()
            start = _message(b, request_id, model, 1)
            start["content"], start["stop_reason"] = [], None
            self._event("message_start", {"type": "message_start", "message": start})
            self._event("content_block_start", {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})
            time.sleep(b.first_token_delay)
            for i in range(max(1, b.chunks)):
                if i:
                    time.sleep(b.chunk_delay)
                if b.stream_error is not None and i == b.stream_error_after:
                    error = {"type": "error", "error": {"type": b.stream_error, "message": "injected mid-stream by the fake API"}}
                    self._event("error", error)
                    self.close_connection = True
                    return
                delta = {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": f"chunk {i} "}}
                self._event("content_block_delta", delta)
            self._event("content_block_stop", {"type": "content_block_stop", "index": 0})
            self._event(
                "message_delta",
                {"type": "message_delta", "delta": {"stop_reason": b.stop_reason, "stop_sequence": None}, "usage": {"output_tokens": b.output_tokens}},
            )
            self._event("message_stop", {"type": "message_stop"})
            self.close_connection = True

        def _openai(self, b: Behaviour, request_id: str, model: str, stream: bool, body: dict) -> None:
            usage = {
                "prompt_tokens": b.input_tokens + b.cache_read_tokens,  # OpenAI counts cached tokens inside the prompt
                "completion_tokens": b.output_tokens,
                "total_tokens": b.input_tokens + b.cache_read_tokens + b.output_tokens,
                "prompt_tokens_details": {"cached_tokens": b.cache_read_tokens},
            }
            reason = {"end_turn": "stop", "max_tokens": "length"}.get(b.stop_reason, "stop")
            headers = {"x-request-id": request_id, "x-ratelimit-limit-requests": str(b.limit),
                       "x-ratelimit-remaining-requests": str(max(0, round(b.limit * (1 - b.used_share))))}
            base = {"id": f"chatcmpl-{request_id}", "created": 0, "model": model}
            if not stream:
                time.sleep(b.first_token_delay)
                message = {"role": "assistant", "content": "ok"}
                choice = {"index": 0, "message": message, "finish_reason": reason}
                return self._json(200, {**base, "object": "chat.completion", "choices": [choice], "usage": usage}, request_id, headers)
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("connection", "close")
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            time.sleep(b.first_token_delay)
            chunk = {**base, "object": "chat.completion.chunk"}
            for i in range(max(1, b.chunks)):
                if i:
                    time.sleep(b.chunk_delay)
                if b.stream_error is not None and i == b.stream_error_after:
                    kind = OPENAI_ERROR_TYPES.get(b.stream_error, b.stream_error)
                    self._data({"error": {"message": "injected mid-stream by the fake API", "type": kind, "code": None}})
                    self.close_connection = True
                    return
                self._data({**chunk, "choices": [{"index": 0, "delta": {"content": f"chunk {i} "}, "finish_reason": None}]})
            self._data({**chunk, "choices": [{"index": 0, "delta": {}, "finish_reason": reason}]})
            if (body.get("stream_options") or {}).get("include_usage"):
                self._data({**chunk, "choices": [], "usage": usage})
            self.wfile.write(b"data: [DONE]\n\n")
            self.close_connection = True

        def _data(self, data: dict) -> None:
            self.wfile.write(f"data: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()

        def _event(self, name: str, data: dict) -> None:
            self.wfile.write(f"event: {name}\ndata: {json.dumps(data)}\n\n".encode())
            self.wfile.flush()

    return Handler


def _message(b: Behaviour, request_id: str, model: str, output: int) -> dict:
    return {
        "id": f"msg_{request_id}",
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": [{"type": "text", "text": "ok"}],
        "stop_reason": b.stop_reason,
        "stop_sequence": None,
        "usage": _usage(b, output),
    }
