import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.durations import format_duration, format_number, parse_seconds


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("30d", 2592000), ("5m", 300), ("1h30m", 5400), ("2.5s", 2.5), ("500ms", 0.5), ("1w", 604800)],
)
def test_parse_reads_prometheus_durations(text, seconds):
    assert parse_seconds(text) == seconds


@pytest.mark.parametrize("text", ["13x", "", "5 minutes", "-1h", "1.h", "d"])
def test_parse_refuses_anything_else_with_examples(text):
    with pytest.raises(ValueError, match="e.g. 30d"):
        parse_seconds(text)


@pytest.mark.parametrize(("seconds", "text"), [(300, "5m"), (86400, "1d"), (5400, "1h30m"), (2419200, "28d")])
def test_format_uses_the_largest_exact_units(seconds, text):
    assert format_duration(seconds) == text


@given(st.integers(min_value=1, max_value=10**8))
def test_format_then_parse_round_trips(seconds):
    assert parse_seconds(format_duration(seconds)) == seconds


def test_numbers_carry_no_float_artifacts():
    assert format_number(3.0) == "3"
    assert format_number(0.25) == "0.25"
    assert format_number(14.4) == "14.4"
