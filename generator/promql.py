"""PromQL as data until the last moment: selectors, escaping, and the expression shapes.

Every user string that reaches PromQL or a Go template passes through a function here.
"""

from __future__ import annotations

import re

from dataclasses import dataclass, replace
from functools import cache, cached_property, lru_cache

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
    aliases: tuple[str, ...] = ()  # other names of the same series (one library's unit suffix differs from another's)

    def plus(self, *more: Matcher) -> Selector:
        return Selector(self.metric, self.matchers + more, self.aliases)

    def renamed(self, metric: str) -> Selector:
        return Selector(metric, self.matchers)

    def suffixed(self, suffix: str) -> Selector:
        """A histogram's `_bucket`, `_count` or `_sum` series, under every name it may have."""
        return Selector(self.metric + suffix, self.matchers, tuple(a + suffix for a in self.aliases))

    def admits(self, label: str, value: str) -> bool:
        """Whether a series whose `label` is `value` passes every matcher on that label ("" is the label absent)."""
        ops = {"=": lambda m: value == m.value, "!=": lambda m: value != m.value,
               "=~": lambda m: re.fullmatch(m.value, value) is not None, "!~": lambda m: re.fullmatch(m.value, value) is None}
        return all(ops[m.op](m) for m in self.matchers if m.label == label)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.metric, *self.aliases)

    def __str__(self) -> str:
        return self._text

    @cached_property
    def _text(self) -> str:
        matchers = [matcher(m) for m in self.matchers]
        if self.aliases:
            return "{" + ", ".join([f"__name__=~{string(alternation(list(self.names)))}", *matchers]) + "}"
        return _braced(self.metric, matchers)


def braced(metric: str, *matchers: str) -> str:
    """A selector from matchers already written (`equality`, `matcher`, the placeholders below)."""
    return _braced(metric, list(matchers))


def _braced(metric: str, matchers: list[str]) -> str:
    if metric and not LEGACY_NAME.fullmatch(metric):
        # Prometheus 3's UTF-8 names (OTLP without escaping): the name goes quoted inside the braces.
        return "{" + ", ".join([string(metric), *matchers]) + "}"
    inner = ", ".join(matchers)
    return f"{metric}{{{inner}}}" if inner else metric


def exact(metric: str, labels: dict[str, str], *more: Matcher) -> str:
    """`str(Selector(metric, (equality matchers of labels, in their order, *more)))` without building
    the objects: latches and generated tests write tens of thousands."""
    return _braced(metric, [*(equality(k, v) for k, v in labels.items()), *map(matcher, more)])


@lru_cache(maxsize=1 << 14)
def equality(name: str, value: str) -> str:
    """`name="value"`, escaped."""
    return f"{label(name)}={string(value)}"



@lru_cache(maxsize=4096)  # the same few matchers (an SLO's identity, alert states) recur in thousands of selectors
def matcher(m: Matcher) -> str:
    return f"{label(m.label)}{m.op}{string(m.value)}"



# An SLO's expressions name it only through its identity matchers and its alert name, so each shape of
# SLO (one objective, one set of windows, one SLI) has its expressions built once with these
# placeholders, then filled per SLO. They are control characters: `string` escapes every one a
# user could write, so no generated PromQL holds one otherwise.
IDENTITY_MATCHERS = "\x00"  # slo="…", service="…"
IDENTITY = "{" + IDENTITY_MATCHERS + "}"  # what the SLO's recordings are read by
ALERTNAME = "\x01"  # alertname="…" of the SLO's burn alert


def filled(template: str, identity: str, alertname: str = "") -> str:
    """One SLO's expression: `identity` its `{slo="…", service="…"}`, `alertname` its `alertname="…"` matcher."""
    text = template.replace(IDENTITY_MATCHERS, identity[1:-1])
    return text.replace(ALERTNAME, alertname) if alertname else text


def fixed(expr: str) -> str:
    """An expression that names no SLO, for a shape's template as it is."""
    if IDENTITY_MATCHERS in expr or ALERTNAME in expr:
        raise AssertionError(f"a placeholder in an expression built from the spec: {expr!r}")
    return expr


LEGACY_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LEGACY_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")


def label(name: str) -> str:
    """A label name in a matcher or a `by` clause: quoted only where Prometheus 3's UTF-8 names need it."""
    return name if LEGACY_LABEL.fullmatch(name) else string(name)


def by_clause(*names: str | None) -> str:
    """`model, feature` for a `sum by (...)`; labels the exporter does not have are left out."""
    return ", ".join(label(n) for n in names if n)


def series(selector: Selector, labels: dict[str | None, str]) -> str:
    """A concrete series `selector` matches, for test input: its equality matchers plus `labels`, sorted.

    An empty value is a label the series does not have (an OTel success has no `error_type`), and so is a
    None name (the exporter has no such label, e.g. claude-basic's feature).
    """
    merged = {**{m.label: m.value for m in selector.matchers if m.op == "="}, **{k: v for k, v in labels.items() if k is not None}}
    return exact(selector.metric, {k: v for k, v in sorted(merged.items()) if v != ""})


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


