"""SLI recordings: bad and total event rates per window, then their ratio.

Only the windows up to an hour read raw series; longer ones average the 5m recordings, so
Prometheus never re-scans raw series over days. Averaging rates then dividing keeps long
windows traffic-weighted (sum of bad over sum of total), unlike an average of ratios, and a
quiet hour adds zero to both sides instead of a NaN.
"""

from __future__ import annotations

from functools import lru_cache

from generator import conventions as conv
from generator import promql as q
from generator.durations import parse_seconds
from generator.ir import RecordingRule
from generator.promql import Selector
from generator.resolve import HistogramSLI, RatioSLI, ResolvedSLO

# Windows this short read raw counters: no page window (1h, 6h) may lag behind a real outage, or
# slogen would page later than a generator that scans raw series everywhere. Only the ticket tier's
# day-long windows average the 5m recordings, where the big savings are.
RAW_UP_TO_SECONDS = 6 * 3600


def recording_selector(metric: str, slo: ResolvedSLO) -> Selector:
    return _identified(metric, tuple(slo.identity.items()))


@lru_cache(maxsize=1024)  # every rule, test and panel of an SLO reads its recordings by the same few selectors
def _identified(metric: str, identity: tuple[tuple[str, str], ...]) -> Selector:
    return Selector(metric, tuple(q.Matcher(k, "=", v) for k, v in identity))


def raw_error_rate(slo: ResolvedSLO, window: str) -> str:
    sli = slo.sli
    total = q.shape(q.RATE_SUM, sel=sli.total, window=window)
    if isinstance(sli, RatioSLI):
        return q.shape(q.ERRORS_OR_ZERO, errors=q.shape(q.RATE_SUM, sel=sli.bad, window=window), total=total)
    assert isinstance(sli, HistogramSLI)
    return q.shape(q.DIFFERENCE, total=total, good=q.shape(q.RATE_SUM, sel=sli.good, window=window))


def raw_total_rate(slo: ResolvedSLO, window: str) -> str:
    return q.shape(q.RATE_SUM, sel=slo.sli.total, window=window)


def build(slo: ResolvedSLO) -> list[RecordingRule]:
    labels = slo.identity
    rates: list[RecordingRule] = []
    ratios: list[RecordingRule] = []
    for window in slo.windows:
        if parse_seconds(window) <= RAW_UP_TO_SECONDS:
            err, tot = raw_error_rate(slo, window), raw_total_rate(slo, window)
        else:
            err = q.shape(q.WINDOW_AVG, sel=recording_selector(conv.sli_error_rate(conv.RATE_BASE_WINDOW), slo), window=window)
            tot = q.shape(q.WINDOW_AVG, sel=recording_selector(conv.sli_total_rate(conv.RATE_BASE_WINDOW), slo), window=window)
        rates.append(RecordingRule(conv.sli_error_rate(window), err, labels))
        rates.append(RecordingRule(conv.sli_total_rate(window), tot, labels))
        ratio = q.shape(
            q.RATIO,
            errors=recording_selector(conv.sli_error_rate(window), slo),
            total=recording_selector(conv.sli_total_rate(window), slo),
        )
        ratios.append(RecordingRule(conv.sli_error_ratio(window), ratio, labels))
    return rates + ratios
