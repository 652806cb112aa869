"""One finished call as one JSON log line, handed to the caller's logging as an ordinary LogRecord.

The line is written as one f-string, not a dict through json: in a real call the caches are cold after the SDK's
own work, and a dict and the encoder's dispatch cost about twice as much there. Every string field is a str
(slogen's own, or the SDK's typed ones), so each goes straight to the C quoting json itself uses.

The record is the stdlib's LogRecord with the stdlib's fields, made from a copy of one the stdlib made on this
thread rather than through LogRecord.__init__, which works out the same file name, module, process and thread
name on every call and, in a real call, cost about a fifth of slogen's time. A service that installs its own
record factory, or a logger class with its own makeRecord, gets its records made its way."""

from __future__ import annotations

import json
import logging
import math
import os
import sys
import threading
import time
from json.encoder import encode_basestring as _QUOTE  # noqa: N812
from typing import Any

from slogen._pricing import TOKEN_TYPES

_ENCODE = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps builds an encoder per call for non-default options
_NO_COUNTS = ",".join(f'"{k}_tokens":null' for k in TOKEN_TYPES)
_second = (0, "")  # the timestamp's text up to the second, made once a second
_MILLIS = [f"{ms:03d}" for ms in range(1000)]


def text(call: Any, status: str, request_id: str, seconds: float, ttft: float | None, cost: float | None,
         trace: tuple[str, str] | None, now: float, content: str | None) -> str:
    ok = not call.error_type
    tokens = call.tokens
    # TOKEN_TYPES spelled out, which saves a loop a call; tests/test_instrument.py holds the line to TOKEN_TYPES.
    counts = (
        f'"input_tokens":{tokens.get("input", 0)},"output_tokens":{tokens.get("output", 0)},'
        f'"cache_read_tokens":{tokens.get("cache_read", 0)},"cache_write_tokens":{tokens.get("cache_write", 0)}'
        if call.usage_known else _NO_COUNTS
    )
    line = (
        f'{{"ts":"{stamp(now)}","level":"{"INFO" if ok else "WARNING"}","event":"llm_call",'
        f'"request_id":{_QUOTE(request_id)},"model":{_QUOTE(call.model)},"feature":{_QUOTE(call.feature)},{counts},'
        f'"stop_reason":{_QUOTE(call.stop_reason)},"stream":{"true" if call.stream else "false"},'
        f'"duration_ms":{seconds * 1000:.3f},"ttft_ms":{"null" if ttft is None else f"{ttft * 1000:.3f}"},'
        f'"cost_usd":{"null" if cost is None else number(cost)},'
        f'"status":{_QUOTE(status)},"attempts":{len(call.attempts)},"error_type":{_QUOTE(call.error_type)}'
    )
    if not ok:
        line += f',"error_message":{_QUOTE(call.error_message)}'
    if call.user is not None:
        line += f',"user":{_QUOTE(call.user)}'
    if trace is not None:
        line += f',"trace_id":"{trace[0]}","span_id":"{trace[1]}"'
    if content is not None:
        line += f',"content":{_QUOTE(content)}'
    return line + "}"


def stamp(now: float) -> str:
    """RFC 3339 UTC with milliseconds, as datetime's isoformat writes it."""
    global _second  # noqa: PLW0603 - a cache; a race only makes the same text twice
    whole = int(now)
    if _second[0] != whole:
        _second = (whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)))
    return f"{_second[1]}.{_MILLIS[int((now - whole) * 1000)]}Z"


def number(value: float) -> str:
    """To eight places (formatting rounds as round() does, in one step), or what json writes for inf and nan."""
    return f"{value:.8f}" if -math.inf < value < math.inf else _ENCODE(value)


def log(logger: logging.Logger, level: int, line: str, now: float) -> None:
    """Hand the line to `logger`'s handlers as logger.log would, created at `now`, without findCaller (which walks
    the SDK's deep stack for a source line nobody reads in a JSON event)."""
    if logging.getLogRecordFactory() is logging.LogRecord and type(logger).makeRecord is _MAKE:
        record = _copied(logger.name, level, line, now)
    else:
        record = logger.makeRecord(logger.name, level, __file__, 0, line, (), None, "record")
    logger.handle(record)


_MAKE = logging.Logger.makeRecord
_NEW = logging.LogRecord.__new__


class _Prototypes(threading.local):
    """Per thread (and per process: a forked child starts afresh), one record as the stdlib made it."""

    made: dict[tuple, tuple[dict[str, Any], float]]

    def __init__(self) -> None:
        self.made = {}


_PROTOTYPES = _Prototypes()


def _forget() -> None:
    global _PROTOTYPES  # noqa: PLW0603 - a child process must not keep its parent's pid and process name
    _PROTOTYPES = _Prototypes()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget)


def _copied(name: str, level: int, line: str, now: float) -> logging.LogRecord:
    # the switches logging reads per record: a service may turn thread or process names off at any time
    key = (name, logging.logThreads, logging.logProcesses, logging.logMultiprocessing)
    made = _PROTOTYPES.made.get(key)
    if made is None:
        first = logging.LogRecord(name, logging.INFO, __file__, 0, "", (), None, "record")
        # relativeCreated as the stdlib counts it (its start time's unit differs across versions), from ours
        made = _PROTOTYPES.made[key] = (dict(first.__dict__), first.created - first.relativeCreated / 1000)
    fields, start = made
    own = fields.copy()  # a whole-table copy of a dict with these keys; update() would insert them one by one
    own["msg"], own["levelno"], own["levelname"] = line, level, logging.getLevelName(level)
    own["created"], own["msecs"], own["relativeCreated"] = now, int((now - int(now)) * 1000) + 0.0, (now - start) * 1000
    if fields.get("threadName") is not None:
        own["threadName"] = threading.current_thread().name  # a thread may be renamed
    if "taskName" in fields:  # Python 3.12 on: the asyncio task the call ran in
        own["taskName"] = _task_name()
    record = _NEW(logging.LogRecord)
    record.__dict__ = own
    return record


def _task_name() -> str | None:
    asyncio = sys.modules.get("asyncio")
    if asyncio is None or not logging.__dict__.get("logAsyncioTasks", True):
        return None
    try:
        return asyncio.current_task().get_name()
    except Exception:  # noqa: BLE001 - no running loop, or no task: what the stdlib records then
        return None
