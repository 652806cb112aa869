"""SLOs alike but for their own text: compile and render them once, fill each one's text in.

A large spec is mostly a few shapes of SLO (availability at 99.5%, time to first token at 95%, ...)
repeated under many names, each with its own description and labels. Each shape is compiled and
rendered once, for a stand-in SLO whose name, description and label values are placeholders; each
SLO of that shape gets the stand-in's text with its own filled in, in one pass over a split of that
text: a join instead of a compile and a render.

That is exact only where the SLO's text is written as its placeholder is in every context it
reaches (a YAML scalar, a PromQL string, Go template text, Markdown, the middle of an alert name):
an SLO whose text would be quoted or escaped anywhere, or that is alone in its shape, is compiled
on its own. A property test holds the filled bundle to the one compiled SLO by SLO.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, fields, is_dataclass, replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any, TypeVar

from generator import conventions as conv
from generator import yamlout
from generator.ir import Filled, Slots

if TYPE_CHECKING:
    from generator.resolve import ResolvedService, ResolvedSLO

T = TypeVar("T")

# Lower-case letters only: plain in YAML, unescaped in PromQL strings, Go templates and Markdown.
_MARK = "qqslot"
_NAME = f"{_MARK}name"
_CAMEL = conv.camel(_NAME)  # the name inside alert names
_DESCRIPTION = f"{_MARK}description"
_SLOT = re.compile(f"({_CAMEL}|{_MARK}(?:name|description|label[a-z][a-z]))")
_MAX_LABELS = 26 * 26

ENABLED = True  # the property test turns it off to compile every SLO on its own


def _label(i: int) -> str:
    return f"{_MARK}label{chr(97 + i // 26)}{chr(97 + i % 26)}"


@dataclass(frozen=True, eq=False)  # one per shape, compared by identity: caches keyed by it never compare SLOs
class StandIn:
    service: ResolvedService
    slo: ResolvedSLO


def slots(slo: ResolvedSLO) -> Slots:
    """Each placeholder of the SLO's stand-in, and the SLO's own text for it."""
    own = [(_CAMEL, conv.camel(slo.name)), (_NAME, slo.name)]
    if slo.description:
        own.append((_DESCRIPTION, slo.description))
    own += [(_label(i), v) for i, v in enumerate(slo.labels.values())]
    return tuple(own)


def fill(text: str, slots: Slots) -> str:
    """`text` of a stand-in with the SLO's own text in place of each placeholder, in one pass:
    text filled in is never searched again, whatever it holds."""
    table = dict(slots)
    return _SLOT.sub(lambda m: table[m.group()], text)


def once(service: ResolvedService, slo: ResolvedSLO, build: Callable[..., T], *args: Hashable) -> tuple[T, Slots] | None:
    """`build(service, slo, *args)` as compiled once for the SLO's shape, with the SLO's slots; None
    when the SLO is compiled on its own."""
    shape = _stand_in(service, slo)
    return None if shape is None else (_compiled(shape, build, args), slots(slo))


@lru_cache(maxsize=64)
def _compiled(shape: StandIn, build: Callable[..., T], args: tuple) -> T:
    return build(shape.service, shape.slo, *args)


def unfold(item: T | Filled[T]) -> T:
    """The object itself, every string in it filled in: for code that reads the bundle's objects, not its text."""
    return _deep(item.stencil, item.slots) if isinstance(item, Filled) else item


def _deep(value: Any, slots: Slots) -> Any:  # noqa: ANN401 - any part of the IR
    if isinstance(value, str):
        return fill(value, slots)
    if isinstance(value, dict):
        return {_deep(k, slots): _deep(v, slots) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return type(value)(_deep(v, slots) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _deep(getattr(value, f.name), slots) for f in fields(value)})
    return value


def _stand_in(service: ResolvedService, slo: ResolvedSLO) -> StandIn | None:
    """The stand-in of the SLO's shape, or None when it is compiled on its own."""
    return _stand_ins(service).get(slo.name) if ENABLED else None


def shape(service: ResolvedService, slo: ResolvedSLO) -> object | None:
    """What every SLO of the SLO's shape shares (compare by identity), or None when it is compiled
    on its own: lint proves a shape once, for one of its SLOs (generator.tools.lint.proof)."""
    return _stand_in(service, slo)


_last: tuple[ResolvedService, dict[str, StandIn]] | None = None  # the service being built, held so its id is never reused


def _stand_ins(service: ResolvedService) -> dict[str, StandIn]:
    global _last
    if _last is None or _last[0] is not service:
        _last = (service, _group(service))
    return _last[1]


def _group(service: ResolvedService) -> dict[str, StandIn]:
    if _marked(replace(service, slos=())):
        return {}
    keys = {slo.name: _shape(slo) for slo in service.slos if _fits(slo)}
    shared = Counter(keys.values())
    shapes: dict[tuple, StandIn | None] = {}
    out = {}
    for slo in service.slos:
        key = keys.get(slo.name)
        if key is None or shared[key] < 2:
            continue
        if key not in shapes:
            stand = replace(
                slo, name=_NAME, description=_DESCRIPTION if slo.description else "", labels={k: _label(i) for i, k in enumerate(slo.labels)}
            )
            shapes[key] = None if _marked(key) else StandIn(service, stand)
        if (shape := shapes[key]) is not None:
            out[slo.name] = shape
    return out


_OWN = frozenset({"name", "description", "labels"})


def _shape(slo: ResolvedSLO) -> tuple:
    """All the SLO is but its own text: whether it has a description, its label names, the rest."""
    rest = tuple(getattr(slo, f.name) for f in fields(slo) if f.name not in _OWN)
    return (*rest, bool(slo.description), tuple(slo.labels))


def _fits(slo: ResolvedSLO) -> bool:
    """Whether the SLO's own text is written as is everywhere: printable ASCII with nothing any
    writer escapes, and a name or label value that YAML reads as text unquoted."""
    return (
        yamlout.scalar(slo.name) == slo.name
        and _plain(slo.description)
        and len(slo.labels) <= _MAX_LABELS
        and all(yamlout.scalar(v) == v and _plain(v) for v in slo.labels.values())
    )


_ESCAPED = frozenset('"\\{}')  # JSON and PromQL escape quotes and backslashes; Go templates read braces


def _plain(text: str) -> bool:
    return text.isascii() and text.isprintable() and _ESCAPED.isdisjoint(text)


def _marked(anything: object) -> bool:
    """Whether text the shape writes besides the SLO's own (a threshold, a label name, the service's) holds a placeholder."""
    return _MARK in repr(anything).lower()


_texts: dict[tuple[int, object, int], tuple[object, list[str]]] = {}


def text(item: Filled, render: Callable[[object, int], str], indent: int = 0) -> str:
    """The filled item written by `render`: its stencil is written once, at each indent, for all its SLOs."""
    key = (id(item.stencil), render, indent)
    done = _texts.get(key)
    if done is None or done[0] is not item.stencil:  # kept beside its text, so the id is not another's
        if len(_texts) >= 1024:
            _texts.clear()
        done = _texts[key] = (item.stencil, _SLOT.split(render(item.stencil, indent)))
    pieces = done[1].copy()
    table = dict(item.slots)
    for i in range(1, len(pieces), 2):  # split() puts each placeholder at an odd index
        pieces[i] = table[pieces[i]]
    return "".join(pieces)
