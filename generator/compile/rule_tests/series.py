"""Traffic -> promtool input series in the exporter's names, labels and status spellings."""

from __future__ import annotations

from functools import lru_cache

from generator import promql as q
from generator.burnmodel import Traffic
from generator.compile.rule_tests.scenarios import ScenarioError
from generator.durations import format_number, parse_seconds
from generator.ir import Series
from generator.profiles import Profile
from generator.resolve import HistogramSLI, RatioSLI, ResolvedService, ResolvedSLO


@lru_cache(maxsize=256)  # every SLO of a spec plays the same traffic
def counter_values(increments: tuple[int, ...], ends_at: int | None = None) -> str:
    """promtool's expanding notation for a counter: runs of equal steps become `start+stepxN`."""
    values = []
    total = 0
    for inc in increments:
        total += inc
        values.append(total)
    if ends_at is not None:
        values = values[: ends_at + 1]
    parts, i = [], 0
    while i < len(values):
        j = i
        step = values[i + 1] - values[i] if i + 1 < len(values) else 0
        while j + 1 < len(values) and values[j + 1] - values[j] == step:
            j += 1
        parts.append(f"{values[i]}+{step}x{j - i}" if j > i else f"{values[i]}")
        i = j + 1
    return " ".join(parts)


def render_series(metric: str, labels: dict[str, str]) -> str:
    return q.series(q.Selector(metric), labels)


def status_values(slo: ResolvedSLO, profile: Profile) -> tuple[str, str, str | None]:
    """A good status, a bad status and an excluded one (if any), as the SLI classifies them."""
    sli = slo.sli
    assert isinstance(sli, RatioSLI)
    status = status_label(profile)
    # The exporter's spelling of these statuses, then the statuses as written (a user's good_status may name either).
    codes = ["200", "201", "204", "500", "502", "503", "529", "429", "timeout", "400", "404"]
    spelled = tuple(dict.fromkeys([*map(profile.outcome.spell, codes), *codes, "ok", "error"]))
    good, bad, excluded = _classify(sli.total, sli.bad, status, spelled)
    if good is None or bad is None:
        raise ScenarioError(f"SLO {slo.name}: cannot pick status values for tests from its status matchers {sli.bad}")
    return good, bad, excluded


@lru_cache(maxsize=256)  # SLOs of a spec share a few status matchers; the regular expressions are the cost
def _classify(total: q.Selector, bad: q.Selector, status: str, spelled: tuple[str, ...]) -> tuple[str | None, str | None, str | None]:
    counted = [c for c in spelled if total.admits(status, c)]
    return (
        next((c for c in counted if not bad.admits(status, c)), None),
        next((c for c in counted if bad.admits(status, c)), None),
        next((c for c in spelled if not total.admits(status, c)), None),
    )


def status_label(profile: Profile) -> str:
    label = profile.label("requests", "status")
    assert label is not None  # resolve refuses an availability SLO without one
    return label


def dims_of(profile: Profile, model: str, feature: str) -> dict[str | None, str]:
    return {profile.label("requests", "model"): model, profile.label("requests", "feature"): feature}


def series_of(service: ResolvedService, slo: ResolvedSLO, traffic: Traffic, ends_at: int | None = None) -> tuple[Series, ...]:
    profile = service.profile
    dims = tuple(dims_of(profile, "claude-sonnet-4-6", "chat").items())
    sli = slo.sli
    if isinstance(sli, RatioSLI):
        good, bad, _ = status_values(slo, profile)
        return _ratio_series(sli.total, dims, status_label(profile), good, bad, traffic, ends_at)
    assert isinstance(sli, HistogramSLI)
    return _histogram_series(sli.total, sli.good.metric, sli.threshold, dims, traffic, ends_at)


@lru_cache(maxsize=1024)  # SLOs of one shape read the same series: build them once
def _ratio_series(
    total: q.Selector, dims: tuple, status: str, good: str, bad: str, traffic: Traffic, ends_at: int | None
) -> tuple[Series, ...]:
    return (
        Series(q.series(total, {**dict(dims), status: good}), counter_values(traffic.good, ends_at)),
        Series(q.series(total, {**dict(dims), status: bad}), counter_values(traffic.bad, ends_at)),
    )


@lru_cache(maxsize=1024)
def _histogram_series(total: q.Selector, good_metric: str, threshold: str, dims: tuple, traffic: Traffic, ends_at: int | None) -> tuple[Series, ...]:
    le = format_number(parse_seconds(threshold))
    buckets = total.renamed(good_metric)
    return (
        Series(q.series(buckets, {**dict(dims), "le": le}), counter_values(traffic.good, ends_at)),
        Series(q.series(buckets, {**dict(dims), "le": "+Inf"}), counter_values(traffic.total, ends_at)),
        Series(q.series(total, dict(dims)), counter_values(traffic.total, ends_at)),
    )
