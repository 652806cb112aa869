"""`slogen report`: a day of `slogen.instrument` log lines summarised per model and per feature. Pure."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from dataclasses import dataclass, field

TOKEN_KINDS = ("input", "output", "cache_read", "cache_write")
PERCENTILES = (50, 95, 99)


@dataclass(frozen=True)
class Normalised:
    failed: bool
    cost: float
    duration: float | None
    ttft: float | None
    tokens: dict[str, int]

    @staticmethod
    def of(line: dict) -> Normalised:
        """Raises ValueError or TypeError on a malformed record, before any group has counted it."""

        def number(key: str) -> float | None:
            value = line.get(key)
            if value is None:
                return None
            number = float(value)
            if not math.isfinite(number):
                raise ValueError(f"{key} is not a finite number")
            return number

        return Normalised(
            failed=not str(line.get("status", "")).startswith("2"),
            cost=number("cost_usd") or 0.0,
            duration=number("duration_ms"),
            ttft=number("ttft_ms"),
            tokens={k: int(line.get(f"{k}_tokens") or 0) for k in TOKEN_KINDS},
        )


@dataclass
class Group:
    calls: int = 0
    errors: int = 0
    cost: float = 0.0
    durations: list[float] = field(default_factory=list)
    ttfts: list[float] = field(default_factory=list)
    tokens: dict[str, int] = field(default_factory=lambda: dict.fromkeys(TOKEN_KINDS, 0))

    def add(self, call: Normalised) -> None:
        self.calls += 1
        self.errors += call.failed
        self.cost += call.cost
        if call.duration is not None:
            self.durations.append(call.duration)
        if call.ttft is not None:
            self.ttfts.append(call.ttft)
        for kind, n in call.tokens.items():
            self.tokens[kind] += n

    def summary(self) -> dict:
        prompt = self.tokens["input"] + self.tokens["cache_read"] + self.tokens["cache_write"]
        return {
            "calls": self.calls,
            "error_rate": self.errors / self.calls if self.calls else 0.0,
            "spend_usd": round(self.cost, 6),
            "cost_per_request_usd": round(self.cost / self.calls, 6) if self.calls else 0.0,
            "latency_ms": {f"p{p}": _percentile(self.durations, p) for p in PERCENTILES},
            "ttft_ms": {f"p{p}": _percentile(self.ttfts, p) for p in PERCENTILES},
            "tokens": dict(self.tokens),
            "cache_hit_share": self.tokens["cache_read"] / prompt if prompt else 0.0,
        }


def _percentile(values: list[float], p: int) -> float | None:
    """Nearest-rank percentile: a value some call really had."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def parse(line: str) -> dict | None:
    """The JSON object of one log line, wherever a log formatter put it; None when the line is not a call."""
    start = line.find("{")
    if start < 0:
        return None
    try:
        data = json.loads(line[start:])
    except ValueError:
        return None
    return data if isinstance(data, dict) and data.get("event") == "llm_call" else None


def summarise(lines: Iterable[str]) -> dict:
    total, models, features = Group(), {}, {}
    skipped = 0
    for raw in lines:
        if not raw.strip():
            continue
        line = parse(raw)
        if line is None:
            skipped += 1
            continue
        try:
            call = Normalised.of(line)
        except (TypeError, ValueError, OverflowError):
            skipped += 1
            continue
        for group in (total, models.setdefault(str(line.get("model", "")), Group()), features.setdefault(str(line.get("feature", "")), Group())):
            group.add(call)
    return {
        "total": total.summary(),
        "by_model": {k: g.summary() for k, g in sorted(models.items())},
        "by_feature": {k: g.summary() for k, g in sorted(features.items())},
        "skipped_lines": skipped,
    }


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


def table(report: dict) -> str:
    header = ["", "calls", "errors", "p50 ms", "p95 ms", "p99 ms", "ttft p50", "ttft p95", "ttft p99", "spend $", "$/call", "in tok", "out tok", "cache hit"]
    rows = []
    for title, groups in (("model", report["by_model"]), ("feature", report["by_feature"])):
        for name, s in groups.items():
            lat, ttft, tok = s["latency_ms"], s["ttft_ms"], s["tokens"]
            rows.append([f"{title} {name}", str(s["calls"]), f"{s['error_rate']:.2%}", *(_ms(lat[f"p{p}"]) for p in PERCENTILES),
                         *(_ms(ttft[f"p{p}"]) for p in PERCENTILES), f"{s['spend_usd']:.4f}", f"{s['cost_per_request_usd']:.5f}",
                         str(tok["input"]), str(tok["output"]), f"{s['cache_hit_share']:.1%}"])
    t = report["total"]
    rows.append(["all", str(t["calls"]), f"{t['error_rate']:.2%}", *(_ms(t["latency_ms"][f"p{p}"]) for p in PERCENTILES),
                 *(_ms(t["ttft_ms"][f"p{p}"]) for p in PERCENTILES), f"{t['spend_usd']:.4f}", f"{t['cost_per_request_usd']:.5f}",
                 str(t["tokens"]["input"]), str(t["tokens"]["output"]), f"{t['cache_hit_share']:.1%}"])
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    fmt = lambda r: "  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip()  # noqa: E731
    lines = [fmt(header), *(fmt(r) for r in rows)]
    if report["skipped_lines"]:
        lines.append(f"{report['skipped_lines']} line(s) skipped: not slogen.instrument call records")
    return "\n".join(lines)
