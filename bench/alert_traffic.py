"""Synthetic traffic for bench/alert_quality.py: scenarios, and the series the reference exporter writes for them.

A scenario is a run of segments, each so many minutes of so many requests a minute with a share of them failing.
Failing requests are answered 529 unless a segment names statuses ({"401": 1.0}); a scenario may split its traffic
with a second model (`split`), whose requests then fail as the segment's `second` says; and a segment may have a
share of first attempts answered 529 and retried with success (`retried`), which only the attempts counter sees.
Every status a scenario uses has its series from minute 0, at 0 until its first answer, as if created at startup
(prometheus_client creates a label's series on its first increment).
Attempts are each request's final one plus the retried first attempts: a failed request's own retries are not modelled.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

REQUESTS = "claude_api_requests_total"
ATTEMPTS = "claude_api_attempts_total"  # every HTTP attempt, retries included (slogen.instrument), same labels
RPM = 100  # requests a minute
BUDGET = 0.005
HEALTHY = BUDGET / 2  # half the budget pace
LEAD = 360  # minutes of healthy traffic before a fault
DAY = 1440
MODEL, SECOND, FEATURE = "claude-sonnet-4-6", "claude-haiku-4-5", "chat"
OK, FAILING = "200", "529"  # a success, and what a failing request is answered unless a segment says otherwise

Share = float | Mapping[str, float]  # a share of requests answered 529, or shares by status


class Segment(NamedTuple):
    minutes: int
    rpm: float  # requests a minute, every model together; < 0: the series are missing
    share: Share  # of the (first) model's requests failing
    second: Share | None = None  # of the second model's requests failing (Scenario.split); None: as `share`
    retried: float = 0.0  # of first attempts answered 529, then retried with success (the attempts counter)


@dataclass(frozen=True)
class Scenario:
    name: str
    segments: tuple[tuple, ...]  # Segment fields: (minutes, rpm, share[, second[, retried]])
    fault: tuple[int, int] | None = None  # (start, end) minute of the incident, if there is one
    expect: str = "page"  # page | ticket | warn | quiet | nodata
    restarts: tuple[int, ...] = ()  # minutes the application restarts: its counters start again from 0
    gaps: tuple[tuple[int, int], ...] = ()  # [start, end) minutes without a scrape
    counted_before: int = 0  # minutes the app had been counting before Prometheus' history begins (it restarted empty)
    second_model_from: int | None = None  # a second model's series, as many requests as the first, appear at this minute
    split: float = 0.0  # share of the traffic the second model serves from the start

    def __post_init__(self) -> None:
        object.__setattr__(self, "segments", tuple(Segment(*seg) for seg in self.segments))

    @property
    def minutes(self) -> int:
        return sum(seg.minutes for seg in self.segments)

    @property
    def retries(self) -> bool:
        """Whether the scenario writes the attempts counter: only those that retry, so the others read as before."""
        return any(seg.retried for seg in self.segments)


def _shares(share: Share) -> dict[str, float]:
    return dict(share) if isinstance(share, Mapping) else {FAILING: share}


@dataclass
class Traffic:
    """One model's series: the minute they appear, and per minute its requests, failed requests by status, attempts."""

    model: str
    start: int
    total: list[float]
    failed: dict[str, list[float]]  # status -> requests a minute answered it (529 always present)
    attempts: dict[str, list[float]]  # status -> attempts a minute; empty unless the scenario retries

    @property
    def ok(self) -> list[float]:
        out = []
        for t, *bad in zip(self.total, *self.failed.values(), strict=True):
            out.append(t - sum(bad))
        return out

    @property
    def bad(self) -> list[float]:
        return [sum(bad) for bad in zip(*self.failed.values(), strict=True)]


def traffic(s: Scenario) -> list[Traffic]:
    """Each model's requests a minute (the list starts at minute 0 with nothing, and ends where the series vanish)."""
    parts = [(MODEL, 1 - s.split)] + ([(SECOND, s.split)] if s.split else [])
    statuses = {FAILING} | {k for seg in s.segments for share in (seg.share, seg.second) if share is not None for k in _shares(share)}
    out = []
    for model, part in parts:
        total, failed, retried = [0.0], {st: [0.0] for st in sorted(statuses)}, [0.0]
        for seg in s.segments:
            if seg.rpm < 0:
                break
            rpm = seg.rpm * part
            shares = _shares(seg.second if model == SECOND and seg.second is not None else seg.share)
            total += [rpm] * seg.minutes
            for st, per in failed.items():
                per += [rpm * shares.get(st, 0.0)] * seg.minutes
            retried += [rpm * seg.retried] * seg.minutes
        failed = {st: per for st, per in failed.items() if st == FAILING or any(per)}
        one = Traffic(model, 0, total, failed, {})
        if s.retries:  # every request's final attempt, and the first attempts that failed and were retried
            one.attempts = {OK: one.ok, **{st: list(per) for st, per in failed.items()}}
            one.attempts[FAILING] = [a + r for a, r in zip(one.attempts[FAILING], retried, strict=True)]
        out.append(one)
    if s.second_model_from is not None:
        first = out[0]
        out.append(Traffic(SECOND, s.second_model_from, first.total, first.failed, first.attempts))
    return out


