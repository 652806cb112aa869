"""Annotated scalar types of the spec: durations, percentages, names, label maps."""

from __future__ import annotations

import math
import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from generator import conventions as conv
from generator.durations import parse_seconds


def _duration(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str):
        raise ValueError(f"{value!r} is not a duration; write it as text with a unit, e.g. 30d, 5m, 2.5s")
    seconds = parse_seconds(value)
    if seconds <= 0:
        raise ValueError(f"{value!r} must be longer than zero")
    if seconds > MAX_SECONDS:
        raise ValueError(f"{value!r} is longer than 5 years, past what Prometheus and Alertmanager read; use a shorter duration")
    return value.strip()


MAX_SECONDS = 5 * 365 * 86400
# No amount, price or factor of a real service comes near this; past it products overflow to inf.
MAX_NUMBER = 1e12


def bounded(value: float) -> float:
    """Every number of the spec: finite (pydantic refuses .nan and .inf) and within sane bounds."""
    if abs(value) > MAX_NUMBER:
        raise ValueError(f"{value:g} is too large; numbers in the spec stay below {MAX_NUMBER:g}")
    return value


def _percent(value: object) -> float:
    """Accept `99.5` or `"99.5%"`; the spec speaks percent everywhere."""
    if isinstance(value, bool):
        raise ValueError("expected a percentage such as 99.5 or '99.5%'")
    if isinstance(value, str):
        text = value.strip().removesuffix("%").strip()
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{value[:40]!r} is not a percentage; write e.g. 99.5 or '99.5%'") from None
    elif isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
    else:
        raise ValueError(f"{str(value)[:40]!r} is not a percentage; write e.g. 99.5 or '99.5%'")
    if not math.isfinite(number) or not 0 <= number <= 10_000:
        raise ValueError(f"{str(value)[:40]!r} is not a percentage from 0 to 10000; write e.g. 99.5 or '99.5%'")
    return number


def _share(value: float) -> float:
    if not 0 < value < 100:
        raise ValueError(f"{value:g}% must be above 0 and below 100")
    return value


def _name(value: str) -> str:
    if not re.match(conv.NAME_PATTERN, value):
        raise ValueError(f"{value!r} is not a valid name: {conv.NAME_HINT}")
    return value


def _label_map(value: dict[str, str]) -> dict[str, str]:
    for key in value:
        _label_name(key)
        if key in conv.RESERVED_LABELS:
            raise ValueError(f"label {key!r} is set by slogen itself; pick another name")
    return dict(sorted(value.items()))


def _label_value(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("label values must be text")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value!r} is not a label value; quote it if you mean the text")
    if len(str(value)) > MAX_LABEL_VALUE:
        raise ValueError(f"a label value of {len(str(value))} characters; keep label values under {MAX_LABEL_VALUE} (they are copied into every series and alert)")
    return str(value)


MAX_LABEL_VALUE = 1024
MAX_TEXT = 4096  # a description is shown in alerts and runbooks; it is copied into every alert of the SLO


def _label_name(value: str) -> str:
    if not re.match(conv.LABEL_NAME_PATTERN, value) or value.startswith("__"):
        raise ValueError(f"{value[:60]!r} is not a Prometheus label name; use letters, digits and '_', not starting with a digit or '__'")
    return value


def _text(value: str) -> str:
    if len(value) > MAX_TEXT:
        raise ValueError(f"{len(value):,} characters; keep it under {MAX_TEXT:,} (it is copied into every alert): put the rest in your own docs and link them")
    return value


Duration = Annotated[str, BeforeValidator(_duration), Field(json_schema_extra={"pattern": r"^(\d+(\.\d+)?(ms|s|m|h|d|w))+$"})]
Percent = Annotated[float, BeforeValidator(_percent)]
Share = Annotated[float, BeforeValidator(_percent), AfterValidator(_share)]  # a part of a whole: strictly between 0% and 100%
Name = Annotated[str, AfterValidator(_name), Field(json_schema_extra={"pattern": conv.NAME_PATTERN})]
LabelValue = Annotated[str, BeforeValidator(_label_value)]
LabelName = Annotated[str, AfterValidator(_label_name)]
Number = Annotated[float, AfterValidator(bounded)]
Text = Annotated[str, AfterValidator(_text)]
Labels = Annotated[dict[str, LabelValue], AfterValidator(_label_map)]
