"""Multi-window multi-burn-rate catalogs, one per SLO period; the numbers are data, the math is here."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from functools import cache
from pathlib import Path

import yaml

from generator import conventions as conv
from generator.durations import format_duration, parse_seconds


@dataclass(frozen=True)
class BurnPair:
    """Fire when both windows burn faster than `factor` times the sustainable rate."""

    severity: str
    long: str
    short: str
    budget_percent: Fraction
    factor: Fraction

    @property
    def long_seconds(self) -> int:
        return int(parse_seconds(self.long))

    @property
    def short_seconds(self) -> int:
        return int(parse_seconds(self.short))


@dataclass(frozen=True)
class Catalog:
    period: str
    pairs: tuple[BurnPair, ...]

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
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        period = int(parse_seconds(data["period"]))
        pairs = []
        for tier, severity in (("page", conv.SEVERITY_PAGE), ("ticket", conv.SEVERITY_TICKET)):
            for row in data[tier]:
                pct = Fraction(str(row["budget_percent"]))
                long_s = int(parse_seconds(row["long"]))
                pairs.append(BurnPair(severity, row["long"], row["short"], pct, factor(pct, period, long_s)))
        out[period] = Catalog(format_duration(period), tuple(pairs))
    return out


def supported_periods() -> list[str]:
    return [catalogs()[p].period for p in sorted(catalogs())]
