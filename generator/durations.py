"""Prometheus-style durations: parse user text, format names, never lose precision."""

from __future__ import annotations

import re
from functools import cache

_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_WHOLE = re.compile(r"^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$")


@cache  # pure, and called for every window of every rule and test of every SLO
def parse_seconds(text: str) -> float:
    """Parse `30d`, `1h30m`, `2.5s`, `500ms` into seconds; raise ValueError with the accepted forms."""
    if not isinstance(text, str) or not _WHOLE.match(text.strip()):
        raise ValueError(f"{text!r} is not a duration; write a number and a unit, e.g. 30d, 6h, 5m, 2.5s, 500ms")
    return sum(float(n) * _UNITS[u] for n, u in _PART.findall(text.strip()))


@cache  # tens of thousands of offsets and windows per large spec, a handful of distinct ones
def format_duration(seconds: float) -> str:
    """Format whole seconds the way Prometheus reads them, in the largest exact units (`1d`, `90m` → `1h30m`)."""
    if seconds <= 0 or seconds != int(seconds):
        if 0 < seconds < 1 and round(seconds * 1000) == seconds * 1000:
            return f"{int(seconds * 1000)}ms"
        raise ValueError(f"cannot format {seconds!r}s as a Prometheus duration")
    rest, out = int(seconds), []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if rest >= size:
            out.append(f"{rest // size}{unit}")
            rest %= size
    return "".join(out)


@cache
def format_number(value: float) -> str:
    """Shortest text that reads back as the same float: `3`, `0.25`, `14.4` (no `0.9990000000000001`)."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))
