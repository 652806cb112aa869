"""PromQL as data until the last moment: selectors, escaping, and the expression shapes.

Every user string that reaches PromQL or a Go template passes through a function here.
"""

from __future__ import annotations

import re

from dataclasses import dataclass
from functools import cache, cached_property

from generator.durations import format_number


@dataclass(frozen=True)
class Matcher:
    label: str
    op: str  # one of = != =~ !~
    value: str


@dataclass(frozen=True)
class Selector:
    metric: str
    matchers: tuple[Matcher, ...] = ()

    def plus(self, *more: Matcher) -> Selector:
        return Selector(self.metric, self.matchers + more)

    def renamed(self, metric: str) -> Selector:
        return Selector(metric, self.matchers)

    def __str__(self) -> str:
        return self._text

    @cached_property
    def _text(self) -> str:
        inner = ", ".join(f"{m.label}{m.op}{string(m.value)}" for m in self.matchers)
        return f"{self.metric}{{{inner}}}" if inner else self.metric


def series(selector: Selector, labels: dict[str, str]) -> str:
    """A concrete series `selector` matches, for test input: its equality matchers plus `labels`, sorted."""
    merged = {**{m.label: m.value for m in selector.matchers if m.op == "="}, **labels}
    return str(Selector(selector.metric, tuple(Matcher(k, "=", v) for k, v in sorted(merged.items()))))


_NEEDS_ESCAPE = re.compile('[\\\\"\x00-\x1f\x7f-\x9f\u2028\u2029]')


@cache
def string(value: str) -> str:
    """A PromQL double-quoted string literal (Go escaping rules)."""
    if not _NEEDS_ESCAPE.search(value):
        return f'"{value}"'
    out = []
    for ch in value:
        if ch in '\\"':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) < 0x20:
            out.append(f"\\x{ord(ch):02x}")
        elif 0x7F <= ord(ch) <= 0x9F or ch in "\u2028\u2029":
            # YAML reads U+0085, U+2028 and U+2029 as line breaks; spelled as escapes they survive any carrier.
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


_RE2_SPECIAL = set("\\.+*?()|[]{}^$")


def regex_literal(text: str) -> str:
    """`text` as an RE2 pattern that matches only itself."""
    return "".join("\\" + ch if ch in _RE2_SPECIAL else ch for ch in text)


def alternation(values: list[str]) -> str:
    return "|".join(regex_literal(v) for v in values)


def le_pattern(bound: float) -> str:
    """Match a bucket bound written by Prometheus 2 (`le="3"`) and 3 (`le="3.0"`) alike."""
    text = format_number(bound)
    return f"{regex_literal(text)}(\\.0)?" if "." not in text and "e" not in text else regex_literal(text)


def go_text(text: str) -> str:
    """Literal text inside a Go template (annotations): only `{{` opens an action."""
    return text.replace("{{", '{{ "{{" }}')


def shape(source: str, **values: object) -> str:
    """Render one PromQL shape; a missing name is an error, never an empty string."""
    try:
        return _compiled(source).format_map(values).strip()
    except KeyError as exc:
        raise KeyError(f"PromQL shape {source!r} needs {exc.args[0]!r}") from None


_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*\}\}")


@cache
def _compiled(source: str) -> str:
    """`{{ name }}` placeholders as a str.format template: tens of thousands of shapes per large spec."""
    parts = _PLACEHOLDER.split(source)
    return "".join(f"{{{p}}}" if i % 2 else p.replace("{", "{{").replace("}", "}}") for i, p in enumerate(parts))


RATE_SUM = "sum(rate({{ sel }}[{{ window }}]))"
ERRORS_OR_ZERO = "{{ errors }} or 0 * {{ total }}"
DIFFERENCE = "{{ total }} - {{ good }}"
WINDOW_AVG = "avg_over_time({{ sel }}[{{ window }}])"
RATIO = "{{ errors }} / clamp_min({{ total }}, 1e-12)"
BURN_CONDITION = "{{ ratio }} / {{ budget }} > {{ factor }}"
EVENTS_RAW = "{{ rate }} * {{ seconds }}"
# A sum of 5m rates taken every `interval` seconds counts each event 300/interval times at 1/300.
EVENTS_DERIVED = "sum_over_time({{ rate }}[{{ window }}]) * {{ interval }}"
MIN_EVENTS = "{{ events }} >= {{ min_events }}"
AND = "\nand\n"
