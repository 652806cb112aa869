from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator import windows

DAY = 86400


@pytest.mark.parametrize(
    ("period", "factors"),
    [
        (30, ["14.4", "6", "3", "1"]),
        (28, ["13.44", "5.6", "2.8", str(Fraction(14, 15))]),
        (7, ["13.44", "3.5", "1.4", "0.98"]),
    ],
)
def test_factors_come_from_the_period(period, factors):
    catalog = windows.catalogs()[period * DAY]
    assert [p.factor for p in catalog.pairs] == [Fraction(f) for f in factors]
    assert [p.severity for p in catalog.pairs] == ["critical", "critical", "warning", "warning"]


def test_30d_matches_the_sre_workbook():
    pairs = windows.catalogs()[30 * DAY].pairs
    assert [(p.long, p.short, p.budget_percent) for p in pairs] == [
        ("1h", "5m", 2), ("6h", "30m", 5), ("1d", "2h", 10), ("3d", "6h", 10)
    ]


@given(st.sampled_from(sorted(windows.catalogs())))
def test_every_catalog_is_well_formed(period):
    catalog = windows.catalogs()[period]
    for pair in catalog.pairs:
        assert pair.short_seconds < pair.long_seconds < period
        # spending the pair's share of budget in the long window is exactly the factor
        assert pair.factor * pair.long_seconds / period == pair.budget_percent / 100
    assert catalog.windows == tuple(sorted(catalog.windows, key=lambda w: windows.parse_seconds(w)))
