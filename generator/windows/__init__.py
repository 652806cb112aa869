"""Multi-window multi-burn-rate catalogs, one per SLO period; the numbers are data, the math is here."""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, cached_property, lru_cache
from pathlib import Path

import yaml

from generator import conventions as conv
from generator.durations import format_duration, format_number, parse_seconds
from generator.yamlout import LOADER


@dataclass(frozen=True)
class BurnPair:
    """Fire when both windows burn faster than `factor` times the sustainable rate."""

    severity: str
    long: str
    short: str
    budget_percent: Fraction
    factor: Fraction
    tier: str  # very-fast, fast or slow within its severity: the `burnrate_tier` label

    def __hash__(self) -> int:
        return self._hash

    @cached_property
    def _hash(self) -> int:  # pairs key the tests' and the burn model's caches: hashing Fractions each time showed up
        return hash((self.severity, self.long, self.short, self.budget_percent, self.factor, self.tier))

    def bad_share(self, budget: Fraction) -> Fraction:
        return self.factor * budget

    # As text for annotations and runbooks, written once per pair rather than once per SLO that has it.
    @cached_property
    def factor_text(self) -> str:
        return format_number(float(self.factor))

    @cached_property
    def percent_text(self) -> str:
        """The share of the budget the long window spends at the threshold, to two decimals."""
        return format_number(round(float(self.budget_percent), 2))

    def outage_seconds(self, budget: Fraction) -> Fraction:
        """Rule time from the start of a total outage until both windows exceed the threshold."""
        return self.bad_share(budget) * max(self.long_seconds, self.short_seconds)

    @cached_property
    def long_seconds(self) -> int:
        return int(parse_seconds(self.long))

    @cached_property
    def short_seconds(self) -> int:
        return int(parse_seconds(self.short))


@dataclass(frozen=True)
class VeryFast:
    """How to derive the very-fast page tier of one SLO: the first window pair whose threshold,
    spending `budget_percent` of the budget, lies in [min_bad_share, max_bad_share] once raised to the floor."""

    budget_percent: Fraction
    min_bad_share: Fraction
    max_bad_share: Fraction
    windows: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Catalog:
    period: str
    pairs: tuple[BurnPair, ...]
    very_fast: VeryFast | None = None

    @property
    def windows(self) -> tuple[str, ...]:
        """Every window an alert reads, shortest first."""
        names = {w for p in self.pairs for w in (p.long, p.short)}
        return tuple(sorted(names, key=parse_seconds))


def factor(budget_percent: Fraction, period_seconds: int, long_seconds: int) -> Fraction:
    """Burn rate that spends `budget_percent` of the period's budget in the long window."""
    return budget_percent / 100 * Fraction(period_seconds, long_seconds)


@cache
def catalogs() -> dict[int, Catalog]:
    """Built-in catalogs keyed by period in seconds."""
    out = {}
    for path in sorted(Path(__file__).parent.glob("*.yaml")):
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=LOADER)
        period = int(parse_seconds(data["period"]))
        pairs = []
        for tier, severity in (("page", conv.SEVERITY_PAGE), ("ticket", conv.SEVERITY_TICKET)):
            for row in data[tier]:
                pct = Fraction(str(row["budget_percent"]))
                long_s = int(parse_seconds(row["long"]))
                pairs.append(BurnPair(severity, row["long"], row["short"], pct, factor(pct, period, long_s), row["tier"]))
        vf = data.get("very_fast")
        very_fast = None
        if vf is not None:
            very_fast = VeryFast(
                Fraction(str(vf["budget_percent"])), Fraction(str(vf["min_bad_share"])), Fraction(str(vf["max_bad_share"])),
                tuple((w["long"], w["short"]) for w in vf["windows"]),
            )
        out[period] = Catalog(format_duration(period), tuple(pairs), very_fast)
    return out


@lru_cache(maxsize=256)  # SLOs share a few objectives: one pair object each, which keys later caches
def very_fast_pair(catalog: Catalog, budget: Fraction, scrape_seconds: float, pages: tuple[BurnPair, ...]) -> BurnPair | None:
    """The very-fast page pair for an SLO with this budget, or None where the Workbook's pages are as fast.

    The threshold follows from the budget share (the same arithmetic as every pair), raised to the
    floor so that short blips never page; a window shorter than four scrapes is lengthened, since
    one missed scrape would empty it."""
    vf = catalog.very_fast
    if vf is None:
        return None
    period = int(parse_seconds(catalog.period))
    fastest = min((p.outage_seconds(budget) for p in pages if p.bad_share(budget) < 1), default=None)
    for long, short in vf.windows:
        long_s = int(parse_seconds(long))
        short_s = max(int(parse_seconds(short)), math.ceil(conv.MIN_SCRAPES * scrape_seconds))
        if short_s >= long_s:
            continue
        share = max(factor(vf.budget_percent, period, long_s) * budget, vf.min_bad_share)
        if share > vf.max_bad_share:
            continue
        pair = BurnPair(conv.SEVERITY_PAGE, long, format_duration(short_s), share / budget * long_s / period * 100, share / budget, conv.TIER_VERY_FAST)
        return pair if fastest is None or pair.outage_seconds(budget) < fastest else None
    return None


def supported_periods() -> list[str]:
    return [catalogs()[p].period for p in sorted(catalogs())]