def slo_bad(s: Scenario, excluded: tuple[str, ...]) -> list[float]:
    """Requests a minute that burn the availability SLO's budget, every model together (index 0: minute 0)."""
    out: list[float] = []
    for one in traffic(s):
        counted = [per for st, per in one.failed.items() if st not in excluded]
        for t, bad in enumerate(zip(*counted, strict=True)):
            if t >= len(out):
                out.append(0.0)
            out[t] += sum(bad) if t >= one.start else 0.0
    return out


def _values(s: Scenario, per_minute: list[float], start: int = 0) -> str:
    """promtool values for a counter: resets at restarts, blanks where Prometheus holds no sample."""
    out, count = [], per_minute[1] * s.counted_before if len(per_minute) > 1 else 0.0
    for t, inc in enumerate(per_minute):
        count = 0.0 if t in s.restarts else count + (inc if t >= start else 0.0)
        hidden = t < start or any(a <= t < b for a, b in s.gaps)
        out.append(None if hidden else round(count, 3))
    gone = s.minutes + 1 - len(per_minute)
    return _compress(out) + (f" _x{gone}" if gone > 0 else "")


def _compress(values: list[float | None]) -> str:
    parts, i = [], 0
    while i < len(values):
        j = i
        if values[i] is None:
            while j + 1 < len(values) and values[j + 1] is None:
                j += 1
            parts.append(f"_x{j - i + 1}" if j > i else "_")
        else:
            step = values[i + 1] - values[i] if i + 1 < len(values) and values[i + 1] is not None else 0
            while j + 1 < len(values) and values[j + 1] is not None and abs(values[j + 1] - values[j] - step) < 1e-9:
                j += 1
            parts.append(f"{values[i]:.12g}+{step:.12g}x{j - i}" if j > i else f"{values[i]:.12g}")
        i = j + 1
    return " ".join(parts)


def series(s: Scenario) -> list[dict]:
    """What the reference exporter writes for each model: counters, both histograms, tokens, limits (and attempts)."""
    out = []
    for one in traffic(s):
        model, start, total = one.model, one.start, one.total
        ok, bad = one.ok, one.bad
        dims = f'model="{model}", feature="{FEATURE}"'

        def add(name: str, per_minute: list[float], dims: str = dims, start: int = start) -> None:
            out.append({"series": f"{name}{{{dims}}}", "values": _values(s, per_minute, start)})

        add(REQUESTS, ok, f'{dims}, status_code="{OK}"')
        for status, per in one.failed.items():
            add(REQUESTS, per, f'{dims}, status_code="{status}"')
        add("claude_api_responses_total", ok, f'{dims}, stop_reason="end_turn"')
        # Answers: first token at 0.8s, done in 4s; failures answer in 0.4s with no token.
        for le in ("0.1", "0.25", "0.5", "1", "2", "3", "5", "10", "15", "30", "60", "+Inf"):
            add("claude_api_ttft_seconds_bucket", ok if float(le) >= 0.8 else [0.0] * len(ok), f'{dims}, le="{le}"')
        add("claude_api_ttft_seconds_count", ok)
        add("claude_api_ttft_seconds_sum", [0.8 * n for n in ok])
        for le in ("0.5", "1", "2", "5", "10", "15", "30", "60", "120", "+Inf"):
            per = [(o if float(le) >= 4 else 0.0) + (b if float(le) >= 0.4 else 0.0) for o, b in zip(ok, bad, strict=True)]
            add("claude_api_request_duration_seconds_bucket", per, f'{dims}, le="{le}"')
        add("claude_api_request_duration_seconds_count", total)
        add("claude_api_request_duration_seconds_sum", [4 * o + 0.4 * b for o, b in zip(ok, bad, strict=True)])
        for kind, per_request in (("input", 150), ("output", 30), ("cache_read", 100)):
            add("claude_api_tokens_total", [per_request * n for n in ok], f'{dims}, type="{kind}"')
        for status, per in one.attempts.items():
            add(ATTEMPTS, per, f'{dims}, status_code="{status}"')
        if start == 0:
            # Rate-limit gauges move with every response and stay far from the limit.
            for dimension, limit in (("requests", 4000), ("input_tokens", 400000), ("output_tokens", 80000)):
                remaining = " ".join(str(int(limit * (0.7 if t % 2 else 0.71))) for t in range(len(total)))
                gone = s.minutes + 1 - len(total)
                tail = f" _x{gone}" if gone > 0 else ""
                out.append({"series": f'claude_api_ratelimit_limit{{model="{model}", dimension="{dimension}"}}', "values": f"{limit}x{len(total) - 1}{tail}"})
                out.append({"series": f'claude_api_ratelimit_remaining{{model="{model}", dimension="{dimension}"}}', "values": remaining + tail})
    return out