def matches(label: str, pattern: str) -> Matcher:
    """`label` matching `pattern`: an equality where the pattern is a plain value (`status_code="429"`)."""
    return Matcher(label, "=" if regex_literal(pattern) == pattern else "=~", pattern)


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
PIECE = "({{ sel }} offset {{ offset }} or 0 * {{ sel }})"
COMPOSED = "(\n{{ terms }}\n) / {{ n }}"
RATIO = "{{ errors }} / clamp_min({{ total }}, 1e-12)"
BURN_CONDITION = "{{ ratio }} / {{ budget }} > {{ factor }}"
EVENTS_RAW = "{{ rate }} * {{ seconds }}"
MIN_EVENTS = "{{ events }} >= {{ min_events }}"
AND = "\nand\n"
OR = "\nor\n"
# One incident, one alert per severity: a pair fires only while no faster pair burns and no other pair
# of the severity fires, then holds the incident while any pair of the severity still burns.
LATCH_START = "(\n{{ own }}\n)\nunless {{ on }}\n{{ others }}"
LATCH_TIE = "(\n{{ own }}\n)\nunless {{ on }}\n(\n{{ faster }}\n)\nunless {{ on }}\n{{ others }}"
LATCH_HOLD = "(\n{{ start }}\n)\nor\n(\n{{ any }}\nand {{ on }}\n{{ mine }}\n)"


def _sum(by: str, expr: str) -> str:
    return f"sum by ({by}) ({expr})" if by else f"sum({expr})"


def summed_rate(selector: Selector, window: str, by: dict[str, str | None]) -> str:
    """`sum by (exporter labels) (rate(...))`, those labels copied to their canonical names."""
    return canonical(_sum(by_clause(*by.values()), f"rate({selector}[{window}])"), by)


def canonical(expr: str, by: dict[str, str | None]) -> str:
    """Copy exporter label names to slogen's canonical ones, so later stages read one name."""
    for name, actual in sorted(by.items()):
        if actual and name != actual:
            expr = f'label_replace({expr}, "{name}", "$1", {string(actual)}, "(.*)")'
    return expr


@dataclass(frozen=True)
class Source:
    """A counter as the first recording layer reads it: one selector whose label `key` tells the kinds
    apart, or one selector per kind where the exporter keeps a metric per kind (LiteLLM's token counters)."""

    parts: tuple[tuple[Selector, str | None], ...]  # (selector, the kind it counts; None: `label` says)
    key: str  # canonical label of the kind, e.g. `type`
    label: str | None = None  # the exporter's label for it, when one selector holds every kind
    # Where one kind's counter counts other kinds too (LiteLLM's input counts cache reads and writes): that kind,
    # and the counters subtracted from it so each token is counted, and priced, once.
    gross: str | None = None
    within: tuple[Selector, ...] = ()

    @staticmethod
    def of(selector: Selector, key: str, label: str | None) -> Source:
        return Source(((selector, None),), key, label)

    def plus(self, *more: Matcher) -> Source:
        return replace(self, parts=tuple((s.plus(*more), k) for s, k in self.parts), within=tuple(s.plus(*more) for s in self.within))

    def only(self, op: str, value: str) -> Source:
        """The kinds equal (`=`) or not equal (`!=`) to `value`."""
        if self.label is not None:
            return Source(tuple((s.plus(Matcher(self.label, op, value)), k) for s, k in self.parts), self.key, self.label)
        keep = tuple((s, k) for s, k in self.parts if (k == value) == (op == "="))
        return replace(self, parts=keep)

    @property
    def empty(self) -> bool:
        return not self.parts

    @property
    def metrics(self) -> tuple[str, ...]:
        return tuple(n for s, _ in self.parts for n in s.names)

    def rate(self, window: str, by: dict[str, str | None]) -> str:
        """`sum by (...) (rate(...))` with canonical label names, the kind included when `by` asks for it."""
        if self.label is not None:
            mapping = {**by, self.key: self.label} if self.key in by else by
            return summed_rate(self.parts[0][0], window, mapping)
        if self.key not in by and len(self.parts) > 1:
            # `or` keeps only one of equal label sets: the kinds stay apart until the sum.
            return _sum(by_clause(*(k for k, v in by.items() if v)), self.rate(window, {**by, self.key: self.key}))
        others = {k: v for k, v in by.items() if k != self.key}
        rendered = []
        for selector, kind in self.parts:
            expr = summed_rate(selector, window, others)
            if kind is not None and kind == self.gross:
                expr = self._net(expr, window, others)
            rendered.append(f'label_replace({expr}, "{self.key}", {string(kind or "")}, "", "")' if self.key in by else expr)
        return "\nor\n".join(rendered)

    def _net(self, whole: str, window: str, by: dict[str, str | None]) -> str:
        """The gross kind's rate less the kinds it counts as well; a kind not counted yet (no cache write so far)
        subtracts 0, and a scrape landing between the counters' updates never reads below 0."""
        less = "".join(f" - ({summed_rate(s, window, by)} or {whole} * 0)" for s in self.within)
        return f"clamp_min({whole}{less}, 0)" if less else whole

    def series(self, labels: dict[str, str], kind: str) -> str:
        """A concrete series of `kind`, for test input."""
        if self.label is not None:
            return series(self.parts[0][0], {**labels, self.label: kind})
        return series(next(s for s, k in self.parts if k == kind), labels)
