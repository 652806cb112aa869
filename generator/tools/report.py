"""`slogen report`: slogen.instrument's log lines summarised per model, feature or user, in one pass.

Streaming: a line is read, counted and dropped. What is kept is bounded whatever the log's size: per group a
few counters and two percentile sketches (generator/tools/sketch.py, 1% relative error), at most MAX_GROUPS
groups (later keys fold into `(other)`), the top N calls by cost in a heap, and per error type (at most
MAX_ERROR_TYPES) a count and the most recent message. Tokens or cost logged as null are "usage unknown":
counted apart, never added as zero.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from generator.tools import logread
from generator.tools.logread import BAD_VALUES, NO_TIME, LogError, Skip
from generator.tools.sketch import MAX as MAX_MS
from generator.tools.sketch import Quantiles, TopN

TOKEN_KINDS = ("input", "output", "cache_read", "cache_write")
PERCENTILES = (50, 95, 99)
GROUP_KEYS = ("model", "feature", "user")
MAX_GROUPS, MAX_ERROR_TYPES, OTHER, NO_USER = 200, 100, "(other)", "(no user)"
MAX_TEXT = 300  # characters kept of an id, a name or an error message
# Beyond these a value is corrupt, not a call: refusing them also keeps every sum finite.
MAX_COST, MAX_TOKENS = 1e6, 10**12
_EPOCH_MIN = datetime.min.replace(tzinfo=timezone.utc)  # a line without a time is older than any with one


@dataclass(frozen=True)
class Call:
    failed: bool
    cost: float | None  # None: unknown (no pricing, or no usage), never zero
    duration: float | None
    ttft: float | None
    tokens: dict[str, int] | None  # None: usage unknown

    @staticmethod
    def of(line: dict) -> Call:
        """Raises Skip(bad_values) on a malformed record, before any group has counted it."""
        try:
            tokens = {k: _count(line.get(f"{k}_tokens")) for k in TOKEN_KINDS}
            known = None if any(line.get(f"{k}_tokens") is None for k in TOKEN_KINDS) else tokens
            return Call(
                failed=not _text(line.get("status")).startswith("2"),
                cost=_number(line.get("cost_usd"), MAX_COST),
                duration=_number(line.get("duration_ms"), MAX_MS),
                ttft=_number(line.get("ttft_ms"), MAX_MS),
                tokens=known,
            )
        except (TypeError, ValueError, OverflowError):
            raise Skip(BAD_VALUES) from None


def _number(value: object, bound: float) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError("not a number")
    number = float(value)
    if not 0 <= number <= bound:  # NaN, infinities and negatives fail this too
        raise ValueError("out of range")
    return number


def _count(value: object) -> int:
    if value is None:
        return 0
    number = _number(value, MAX_TOKENS)
    if number != int(number):
        raise ValueError("not a whole number")
    return int(number)


def _text(value: object) -> str:
    if isinstance(value, str):
        return value[:MAX_TEXT]
    if isinstance(value, (bool, int, float)):
        return str(value)[:MAX_TEXT]
    return "" if value is None else "?"  # a list or an object where a name belongs: never str() a nested structure


@dataclass
class Group:
    calls: int = 0
    errors: int = 0
    cost: float = 0.0
    cost_known: int = 0
    usage_unknown: int = 0
    durations: Quantiles = field(default_factory=Quantiles)
    ttfts: Quantiles = field(default_factory=Quantiles)
    tokens: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TOKEN_KINDS, 0))

    def add(self, call: Call) -> None:
        self.calls += 1
        self.errors += call.failed
        if call.cost is not None:
            self.cost += call.cost
            self.cost_known += 1
        if call.tokens is None:
            self.usage_unknown += 1
        else:
            for kind, n in call.tokens.items():
                self.tokens[kind] += n
        if call.duration is not None:
            self.durations.add(call.duration)
        if call.ttft is not None:
            self.ttfts.add(call.ttft)

    def summary(self) -> dict:
        prompt = self.tokens["input"] + self.tokens["cache_read"] + self.tokens["cache_write"]
        return {
            "calls": self.calls,
            "errors": self.errors,
            "error_rate": self.errors / self.calls if self.calls else 0.0,
            "spend_usd": round(self.cost, 6),
            "cost_per_request_usd": round(self.cost / self.cost_known, 6) if self.cost_known else None,
            "cost_unknown_calls": self.calls - self.cost_known,
            "usage_unknown_calls": self.usage_unknown,
            "latency_ms": _latency(self.durations),
            "ttft_ms": _latency(self.ttfts),
            "tokens": dict(self.tokens),
            "cache_hit_share": self.tokens["cache_read"] / prompt if prompt else 0.0,
        }


def _latency(q: Quantiles) -> dict:
    out = {f"p{p}": _round(q.percentile(p)) for p in PERCENTILES}
    out["max"] = _round(q.maximum())
    return out


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


@dataclass
class Errors:
    """Failed calls by error type: a count, and the status and message of the most recent one."""

    kinds: dict[str, list] = field(default_factory=dict)  # type -> [count, (when, line number), status, message]

    def add(self, line: dict, seq: int) -> None:
        kind = _text(line.get("error_type")) or f"status {_text(line.get('status'))}"
        if kind not in self.kinds and len(self.kinds) >= MAX_ERROR_TYPES:
            kind = OTHER
        when = logread.timestamp(line.get("ts"))
        order = (when or _EPOCH_MIN, seq)
        entry = self.kinds.setdefault(kind, [0, None, "", ""])
        entry[0] += 1
        if entry[1] is None or order >= entry[1]:
            entry[1:] = [order, _text(line.get("status")), _text(line.get("error_message"))]

    def summary(self) -> list[dict]:
        ranked = sorted(self.kinds.items(), key=lambda kv: (-kv[1][0], kv[0]))
        return [{"error_type": k, "count": c, "last_status": s, "last_message": m} for k, (c, _, s, m) in ranked]


@dataclass
class Summary:
    by: Sequence[str] = ("model", "feature")
    top: int = 5
    since: datetime | None = None
    until: datetime | None = None
    total: Group = field(default_factory=Group)
    groups: dict[str, dict[str, Group]] = field(default_factory=dict)
    folded: dict[str, int] = field(default_factory=dict)  # per grouping key, how many keys went to (other)
    errors: Errors = field(default_factory=Errors)
    skipped: dict[str, int] = field(default_factory=dict)
    outside_window: int = 0
    expensive: TopN = field(init=False)

    def __post_init__(self) -> None:
        self.expensive = TopN(self.top)
        self.groups = {key: {} for key in self.by}
        self.folded = dict.fromkeys(self.by, 0)

    def feed(self, raw: bytes | None, seq: int) -> None:
        try:
            line = logread.record(raw)
            if line is None:
                return
            call = Call.of(line)
            if not self._within(line):
                self.outside_window += 1
                return
        except Skip as skip:
            self.skipped[skip.reason] = self.skipped.get(skip.reason, 0) + 1
            return
        self.total.add(call)
        for key in self.by:
            self._group(key, line).add(call)
        if call.failed:
            self.errors.add(line, seq)
        if call.cost is not None:
            self.expensive.offer(call.cost, lambda: _entry(line, call))

    def _within(self, line: dict) -> bool:
        if self.since is None and self.until is None:
            return True
        when = logread.timestamp(line.get("ts"))
        if when is None:
            raise Skip(NO_TIME)
        return (self.since is None or when >= self.since) and (self.until is None or when < self.until)

    def _group(self, key: str, line: dict) -> Group:
        name = _text(line.get(key)) or (NO_USER if key == "user" else "")
        groups = self.groups[key]
        group = groups.get(name)
        if group is None:
            if len(groups) >= MAX_GROUPS:
                self.folded[key] += name != OTHER
                name = OTHER
            group = groups.setdefault(name, Group())
        return group

    def result(self) -> dict:
        out = {"total": self.total.summary()}
        for key in self.by:
            out[f"by_{key}"] = {k: g.summary() for k, g in sorted(self.groups[key].items())}
        out["folded_into_other"] = {k: n for k, n in self.folded.items() if n}
        out["top_cost"] = self.expensive.largest()
        out["errors"] = self.errors.summary()
        out["skipped_lines"] = sum(self.skipped.values())
        out["skipped"] = dict(sorted(self.skipped.items()))
        out["outside_window"] = self.outside_window
        return out


def _entry(line: dict, call: Call) -> dict:
    return {
        "request_id": _text(line.get("request_id")), "ts": _text(line.get("ts")), "model": _text(line.get("model")),
        "feature": _text(line.get("feature")), "user": _text(line.get("user")) or None, "status": _text(line.get("status")),
        "cost_usd": call.cost, "duration_ms": call.duration,
    }


def summarise(lines: Iterable[bytes | str | None], by: Sequence[str] = ("model", "feature"), top: int = 5,
              since: datetime | None = None, until: datetime | None = None) -> dict:
    summary = Summary(by=tuple(by), top=top, since=since, until=until)
    for seq, raw in enumerate(lines):
        summary.feed(raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw, seq)
    return summary.result()


def run(paths: Sequence[Path], by: str | None = None, top: int = 5, since: str | None = None, until: str | None = None,
        as_json: bool = False, now: datetime | None = None) -> str:
    """The `slogen report` command's whole work: raises LogError (exit 2) on a bad option or an unreadable file."""
    if by is not None and by not in GROUP_KEYS:
        raise LogError(f"--by {by!r}: choose one of {', '.join(GROUP_KEYS)}")
    now = now or datetime.now(timezone.utc)
    start, end = logread.moment("--since", since, now), logread.moment("--until", until, now)
    if start is not None and end is not None and start >= end:
        raise LogError(f"--since {since} is not before --until {until}: nothing could match")
    result = summarise(logread.lines(paths), by=(by,) if by else ("model", "feature"), top=top, since=start, until=end)
    return json.dumps(result, indent=2, allow_nan=False) if as_json else table(result)


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def _row(title: str, s: dict) -> list[str]:
    lat, ttft, tok = s["latency_ms"], s["ttft_ms"], s["tokens"]
    per_call = "-" if s["cost_per_request_usd"] is None else f"{s['cost_per_request_usd']:.5f}"
    return [title, str(s["calls"]), f"{s['error_rate']:.2%}", *(_ms(lat[f"p{p}"]) for p in PERCENTILES), _ms(lat["max"]),
            *(_ms(ttft[f"p{p}"]) for p in PERCENTILES), f"{s['spend_usd']:.4f}", per_call, str(tok["input"]), str(tok["output"]),
            f"{s['cache_hit_share']:.1%}", str(s["cost_unknown_calls"])]


