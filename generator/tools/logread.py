"""Reading slogen.instrument logs for `slogen report`: one line at a time, whatever the file holds.

A log is input a user did not write by hand: other loggers' lines, truncated writes, binary garbage, a line of
a hundred thousand brackets. Each line is read with a bounded length, decoded strictly and parsed; whatever is
not a call record is named by a reason and counted, never raised.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

from generator.errors import SlogenError

MAX_LINE = 1 << 20  # bytes; a call record is under 2 KB, even with an error message and a user id

# Why a line is not counted as a call (the keys of the report's `skipped`).
NOT_UTF8, TOO_LONG, TOO_DEEP, NOT_JSON, NOT_A_CALL, BAD_VALUES, NO_TIME = (
    "not_utf8", "too_long", "too_deep", "not_json", "not_a_call", "bad_values", "no_timestamp",
)


class LogError(SlogenError):
    exit_code = 2


class Skip(Exception):  # noqa: N818 - a line's verdict, not an error of slogen
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def lines(paths: Iterable[Path]) -> Iterator[bytes | None]:
    """Every line of every file in order, without its end of line; None stands for a line longer than MAX_LINE."""
    for path in paths:
        try:
            f = path.open("rb")
        except OSError as exc:
            raise LogError(f"{path}: cannot read the log ({exc.strerror or exc}); pass a file slogen.instrument wrote to") from None
        with f:
            try:
                yield from _split(f)
            except OSError as exc:
                raise LogError(f"{path}: reading the log failed ({exc.strerror or exc})") from None


def _split(f) -> Iterator[bytes | None]:  # noqa: ANN001 - a binary file
    while line := f.readline(MAX_LINE + 1):
        if len(line) > MAX_LINE and not line.endswith(b"\n"):
            while (rest := f.readline(MAX_LINE)) and not rest.endswith(b"\n"):
                pass  # the rest of an over-long line, dropped in bounded pieces
            yield None
            continue
        yield line.rstrip(b"\r\n")


def record(raw: bytes | None) -> dict | None:
    """The call record of one line, wherever a log formatter put its JSON; None for a blank line.

    Raises Skip naming why a non-blank line is not a call record."""
    if raw is None:
        raise Skip(TOO_LONG)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Skip(NOT_UTF8) from None
    if not text.strip():
        return None
    start = text.find("{")
    if start < 0:
        raise Skip(NOT_A_CALL)
    try:
        data = json.loads(text[start:])
    except RecursionError:  # a line of nested brackets: json's parser recurses once per level
        raise Skip(TOO_DEEP) from None
    except ValueError:
        raise Skip(NOT_JSON) from None
    if not isinstance(data, dict) or data.get("event") != "llm_call":
        raise Skip(NOT_A_CALL)
    return data


_AGO = re.compile(r"(\d{1,9})([smhdw])")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def moment(option: str, value: str | None, now: datetime) -> datetime | None:
    """`--since`/`--until`: an RFC 3339 time (a date alone is its midnight UTC), or a duration back from now."""
    if value is None:
        return None
    if m := _AGO.fullmatch(value.strip()):
        return now - timedelta(**{_UNITS[m[2]]: int(m[1])})
    parsed = timestamp(value.strip())
    if parsed is None:
        raise LogError(f"{option} {value!r}: give an RFC 3339 time (2026-12-05T09:30:00Z, or a date 2026-12-05) or a duration back from now (90m, 1h, 7d)")
    return parsed


def timestamp(value: object) -> datetime | None:
    """A record's `ts` as an aware datetime (a time without an offset is UTC), or None."""
    if not isinstance(value, str) or len(value) > 64:
        return None
    try:
        parsed = datetime.fromisoformat(value)
        # In UTC, so comparing two times never needs an offset that would overflow year 1 or 9999.
        return parsed.astimezone(timezone.utc) if parsed.tzinfo is not None else parsed.replace(tzinfo=timezone.utc)
    except (ValueError, OverflowError):
        return None
