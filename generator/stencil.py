"""SLOs alike but for their names: compile and render them once, fill the names in for each.

A large spec is mostly a few shapes of SLO (availability at 99.5%, time to first token at 95%, ...)
repeated under many names. Each shape is compiled and rendered once, for a stand-in SLO named
PLACEHOLDER, and each SLO of that shape gets the stand-in's text with its own names filled in: two
string replaces instead of a compile and a render.

That is exact only where an SLO's name is written as the placeholder is in every context it
reaches (a YAML plain scalar, a PromQL string, Go template text, Markdown, the middle of an alert
name): a name that would be quoted or escaped anywhere, or an SLO alone in its shape, is compiled
on its own. A property test holds the filled bundle to the one compiled SLO by SLO.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, fields, is_dataclass, replace
from typing import TYPE_CHECKING, Any, TypeVar

from generator import conventions as conv
from generator import yamlout
from generator.ir import Filled, Names

if TYPE_CHECKING:
    from generator.resolve import ResolvedService, ResolvedSLO

T = TypeVar("T")

# Lower-case letters only: plain in YAML, unescaped in PromQL strings, Go templates and Markdown.
PLACEHOLDER = "slogenstandin"
_CAMEL = conv.camel(PLACEHOLDER)

ENABLED = True  # the property test turns it off to compile every SLO on its own


@dataclass(frozen=True, eq=False)  # one per shape, compared by identity: caches keyed by it never compare SLOs
class StandIn:
    service: ResolvedService
    slo: ResolvedSLO


def names(slo: ResolvedSLO) -> Names:
    """What to replace in a stand-in's text for this SLO: its alert-name part first, then its name."""
    return ((_CAMEL, conv.camel(slo.name)), (PLACEHOLDER, slo.name))


def fill(text: str, names: Names) -> str:
    for old, new in names:
        text = text.replace(old, new)
    return text


def filled(stencil: object, slo: ResolvedSLO) -> Filled:
    return Filled(stencil, names(slo))


def unfold(item: T | Filled[T]) -> T:
    """The object itself, every string in it filled in: for code that reads the bundle's objects, not its text."""
    return _deep(item.stencil, item.names) if isinstance(item, Filled) else item


def _deep(value: Any, names: Names) -> Any:  # noqa: ANN401 - any part of the IR
    if isinstance(value, str):
        return fill(value, names)
    if isinstance(value, dict):
        return {_deep(k, names): _deep(v, names) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return type(value)(_deep(v, names) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _deep(getattr(value, f.name), names) for f in fields(value)})
    return value


def stand_in(service: ResolvedService, slo: ResolvedSLO) -> StandIn | None:
    """The stand-in of the SLO's shape, or None when it is compiled on its own."""
    return _stand_ins(service).get(slo.name) if ENABLED else None


_last: tuple[ResolvedService, dict[str, StandIn]] | None = None  # the service being built, held so its id is never reused


def _stand_ins(service: ResolvedService) -> dict[str, StandIn]:
    global _last
    if _last is None or _last[0] is not service:
        _last = (service, _group(service))
    return _last[1]


def _group(service: ResolvedService) -> dict[str, StandIn]:
    if _marked(replace(service, slos=())):
        return {}
    keys = {slo.name: _shape(slo) for slo in service.slos if _fits(slo.name)}
    shared = Counter(keys.values())
    shapes: dict[tuple, StandIn | None] = {}
    out = {}
    for slo in service.slos:
        key = keys.get(slo.name)
        if key is None or shared[key] < 2:
            continue
        if key not in shapes:
            shapes[key] = None if _marked(replace(slo, name="")) else StandIn(service, replace(slo, name=PLACEHOLDER))
        if (shape := shapes[key]) is not None:
            out[slo.name] = shape
    return out


def _shape(slo: ResolvedSLO) -> tuple:
    return tuple(tuple(sorted(v.items())) if isinstance(v, dict) else v for f in fields(slo) if f.name != "name" for v in (getattr(slo, f.name),))


def _fits(name: str) -> bool:
    """Written as is everywhere: plain in YAML (not a number, bool or null), and never the placeholder."""
    return yamlout.scalar(name) == name and PLACEHOLDER not in name.lower()


def _marked(anything: object) -> bool:
    """Whether text the shape writes besides the name (a description, a label, the service's) holds the placeholder."""
    return PLACEHOLDER in repr(anything).lower()


_texts: dict[tuple[int, object, int], tuple[object, str]] = {}


def text(item: Filled, render: Callable[[object, int], str], indent: int = 0) -> str:
    """The filled item written by `render`: its stencil is written once, at each indent, for all its SLOs."""
    key = (id(item.stencil), render, indent)
    done = _texts.get(key)
    if done is None or done[0] is not item.stencil:  # kept beside its text, so the id is not another's
        if len(_texts) >= 1024:
            _texts.clear()
        done = _texts[key] = (item.stencil, render(item.stencil, indent))
    return fill(done[1], item.names)
