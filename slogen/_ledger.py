"""The prometheus-client profile's series as plain numbers under one lock, read out as metric families when scraped.

A finished call adds about ten values (its request, its attempts, two histograms, tokens by type, cost, stop
reason, rate limits). As prometheus_client metrics that is ten locked updates, each several Python calls deep, and
in a real call, where the caches are cold after the SDK's own work, it was about half of slogen's time per call.
Here a call is one row appended under one lock, and the rows are added to plain dicts in batches (and before every
scrape); the registry still sees ordinary counters, histograms and gauges, with the profile's names, labels and
buckets and the trace id as each bucket's exemplar."""

from __future__ import annotations

import math
import threading
import time
from bisect import bisect_left
from collections import Counter as Tally
from collections.abc import Iterator, Mapping
from typing import Any

from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.samples import Exemplar
from prometheus_client.utils import floatToGoString

from generator.profiles import PROMETHEUS_CLIENT as PROFILE

_S, _L = PROFILE.signals, PROFILE.labels
_MF = (_L["model"], _L["feature"])
_DIMENSIONS = ("requests", "tokens", "input_tokens", "output_tokens")  # the rate-limit gauges' dimension label
# (signal, help, label beside model and feature) of each counter, in the order they are exposed
_COUNTERS = (
    ("requests", "Finished LLM API calls, by final outcome.", _L["status"]),
    ("attempts", "HTTP attempts of LLM API calls (retries included), by status.", _L["status"]),
    ("tokens", "Tokens by type.", _L["token_type"]),
    ("cost", "Spend in USD.", None),
    ("responses", "Responses by stop reason.", _L["stop_reason"]),
)
_HISTOGRAMS = (("ttft", "Time to the first streamed token."), ("duration", "Total call time."))
# (kind, as ratelimits names it; signal; help)
_GAUGES = (
    ("limit", "ratelimit_limit", "Rate limit, from the provider's headers."),
    ("remaining", "ratelimit_remaining", "Rate limit left, from the provider's headers."),
)


class _Histogram:
    __slots__ = ("counts", "sum", "exemplars")

    def __init__(self, size: int) -> None:
        self.counts = [0] * size
        self.sum = 0.0
        self.exemplars: list[Exemplar | None] = [None] * size

    def copy(self) -> _Histogram:
        twin = _Histogram(0)
        twin.counts, twin.sum, twin.exemplars = list(self.counts), self.sum, list(self.exemplars)
        return twin


# Calls kept as they came before they are added to the series: added in a batch, the series' dicts and this code
# stay in the caches, where one call at a time finds them cold after the SDK's own work (about 3x dearer). A scrape
# adds whatever is waiting first, so it always sees every finished call.
BATCH = 64

# header -> (dimension, limit|remaining): Anthropic's, then the OpenAI-compatible spelling
_HEADERS = (
    *((f"anthropic-ratelimit-{d.replace('_', '-')}-{kind}", d, kind) for d in _DIMENSIONS for kind in ("limit", "remaining")),
    *((f"x-ratelimit-{kind}-{d}", d, kind) for d in ("requests", "tokens") for kind in ("limit", "remaining")),
)


def ratelimits(headers: dict[str, str]) -> list[tuple[str, str, float]]:
    """(dimension, limit|remaining, value) from a response's rate-limit headers."""
    parsed = []
    for name, dim, kind in _HEADERS:
        value = headers.get(name)
        if value is not None:
            try:
                parsed.append((dim, kind, float(value)))
            except ValueError:
                continue
    return parsed


