"""Scalar types for what Alertmanager reads: each refuses, at validation, what amtool would refuse
in the bundle, so the error names the spec's line instead of a generated file."""

from __future__ import annotations

import re
import zoneinfo
from functools import cache
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator

from generator import conventions as conv

_WEEKDAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august", "september", "october", "november", "december")
_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$")
_NAMED_ADDRESS = re.compile(r"^[^<>\"\n]*<([^<>\s]+)>$")
_HOST = re.compile(r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,62})(?:\.[A-Za-z0-9-]{1,63})*|\[[0-9A-Fa-f:.]+\]|\d{1,3}(?:\.\d{1,3}){3})$")
# Strings shaped like credentials rather than file paths: provider prefixes, and long unbroken tokens.
_SECRET_PREFIXES = re.compile(r"^(?:xox[abposr]-|xapp-|sk-|sk_live_|rk_live_|ghp_|gho_|github_pat_|glpat-|AKIA|ASIA|AIza|eyJ|SG\.)")
_TOKEN = re.compile(r"^[A-Za-z0-9_\-+=]{20,}$")


def _line(value: str) -> str:
    if not value.strip() or any(c in value for c in "\n\r\x00"):
        raise ValueError("must be one line of text, not empty")
    return value


def _secret_file(value: str) -> str:
    """A `*_file` field names where the secret is, never the secret: a URL or a key-shaped value
    here would be written into out/ and committed."""
    if not value.strip():
        raise ValueError("is empty; give the path of the file that holds the secret, e.g. /etc/alertmanager/secrets/slack-url")
    if "://" in value or value.startswith(("hooks.", "events.")):
        raise ValueError("looks like a URL, not a file path: the secret itself would land in out/. Put the URL in a file "
                         "Alertmanager can read and give that file's path, e.g. /etc/alertmanager/secrets/slack-url")
    if _SECRET_PREFIXES.match(value) or (_TOKEN.match(value) and "/" not in value and any(c.isdigit() for c in value)):
        raise ValueError("looks like a key or token, not a file path: the secret itself would land in out/. Put it in a file "
                         "Alertmanager can read and give that file's path, e.g. /etc/alertmanager/secrets/api-key")
    if any(c in value for c in "\n\r\x00") or value != value.strip():
        raise ValueError("is not a file path (it holds a line break or surrounding spaces)")
    return value


def _email(value: str) -> str:
    named = _NAMED_ADDRESS.match(value.strip())
    address = named.group(1) if named else value.strip()
    if len(value) > 320 or not _ADDRESS.match(address):
        raise ValueError(f"{value[:60]!r} is not an email address; write name@example.com or 'Name <name@example.com>'")
    return value


def _host_port(value: str) -> str:
    host, sep, port = value.rpartition(":")
    if not sep or not host:
        raise ValueError(f"{value[:60]!r} has no port; write host:port, e.g. smtp.example.com:587")
    if not _HOST.match(host):
        raise ValueError(f"{host[:60]!r} is not a host name or address; write host:port, e.g. smtp.example.com:587")
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"port {port[:10]!r} is not a port number (1-65535); write host:port, e.g. smtp.example.com:587")
    return value


def _url(value: str) -> str:
    parts = urlsplit(value) if _line_ok(value) else None
    try:
        port_ok = parts is not None and (parts.port is None or 0 < parts.port < 65536)
    except ValueError:
        port_ok = False
    if "{{" in value or "}}" in value:
        raise ValueError("holds '{{' or '}}', which Alertmanager and Prometheus would read as a Go template; URL-encode them (%7B%7B)")
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname or not port_ok or " " in value:
        raise ValueError(f"{value[:60]!r} is not an http(s) URL; write e.g. https://hooks.example.com/alerts")
    return value


def _line_ok(value: str) -> bool:
    return bool(value) and not any(c in value for c in "\n\r\x00\t")


