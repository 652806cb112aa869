"""SLI recordings: bad and total event rates per window, then their ratio.

Windows up to an hour read raw series. A longer window is the mean of consecutive shorter
windows that end now, each already recorded (6h is three 2h rates, 2h two 1h rates, 30d ten 3d
rates), read with `offset`: the same span as a raw rate(), with no lag, from a handful of samples
instead of days of raw ones. Averaging rates then dividing keeps long windows traffic-weighted
(sum of bad over sum of total), unlike an average of ratios. A piece from before the data began
(a new service, a Prometheus that lost its history) counts as zero on both sides: the ratio covers
what exists and the window's event count is not overstated.
"""

from __future__ import annotations

from functools import lru_cache

from generator import conventions as conv
from generator import promql as q
from generator.durations import format_duration, parse_seconds
from generator.ir import RecordingRule
from generator.resolve import HistogramSLI, RatioSLI, ResolvedSLO, SLIQuery

RAW_UP_TO_SECONDS = 3600


def recording_selector(metric: str, slo: ResolvedSLO) -> str:
    """One of the SLO's own recordings."""
    return recorded(metric, slo.identity_matchers)


def recorded(metric: str, identity_matchers: str) -> str:
    # slogen's own recording names never need quoting: a plain concatenation, tens of thousands per large spec.
    return metric + identity_matchers


Grouping = tuple[tuple[str, str], ...]  # (slogen's label, the exporter's) per group label; empty: service-wide


def _rate(sel: q.Selector, window: str, by: Grouping) -> str:
    """The window's rate summed over the service, or per group. A group label the exporter spells its
    own way is copied to slogen's name before the sum, so per-group series and alerts carry one label."""
    if not by:
        return q.shape(q.RATE_SUM, sel=sel, window=window)
    expr = f"rate({sel}[{window}])"
    for name, actual in by:
        if actual != name:
            expr = f'label_replace({expr}, {q.string(name)}, "$1", {q.string(actual)}, "(.*)")'
    return f"sum by ({q.by_clause(*(name for name, _ in by))}) ({expr})"


def raw_error_rate(sli: SLIQuery, window: str, by: Grouping = ()) -> str:
    total = _rate(sli.total, window, by)
    if isinstance(sli, RatioSLI):
        return q.shape(q.ERRORS_OR_ZERO, errors=_rate(sli.bad, window, by), total=total)
    assert isinstance(sli, HistogramSLI)
    return q.shape(q.DIFFERENCE, total=total, good=_rate(sli.good, window, by))


def raw_total_rate(sli: SLIQuery, window: str, by: Grouping = ()) -> str:
    return _rate(sli.total, window, by)


def composed_rate(metric: str, identity: str, window: str, piece: str) -> str:
    """The window's mean rate from consecutive `piece` windows ending now, a missing one as zero."""
    sel = recorded(metric, identity)
    n = int(parse_seconds(window) // parse_seconds(piece))
    step = int(parse_seconds(piece))
    terms = [str(sel)] + [q.shape(q.PIECE, sel=sel, offset=format_duration(k * step)) for k in range(1, n)]
    return q.shape(q.COMPOSED, terms="\n+ ".join(terms), n=n)


def piece_of(window: str, shorter: list[str]) -> str | None:
    """The longest recorded window above the raw limit's base that divides `window`, if any."""
    seconds = parse_seconds(window)
    fits = [w for w in shorter if parse_seconds(w) >= RAW_UP_TO_SECONDS and seconds % parse_seconds(w) == 0]
    return max(fits, key=parse_seconds, default=None)


def build(slo: ResolvedSLO) -> list[RecordingRule]:
    labels, identity = slo.identity, slo.identity_matchers
    return [RecordingRule(record, q.filled(expr, identity), labels) for record, expr in _shaped(slo.sli, slo.windows)]


def build_grouped(slo: ResolvedSLO) -> list[RecordingRule]:
    """The same recordings per value of the SLO's group labels, under the group level's names; none when ungrouped."""
    if not slo.group_by:
        return []
    labels, identity = slo.identity, slo.identity_matchers
    return [RecordingRule(record, q.filled(expr, identity), labels) for record, expr in _shaped(slo.sli, slo.group_windows, slo.group_by)]


@lru_cache(maxsize=256)  # SLOs reading one SLI over the same windows differ only by their identity
def _shaped(sli: SLIQuery, windows: tuple[str, ...], by: Grouping = ()) -> tuple[tuple[str, str], ...]:
    """(record, expression) of every recording, the SLO's identity matchers left as `q.IDENTITY`."""
    identity, grouped = q.IDENTITY, bool(by)
    rates: list[tuple[str, str]] = []
    ratios: list[tuple[str, str]] = []
    done: list[str] = []
    for window in windows:
        piece = piece_of(window, done) if parse_seconds(window) > RAW_UP_TO_SECONDS else None
        if piece is None:
            err, tot = q.fixed(raw_error_rate(sli, window, by)), q.fixed(raw_total_rate(sli, window, by))
        else:
            err = composed_rate(conv.sli_error_rate(piece, grouped), identity, window, piece)
            tot = composed_rate(conv.sli_total_rate(piece, grouped), identity, window, piece)
        done.append(window)
        rates.append((conv.sli_error_rate(window, grouped), err))
        rates.append((conv.sli_total_rate(window, grouped), tot))
        ratio = q.shape(
            q.RATIO, errors=recorded(conv.sli_error_rate(window, grouped), identity), total=recorded(conv.sli_total_rate(window, grouped), identity)
        )
        ratios.append((conv.sli_error_ratio(window, grouped), ratio))
    return tuple(rates + ratios)
