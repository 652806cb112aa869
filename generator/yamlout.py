"""A block-style YAML writer for plain data: PyYAML's layout, at string-join speed.

PyYAML's representer walks every node in Python and dominated builds of large specs. This writer
emits the same shapes (block mappings, `- ` sequences, `|-` for multi-line PromQL) and quotes any
string it cannot prove plain with JSON escaping, which YAML's double-quoted style reads the same
way. `yaml.safe_load(dump(x)) == x` is a property test.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from collections.abc import Callable, Iterable, Iterator
from functools import cache, lru_cache

import yaml

LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # reading: libyaml when present, the same nodes and marks, much faster

# Plain (unquoted) when YAML cannot read it as anything else: no indicator or space first, no
# ": " or " #" inside, no space or ":" last, no tab, line break or other unsafe character, nothing a resolver would turn
# into a number, bool, null or date. Tested with `in` and str methods, not one regex: it runs on
# every PromQL expression of a bundle, and the regex's alternation was most of a rule's writing.
_INDICATOR_START = frozenset("-?:,[]{}#&*!|>'\"%@`")
_RESOLVER = yaml.resolver.Resolver()
# Characters YAML will not carry raw: non-printables, and what it reads as line breaks (NEL, LS, PS).
# Compiled on first use: their Unicode ranges take milliseconds to compile, and printable ASCII,
# nearly every string, never needs them.
_SAFE_RANGES = "\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff"


@cache
def _unsafe() -> re.Pattern[str]:
    return re.compile(f"[^\t\n{_SAFE_RANGES}]")


@cache
def _literal_unsafe() -> re.Pattern[str]:
    return re.compile(f"[^\n{_SAFE_RANGES}]")


def _quoted(text: str) -> str:
    dumped = json.dumps(text, ensure_ascii=False)
    if dumped.isascii() and dumped.isprintable():
        return dumped
    return _unsafe().sub(lambda m: f"\\u{ord(m.group()):04x}" if ord(m.group()) <= 0xFFFF else f"\\U{ord(m.group()):08x}", dumped)


def scalar(value: object) -> str:
    if isinstance(value, str):
        return _string(value)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        return text.replace("e", ".0e", 1) if "." not in text and "e" in text else text  # YAML 1.1 floats need a dot
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


@lru_cache(maxsize=1 << 16)  # keys, windows and PromQL repeat across thousands of rules and tests
def _string(text: str) -> str:
    return text if _plain(text) else _quoted(text)


# Implicit YAML 1.1 types all start with one of these (numbers, dates, bools, null, merge, value).
_TYPED_START = frozenset("0123456789+-.~<=yYnNtTfFoO")


def _plain(text: str) -> bool:
    if not text or text[0] in _INDICATOR_START or text[0].isspace() or text[-1].isspace() or text[-1] == ":" or ": " in text or " #" in text:
        return False
    # Printable ASCII (nearly every string) holds no break and nothing unsafe.
    if not (text.isascii() and text.isprintable()) and ("\t" in text or "\n" in text or _unsafe().search(text)):
        return False
    return text[0] not in _TYPED_START or _RESOLVER.resolve(yaml.ScalarNode, text, (True, False)) == "tag:yaml.org,2002:str"


def _literal(text: str, lines: list[str]) -> bool:
    """Whether multi-line `text` (split into `lines`) reads back the same from a `|-` block."""
    if text[0].isspace() or text[-1].isspace():
        return False
    return "".join(lines).isprintable() if text.isascii() else not _literal_unsafe().search(text)


def _lines(data: object, indent: int, out: list[str]) -> None:
    # The hot loop of a large build: the common leaves (a one-line string, a non-empty mapping) are
    # written here rather than through _entry.
    pad = " " * indent
    nested = indent + 2
    if isinstance(data, dict):
        for key, value in data.items():
            head = pad + (_KEYS.get(key) or _key(key))
            kind = type(value)
            if kind is str and "\n" not in value:
                out.append(f"{head} {_string(value)}")
            elif kind is dict and value:
                out.append(head)
                _lines(value, nested, out)
            else:
                _entry(head, value, indent, out, nested, True)
    elif isinstance(data, list):
        for item in data:
            if isinstance(item, dict) and item:
                first = len(out)
                _lines(item, nested, out)
                out[first] = f"{pad}- {out[first][nested:]}"
            else:
                _entry(f"{pad}-", item, indent, out, nested, False)


_KEYS: dict[str, str] = {}  # string keys only: 1, 1.0 and True are one dict key but three YAML keys


def _key(key: object) -> str:
    text = f"{scalar(key)}:"
    if type(key) is str:
        _KEYS[key] = text
    return text


def text(head: str, value: str, nested: int, out: list[str]) -> None:
    """`head value` for a string value: one line, or a `|-` block at `nested`."""
    if "\n" in value:
        lines = value.split("\n")
        if _literal(value, lines):
            out.append(f"{head} |-")
            pad = " " * nested
            out += [f"{pad}{line}" if line else "" for line in lines]
            return
    out.append(f"{head} {_string(value)}")


def mapping(head: str, data: dict[str, str], indent: int, out: list[str]) -> None:
    """`head` and a mapping of strings (or other scalars) with its keys at `indent` (`head {}` when empty)."""
    if not data:
        out.append(f"{head} {{}}")
        return
    out.append(head)
    _lines(data, indent, out)


def _entry(head: str, value: object, indent: int, out: list[str], nested: int, keyed: bool) -> None:
    if isinstance(value, str):
        text(head, value, nested, out)
    elif isinstance(value, dict | list):
        if not value:
            out.append(f"{head} {'{}' if isinstance(value, dict) else '[]'}")
            return
        out.append(head)
        # PyYAML's layout: a sequence under a key starts at the key's column.
        _lines(value, indent if keyed and isinstance(value, list) else nested, out)
    else:
        out.append(f"{head} {scalar(value)}")


def dump(data: object) -> str:
    if not isinstance(data, dict | list) or not data:
        return ("{}" if data == {} else "[]" if data == [] else scalar(data)) + "\n"
    out: list[str] = []
    _lines(data, 0, out)
    return "\n".join(out) + "\n"


_END = object()
Chunks = Callable[[object, int], Iterable[str]]


def sequence_chunks(key: str, items: Iterable[object], indent: int = 0, chunks: Chunks | None = None) -> Iterator[str]:
    """`key:` and its sequence, as a mapping at `indent` holds them, an item at a time; `chunks`
    writes one item in pieces, else each item is plain data."""
    pad = " " * indent
    items = iter(items)
    first = next(items, _END)
    if first is _END:
        yield f"{pad}{_key(key)} []\n"
        return
    yield f"{pad}{_key(key)}\n"
    write = chunks or _item
    for item in itertools.chain((first,), items):
        yield from write(item, indent)


def item_chunks(head: dict, sequences: Iterable[tuple[str, Iterable[object], Chunks | None]], indent: int = 0) -> Iterator[str]:
    """A mapping as an item of a sequence at `indent`: the keys of `head`, then each long sequence an
    item at a time (written by its `chunks`, see sequence_chunks)."""
    yield from _item(head, indent)
    for key, items, chunks in sequences:
        yield from sequence_chunks(key, items, indent + 2, chunks)


def _item(item: object, indent: int = 0) -> tuple[str]:
    out: list[str] = []
    _lines([item], indent, out)
    return ("\n".join(out) + "\n",)
