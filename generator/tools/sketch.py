"""Bounded summaries for `slogen report`: percentiles and the top N of a stream of any length.

`Quantiles` is a fixed log-bucket histogram (the DDSketch mapping, Masson et al., VLDB 2019): bucket i holds
the values in (γ^(i-1), γ^i] with γ = (1+α)/(1-α), and a percentile answers its bucket's representative
2γ^i/(γ+1), which is within a relative α of every value in that bucket, so within α (1%) of the exact
nearest-rank percentile, a value some call really had. From MIN to MAX milliseconds there are at most about
1,400 buckets, whatever the number of values; the buckets are kept sparse, so latencies spread over three
decades use about 350. The exact minimum and maximum are kept beside them, and an answer is clamped between
the two, which only brings it closer.
"""

from __future__ import annotations

import heapq
import math
from typing import Any

ALPHA = 0.01  # relative error of a percentile
GAMMA = (1 + ALPHA) / (1 - ALPHA)
_LOG_GAMMA = math.log(GAMMA)
MIN, MAX = 1e-3, 1e9  # milliseconds: a microsecond to eleven days; below MIN counts as MIN, above is refused upstream
_ZERO = math.ceil(math.log(MIN) / _LOG_GAMMA) - 1  # the bucket of everything at or below MIN


class Quantiles:
    __slots__ = ("buckets", "count", "low", "high")

    def __init__(self) -> None:
        self.buckets: dict[int, int] = {}
        self.count = 0
        self.low = math.inf
        self.high = -math.inf

    def add(self, value: float) -> None:
        index = math.ceil(math.log(value) / _LOG_GAMMA) if value > MIN else _ZERO
        self.buckets[index] = self.buckets.get(index, 0) + 1
        self.count += 1
        if value < self.low:
            self.low = value
        if value > self.high:
            self.high = value

    def percentile(self, p: float) -> float | None:
        """Nearest rank (the smallest value with at least p% of values at or below it), to within ALPHA."""
        if not self.count:
            return None
        rank = max(1, math.ceil(p / 100 * self.count))
        seen = 0
        for index in sorted(self.buckets):
            seen += self.buckets[index]
            if seen >= rank:
                value = MIN if index == _ZERO else 2 * GAMMA**index / (GAMMA + 1)
                return min(max(value, self.low), self.high)
        return self.high  # unreachable: the counts add up to count

    def maximum(self) -> float | None:
        return self.high if self.count else None


class TopN:
    """The n entries with the largest keys seen so far, in a heap of n: ties keep the entry seen first."""

    def __init__(self, n: int) -> None:
        self.n = n
        self._heap: list[tuple[float, int, Any]] = []
        self._seen = 0

    def offer(self, key: float, make: Any) -> None:
        """`make()` builds the entry only when it gets in, so most lines cost one comparison."""
        if self.n <= 0:
            return
        self._seen += 1
        heap = self._heap
        if len(heap) < self.n:
            heapq.heappush(heap, (key, -self._seen, make()))
        elif key > heap[0][0]:
            heapq.heapreplace(heap, (key, -self._seen, make()))

    def largest(self) -> list[Any]:
        return [entry for _, _, entry in sorted(self._heap, key=lambda e: (-e[0], -e[1]))]
