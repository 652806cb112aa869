"""Annotated scalar types of the spec: durations, percentages, names, label maps."""

from __future__ import annotations

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
    return value.strip()


def _percent(value: object) -> float:
    """Accept `99.5` or `"99.5%"`; the spec speaks percent everywhere."""
    if isinstance(value, bool):
        raise ValueError("expected a percentage such as 99.5 or '99.5%'")
    if isinstance(value, str):
        text = value.strip().removesuffix("%").strip()
        try:
            return float(text)
        except ValueError:
            raise ValueError(f"{value!r} is not a percentage; write e.g. 99.5 or '99.5%'") from None
    if isinstance(value, int | float):
        return float(value)
    raise ValueError(f"{value!r} is not a percentage; write e.g. 99.5 or '99.5%'")


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
        if not re.match(conv.LABEL_NAME_PATTERN, key) or key.startswith("__"):
            raise ValueError(f"{key!r} is not a Prometheus label name; use letters, digits and '_', not starting with a digit or '__'")
        if key in conv.RESERVED_LABELS:
            raise ValueError(f"label {key!r} is set by slogen itself; pick another name")
    return dict(sorted(value.items()))


def _label_value(value: object) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError("label values must be text")
    return str(value)


Duration = Annotated[str, BeforeValidator(_duration), Field(json_schema_extra={"pattern": r"^(\d+(\.\d+)?(ms|s|m|h|d|w))+$"})]
Percent = Annotated[float, BeforeValidator(_percent)]
Share = Annotated[float, BeforeValidator(_percent), AfterValidator(_share)]  # a part of a whole: strictly between 0% and 100%
Name = Annotated[str, AfterValidator(_name), Field(json_schema_extra={"pattern": conv.NAME_PATTERN})]
LabelValue = Annotated[str, BeforeValidator(_label_value)]
Labels = Annotated[dict[str, LabelValue], AfterValidator(_label_map)]