def _group_label(value: str) -> str:
    if value != "..." and (not re.match(conv.LABEL_NAME_PATTERN, value) or value.startswith("__")):
        raise ValueError(f"{value[:60]!r} is not a label name (letters, digits and '_', not starting with a digit), nor '...' (group by every label)")
    return value


def _clock(value: str) -> str:
    match = re.fullmatch(r"([0-9]{2}):([0-9]{2})", value)
    if not match or int(match.group(2)) > 59 or int(match.group(1)) > 24 or (int(match.group(1)) == 24 and match.group(2) != "00"):
        raise ValueError(f"{value[:20]!r} is not a time of day; write HH:MM between 00:00 and 24:00")
    return value


def _range(value: str, parse, what: str, example: str) -> str:  # noqa: ANN001 - one bound -> its number
    parts = value.split(":")
    if len(parts) > 2 or not all(parts):
        raise ValueError(f"{value[:30]!r} is not a {what} or a range of them; write e.g. {example}")
    bounds = [parse(p.strip().lower()) for p in parts]
    if None in bounds:
        raise ValueError(f"{value[:30]!r} is not a {what} or a range of them; write e.g. {example}")
    if len(bounds) == 2 and (bounds[0] > 0) == (bounds[1] > 0) and bounds[0] > bounds[1]:
        raise ValueError(f"{value[:30]!r}: the range ends before it starts; write e.g. {example}")
    return value


def _weekday(text: str) -> int | None:
    return _WEEKDAYS.index(text) + 1 if text in _WEEKDAYS else None


def _month(text: str) -> int | None:
    if text in _MONTHS:
        return _MONTHS.index(text) + 1
    return int(text) if text.isdigit() and 1 <= int(text) <= 12 else None


def _day(text: str) -> int | None:
    if re.fullmatch(r"-?[0-9]{1,2}", text) and 1 <= abs(int(text)) <= 31:
        return int(text)
    return None


@cache
def _zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def _zone(value: str) -> str:
    if value in ("UTC", "Local"):
        return value
    zones = _zones()
    if zones and value not in zones:  # no tz database here: leave it to amtool
        raise ValueError(f"{value[:60]!r} is not a time zone of the IANA database; write e.g. Europe/Paris, America/New_York or UTC")
    return value


Line = Annotated[str, AfterValidator(_line)]
SecretFile = Annotated[str, AfterValidator(_secret_file)]
EmailAddress = Annotated[str, AfterValidator(_email)]
HostPort = Annotated[str, AfterValidator(_host_port)]
Url = Annotated[str, AfterValidator(_url)]
GroupLabel = Annotated[str, AfterValidator(_group_label)]
ClockTime = Annotated[str, AfterValidator(_clock)]
Weekdays = Annotated[str, AfterValidator(lambda v: _range(v, _weekday, "weekday", "monday:friday"))]
Months = Annotated[str, AfterValidator(lambda v: _range(v, _month, "month", "january:march or 1:3"))]
DaysOfMonth = Annotated[str, AfterValidator(lambda v: _range(v, _day, "day of the month (1-31, or -31 to -1 from the end)", "1:7 or -3:-1"))]
TimeZone = Annotated[str, AfterValidator(_zone)]


def _dns_label(value: str) -> str:
    if not re.fullmatch(r"[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?", value):
        raise ValueError(f"{value[:70]!r} is not a Kubernetes namespace; use 1-63 lowercase letters, digits and '-', starting and ending with a letter or digit")
    return value


DnsLabel = Annotated[str, AfterValidator(_dns_label)]


def re2(value: str) -> str:
    """A regular expression Prometheus (RE2) compiles: no look-around, no back-references."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"{value[:60]!r} is not a regular expression ({exc}); e.g. 2.. or 5..|429") from None
    if re.search(r"\(\?<?[=!]|\\[1-9]|\(\?P=", value) or "\n" in value:
        raise ValueError(f"{value[:60]!r} uses look-around or a back-reference, which Prometheus' RE2 does not have")
    return value


def link_base(value: str) -> str:
    """A base URL for links in alerts: empty, or an http(s) URL with no Go-template braces."""
    return _url(value) if value else value
