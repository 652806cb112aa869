"""An independent model of how the burn-rate alerts behave on minute-by-minute traffic.

It knows nothing of PromQL: a window's error ratio is bad events over all events in the
window, as the SRE Workbook defines it. The generated promtool tests assert only what this
model decides with a margin, so they check the rules against the math, not against themselves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cached_property, lru_cache
from itertools import accumulate
from typing import Literal

from generator.compile.sli_rules import RAW_UP_TO_SECONDS
from generator.resolve import ResolvedSLO
from generator.windows import BurnPair

State = Literal["fire", "silent", "unknown"]

# Windows composed of recorded shorter ones span the same time as a raw rate(); one minute of
# slack covers a piece recorded a step apart.
DERIVED_LAG_MINUTES = 1
RAW_MARGIN = 0.05
DERIVED_MARGIN = 0.10


@dataclass(frozen=True, eq=False)  # one instance per shape (_traffic): identity is equality, and hashing stays O(1)
class Traffic:
    """Events per minute: index i holds what happened in minute (i-1, i]; index 0 is the first sample."""

    total: tuple[int, ...]
    bad: tuple[int, ...]

    @staticmethod
    def of(segments: list[tuple[int, int, int]]) -> Traffic:
        """Build from (minutes, total per minute, bad per minute) segments."""
        return _traffic(tuple(segments))

    @cached_property
    def good(self) -> tuple[int, ...]:
        return tuple(t - b for t, b in zip(self.total, self.bad, strict=True))

    @property
    def minutes(self) -> int:
        return len(self.total) - 1

    @cached_property
    def cumulative(self) -> tuple[tuple[int, ...], tuple[int, ...]]:
        """Counter values at each minute: (total, bad)."""
        return tuple(accumulate(self.total)), tuple(accumulate(self.bad))


@lru_cache(maxsize=1024)  # SLOs of the same shape play the same scenarios: share the traffic and what is cached on it
def _traffic(segments: tuple[tuple[int, int, int], ...]) -> Traffic:
    total, bad = [0], [0]
    for minutes, per_min, bad_per_min in segments:
        total += [per_min] * minutes
        bad += [bad_per_min] * minutes
    return Traffic(tuple(total), tuple(bad))


@lru_cache(maxsize=1024)
def _threshold(pair: BurnPair, budget: Fraction) -> float:
    """The error ratio a pair fires above."""
    return float(pair.bad_share(budget))


@dataclass(frozen=True)
class Shape:
    """What the model and the test scenarios read of an SLO: SLOs of one shape get the same verdicts."""

    budget: Fraction
    min_events: int
    pairs: tuple[BurnPair, ...] = ()

    @staticmethod
    def of(slo: ResolvedSLO) -> Shape:
        return Shape(slo.budget, slo.min_events, slo.pairs)

    def pairs_of(self, severity: str) -> tuple[BurnPair, ...]:
        return tuple(p for p in self.pairs if p.severity == severity)


class Model:
    def __init__(self, slo: ResolvedSLO | Shape, traffic: Traffic) -> None:
        self.slo = slo
        self.traffic = traffic
        self._ct, self._cb = traffic.cumulative

    def _stats(self, t: int, minutes: int) -> tuple[float, float]:
        """(error ratio, bad events as the rules estimate them) for the window ending at t."""
        lo = max(0, t - minutes)
        bad, total = self._cb[t] - self._cb[lo], self._ct[t] - self._ct[lo]
        return (bad / total if total else 0.0), bad

    def states(self, pair: BurnPair) -> tuple[State, ...]:
        """The pair's state at every minute of the traffic; SLOs of the same shape share one computation."""
        return _states(_threshold(pair, self.slo.budget), self.slo.min_events, pair.long_seconds, pair.short_seconds, self.traffic)

    def state(self, pair: BurnPair, t: int) -> State:
        """Whether the pair's alert is certainly firing, certainly silent, or too close to call at minute t."""
        return self._state(_threshold(pair, self.slo.budget), pair.long_seconds, pair.short_seconds, t)

    def _state(self, threshold: float, long_seconds: int, short_seconds: int, t: int) -> State:
        verdicts = set()
        for window in (long_seconds, short_seconds):
            derived = window > RAW_UP_TO_SECONDS
            lag, margin = (DERIVED_LAG_MINUTES, DERIVED_MARGIN) if derived else (0, RAW_MARGIN)
            ratios = [self._stats(t - d, window // 60)[0] for d in range(lag + 1) if t - d >= 1]
            if not ratios:
                return "unknown"
            if min(ratios) > threshold * (1 + margin):
                verdicts.add("fire")
            elif max(ratios) < threshold * (1 - margin):
                verdicts.add("silent")
            else:
                verdicts.add("unknown")
        if self.slo.min_events:
            lag = DERIVED_LAG_MINUTES if long_seconds > RAW_UP_TO_SECONDS else 0
            events = [self._stats(t - d, long_seconds // 60)[1] for d in range(lag + 1) if t - d >= 1]
            if min(events) > self.slo.min_events * 1.2 + 1:
                verdicts.add("fire")
            elif max(events) < self.slo.min_events * 0.8:
                verdicts.add("silent")
            else:
                verdicts.add("unknown")
        if "silent" in verdicts:
            return "silent"
        return "unknown" if "unknown" in verdicts else "fire"


@lru_cache(maxsize=4096)
def _states(threshold: float, min_events: int, long_seconds: int, short_seconds: int, traffic: Traffic) -> tuple[State, ...]:
    model = Model(Shape(Fraction(0), min_events), traffic)
    return tuple(model._state(threshold, long_seconds, short_seconds, t) for t in range(traffic.minutes + 1))


def outage_detection_minutes(slo: ResolvedSLO | Shape, pair: BurnPair) -> float:
    """Whole minutes from the start of a 100% outage (after steady healthy traffic) until the pair fires:
    the first minute a one-minute evaluation sees both windows strictly above the threshold."""
    threshold = float(pair.factor * slo.budget)
    times = []
    for window in (pair.long_seconds, pair.short_seconds):
        lag = DERIVED_LAG_MINUTES / 2 if window > RAW_UP_TO_SECONDS else 0
        times.append(threshold * window / 60 + lag)
    return math.floor(max(times)) + 1
