"""Report ranges as calendars have them: a month, a quarter or two dates, in a time zone. Pure.

A month is its own length (28 to 31 days, 23 or 25 hours more or less across a change of clocks),
never a rolling 30 days; the range is [start, end) in the zone, held as aware datetimes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from generator.errors import SlogenError


class RangeError(SlogenError):
    exit_code = 2


@dataclass(frozen=True)
class Range:
    start: datetime
    end: datetime
    label: str
    zone: str
    months: int | None  # whole calendar months it spans, when it is a month or a quarter

    @property
    def seconds(self) -> int:
        # Not end - start: Python subtracts datetimes of one zone on the wall clock, blind to a change of clocks.
        return round(self.end.timestamp() - self.start.timestamp())

    def days(self) -> list[tuple[date, datetime, datetime]]:
        """(day, its start, its end) for each calendar day of the range, in the zone."""
        tz, out = self.start.tzinfo, []
        day = self.start.date()
        while True:
            begin = datetime(day.year, day.month, day.day, tzinfo=tz)
            if begin >= self.end:
                return out
            after = day + timedelta(days=1)
            out.append((day, max(begin, self.start), min(datetime(after.year, after.month, after.day, tzinfo=tz), self.end)))
            day = after

    def clipped(self, now: datetime) -> Range:
        """The part of the range already past at `now` (a report on the month in progress)."""
        if self.end <= now:
            return self
        if now <= self.start:
            raise RangeError(f"{self.label} has not begun yet (it starts {self.start.isoformat()}); pick a range in the past")
        return Range(self.start, now, f"{self.label} (to {now.strftime('%Y-%m-%d %H:%M')}, in progress)", self.zone, self.months)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise RangeError(f"--tz {name!r}: not a time zone; use an IANA name such as UTC or Europe/Paris") from None


def _first(year: int, month: int, tz: ZoneInfo) -> datetime:
    year, month = year + (month - 1) // 12, (month - 1) % 12 + 1
    return datetime(year, month, 1, tzinfo=tz)


def month_range(text: str, tz_name: str = "UTC") -> Range:
    m = re.fullmatch(r"(\d{4})-(\d{2})", text.strip())
    if not m or not 1 <= int(m.group(2)) <= 12:
        raise RangeError(f"--month {text!r}: write it as YYYY-MM, e.g. 2026-11")
    tz, year, month = zone(tz_name), int(m.group(1)), int(m.group(2))
    return Range(_first(year, month, tz), _first(year, month + 1, tz), f"{year:04d}-{month:02d}", tz_name, 1)


def quarter_range(text: str, tz_name: str = "UTC") -> Range:
    m = re.fullmatch(r"(\d{4})-[Qq]([1-4])", text.strip())
    if not m:
        raise RangeError(f"--quarter {text!r}: write it as YYYY-QN, e.g. 2026-Q4")
    tz, year, q = zone(tz_name), int(m.group(1)), int(m.group(2))
    first = 3 * (q - 1) + 1
    return Range(_first(year, first, tz), _first(year, first + 3, tz), f"{year:04d}-Q{q}", tz_name, 3)


def _when(text: str, flag: str, tz: ZoneInfo) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise RangeError(f"{flag} {text!r}: write a date (2026-11-01) or a date and time (2026-11-01T12:00)") from None
    return value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)


def explicit_range(start: str, end: str, tz_name: str = "UTC") -> Range:
    """--from/--to: `--to` is exclusive (a date means its midnight: --to 2026-12-01 ends with November)."""
    tz = zone(tz_name)
    begin, finish = _when(start, "--from", tz), _when(end, "--to", tz)
    if finish <= begin:
        raise RangeError(f"--to {end!r} is not after --from {start!r}; the range is [from, to)")
    return Range(begin, finish, f"{begin.isoformat()} to {finish.isoformat()}", tz_name, None)


def choose(month: str | None, quarter: str | None, start: str | None, end: str | None, tz_name: str) -> Range:
    given = [name for name, value in (("--month", month), ("--quarter", quarter), ("--from/--to", start or end)) if value]
    if len(given) != 1:
        raise RangeError("give exactly one of --month YYYY-MM, --quarter YYYY-QN, or --from and --to" + (f" (got {', '.join(given)})" if given else ""))
    if month:
        return month_range(month, tz_name)
    if quarter:
        return quarter_range(quarter, tz_name)
    if not (start and end):
        raise RangeError("--from and --to go together: give both")
    return explicit_range(start, end, tz_name)