class Ledger:
    """A prometheus_client collector: register it on a registry, `add` each finished call."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: list[tuple] = []
        # by signal; the gauges by kind
        self.series: dict[str, dict[tuple, Any]] = {name: {} for name, *_ in (*_COUNTERS, *_HISTOGRAMS, *_GAUGES)}
        self._bounds = {name: tuple(b for b in _S[name].buckets if not math.isinf(b)) for name, _ in _HISTOGRAMS}

    def add(self, model: str, feature: str, status: str, attempts: list[str], seconds: float, ttft: float | None,
            trace: tuple[str, str] | None, tokens: dict[str, int] | None, cost: float | None, stop_reason: str,
            headers: Mapping[str, str] | None) -> None:
        """One finished call (its lists and dicts are not changed after): kept, and added with the next batch."""
        row = (model, feature, status, attempts, seconds, ttft, trace, time.time() if trace is not None else 0.0, tokens, cost, stop_reason, headers)
        with self._lock:
            waiting = self._waiting
            waiting.append(row)
            if len(waiting) >= BATCH:
                self._add_waiting()

    def _add_waiting(self) -> None:
        """Under the lock."""
        s, latest = self.series, {}
        for model, feature, status, attempts, seconds, ttft, trace, now, tokens, cost, stop_reason, headers in self._waiting:
            _inc(s["requests"], (model, feature, status), 1)
            if len(attempts) == 1:  # nearly every call: no tally to build
                _inc(s["attempts"], (model, feature, attempts[0]), 1)
            else:
                for attempt, n in Tally(attempts).items():
                    _inc(s["attempts"], (model, feature, attempt), n)
            exemplar = {"trace_id": trace[0], "span_id": trace[1]} if trace is not None else None
            self._observe("duration", (model, feature), seconds, exemplar, now)
            if ttft is not None:
                self._observe("ttft", (model, feature), ttft, exemplar, now)
            if tokens:
                for kind, n in tokens.items():
                    _inc(s["tokens"], (model, feature, kind), n)
            if cost:
                _inc(s["cost"], (model, feature), cost)
            if stop_reason:
                _inc(s["responses"], (model, feature, stop_reason), 1)
            if headers:
                merged = latest.get(model)
                if merged is None:
                    merged = latest[model] = {}
                merged.update(headers.items())  # only each header's last value is read, once a batch
        for model, headers in latest.items():
            for dim, kind, value in ratelimits(headers):
                s[kind][(model, dim)] = value
        self._waiting = []

    def _observe(self, name: str, key: tuple, value: float, trace: dict[str, str] | None, now: float) -> None:
        bounds = self._bounds[name]
        histogram = self.series[name].get(key)
        if histogram is None:
            histogram = self.series[name][key] = _Histogram(len(bounds) + 1)
        i = bisect_left(bounds, value)  # the first bucket whose upper bound (le) is >= value; past them all, +Inf
        histogram.counts[i] += 1
        histogram.sum += value
        if trace is not None:
            histogram.exemplars[i] = Exemplar(trace, value, now)

    def describe(self) -> Iterator[Metric]:
        """The families without samples: the registry checks their names against twins."""
        return self._families({name: {} for name in self.series})

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            self._add_waiting()
            snapshot = {
                name: {k: (v.copy() if isinstance(v, _Histogram) else v) for k, v in values.items()} for name, values in self.series.items()
            }
        return self._families(snapshot)

    def _families(self, snapshot: dict[str, dict[tuple, Any]]) -> Iterator[Metric]:
        for name, doc, label in _COUNTERS:
            family = CounterMetricFamily(_S[name].metric, doc, labels=(*_MF, label) if label else _MF)
            for key, value in sorted(snapshot[name].items()):
                family.add_metric(key, value)
            yield family
        for name, doc in _HISTOGRAMS:
            family = HistogramMetricFamily(_S[name].metric, doc, labels=_MF)
            les = [floatToGoString(b) for b in self._bounds[name]] + ["+Inf"]
            for key, histogram in sorted(snapshot[name].items()):
                running, buckets = 0, []
                for le, n, exemplar in zip(les, histogram.counts, histogram.exemplars):
                    running += n
                    buckets.append((le, running, exemplar) if exemplar is not None else (le, running))
                family.add_metric(key, buckets, histogram.sum)
            yield family
        for name, signal, doc in _GAUGES:
            family = GaugeMetricFamily(_S[signal].metric, doc, labels=(_L["model"], _L["dimension"]))
            for key, value in sorted(snapshot[name].items()):
                family.add_metric(key, value)
            yield family


def _inc(values: dict[tuple, float], key: tuple, n: float) -> None:
    values[key] = values.get(key, 0) + n