def _grid(header: list[str], rows: list[list[str]], left: tuple[int, ...] = (0,)) -> list[str]:
    """Names left-aligned, numbers right-aligned."""
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = lambda r: "  ".join(c.ljust(w) if i in left else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()  # noqa: E731
    return [fmt(header), *(fmt(r) for r in rows)]


def table(report: dict) -> str:
    header = ["", "calls", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms", "ttft p50", "ttft p95", "ttft p99",
              "spend $", "$/call", "in tok", "out tok", "cache hit", "cost ?"]
    rows = [_row(f"{key} {name}", s) for key in GROUP_KEYS for name, s in report.get(f"by_{key}", {}).items()]
    lines = _grid(header, [*rows, _row("all", report["total"])])
    if (t := report["total"])["cost_unknown_calls"]:
        lines.append(f"cost ?: calls whose cost was logged as null (no pricing, or usage unknown: {t['usage_unknown_calls']} call(s) without "
                     "token counts); left out of spend, tokens and $/call, never counted as zero")
    for key, n in report["folded_into_other"].items():
        lines.append(f"{n} more {key} value(s) counted as {OTHER} (at most {MAX_GROUPS} rows per key)")
    if report["top_cost"]:
        lines += ["", f"Most expensive calls (top {len(report['top_cost'])})"]
        lines += _grid(["request id", "model", "feature", "cost $", "ms"],
                       [[e["request_id"] or "-", e["model"], e["feature"], f"{e['cost_usd']:.6f}", _ms(e["duration_ms"])] for e in report["top_cost"]], (0, 1, 2))
    if report["errors"]:
        lines += ["", "Errors by type (most recent message)"]
        lines += _grid(["type", "count", "status", "message"],
                       [[e["error_type"], str(e["count"]), e["last_status"] or "-", _oneline(e["last_message"]) or "-"] for e in report["errors"]], (0, 3))
    if report["skipped_lines"]:
        reasons = ", ".join(f"{n} {reason.replace('_', ' ')}" for reason, n in report["skipped"].items())
        lines += ["", f"{report['skipped_lines']} line(s) skipped: not slogen.instrument call records ({reasons})"]
    if report["outside_window"]:
        lines.append(f"{report['outside_window']} call(s) outside --since/--until")
    return "\n".join(lines)


def _oneline(text: str) -> str:
    return " ".join(text.split())[:120]
