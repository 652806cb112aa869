"""What promtool/test-rules runs: each SLO shape's tests once, for one of its SLOs.

A spec's SLOs come in a few shapes, and the build writes every SLO of a shape as the same text
but for its own name, description and label values (generator.stencil; a property test holds the
filled bundle to the one compiled SLO by SLO). Testing one SLO of a shape against its own rule
group therefore proves the group of every other, on one condition this module checks itself:
that each other SLO's group on disk is the one the build writes. An SLO whose group differs (a hand
edit, a stale bundle), or that the build compiles on its own, is tested on its own.

Each proof is a rule file holding only the groups its tests read and a test file of only its
cases: promtool evaluates every group of the file at every step of every case, so a lone SLO's
tests cost a fraction of the whole file's, and proofs run side by side.

Services of a folder are alike in the same way: a fleet is mostly one template under many service
names. A service whose proofs are, text for text, its stand-in's (the same service compiled under a
placeholder name) with its own name filled in, is proved by the first service of that stand-in:
both are the same rules and tests but for an opaque label value and alert-name prefix.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, fields, is_dataclass, replace
from pathlib import Path
from typing import Any

import yaml

from generator import conventions as conv
from generator import stencil
from generator.compile import parts, service_tests, slo_test_sets
from generator.ir import RuleFile, RuleTestFile
from generator.render import render_document
from generator.resolve import ResolvedService, ResolvedSLO

RULES = "rules.yaml"
TESTS = "tests.yaml"
_HEAD = re.compile(r"(?m)^groups:\n")
_GROUP = re.compile(r"(?m)^(?=- name: )")
_RECORDED = re.compile(r"(?m)^  - record: (\S+)$")
_NAME = re.compile(conv.RECORDING_NAME_PATTERN)
# Lower-case letters only, like the stencil's marks: written as it is in YAML, PromQL strings and alert names.
_SERVICE = "qqslotservice"
_PLAIN = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


@dataclass(frozen=True)
class Proof:
    """One promtool run: the groups it needs as they are on disk, and the tests that read them."""

    where: str  # what a failure names
    covers: tuple[str, ...]  # the SLOs it proves; empty for the service's own groups
    rules: str
    tests: bytes
    also: tuple[str, ...] = ()  # the other services of its stand-in, which it proves too
    grouped: bool = False  # the per-group tests of a grouped SLO, run beside its own

    @property
    def named(self) -> str:
        """What a failure names: the place, and the services it stood for."""
        if not self.also:
            return self.where
        more = ", ".join(self.also[:3]) + (f" and {len(self.also) - 3} more" if len(self.also) > 3 else "")
        return f"{self.where} (standing for services {more} too)"

    def write(self, folder: Path) -> Path:
        """Lay the proof out in a new `folder` as promtool reads it; the test file to pass to `promtool test rules`."""
        folder.mkdir()
        (folder / RULES).write_text(self.rules, encoding="utf-8")
        (folder / TESTS).write_bytes(self.tests)
        return folder / TESTS


def groups(text: str) -> dict[str, str] | None:
    """A rule file as the renderer writes it, as each group's text by its name; None when it is not written so."""
    head = _HEAD.search(text)
    if head is None:
        return None
    out: dict[str, str] = {}
    for chunk in _GROUP.split(text[head.end():]):
        if not chunk.strip():
            continue
        if not chunk.startswith("- name: "):
            return None
        out[str(yaml.safe_load(chunk.split("\n", 1)[0][len("- name: "):]))] = chunk
    return out


def proofs(service: ResolvedService, on_disk: str, built: str) -> list[Proof] | None:
    """The promtool runs that prove every SLO and the service's own groups; None when either rule file
    is not written as the renderer writes it (then the whole test file runs)."""
    disk, ours = groups(on_disk), groups(built)
    if disk is None or ours is None:
        return None
    shapes: dict[int, list[ResolvedSLO]] = {}
    alone: list[ResolvedSLO] = []
    for slo in service.slos:  # every shape first: compiling a lone SLO's tests below regroups the stencil
        name = conv.rule_group(service.name, slo.name)
        shape = stencil.shape(service, slo)
        if shape is None or disk.get(name) != ours.get(name):
            alone.append(slo)
        else:
            shapes.setdefault(id(shape), []).append(slo)
    members = [*shapes.values(), *([s] for s in alone)]
    out = [p for group in sorted(members, key=lambda g: service.slos.index(g[0])) for p in _slo_proofs(service, disk, group)]
    for group, cases in service_tests(service):
        out.append(Proof(f"{service.name}: group {group}", (), _rules(disk, [group]), _tests(tuple(cases))))
    return out


def _slo_proofs(service: ResolvedService, disk: dict[str, str], members: list[ResolvedSLO]) -> list[Proof]:
    """The SLO's own tests and, in a run beside them, its per-group tests: the same rules, half the wait each."""
    first = members[0]
    own, grouped = slo_test_sets(replace(service, slos=(first,)))
    where = f"{service.name}: SLO {first.name}" + (f" (standing for its shape's {len(members)} SLOs)" if len(members) > 1 else "")
    rules, covers = _rules(disk, [conv.rule_group(service.name, first.name)]), tuple(s.name for s in members)
    runs = [Proof(where, covers, rules, _tests(own.tests))]
    if grouped:
        runs.append(Proof(f"{where}, per group", covers, rules, _tests(grouped), grouped=True))
    return runs


def _tests(cases: tuple) -> bytes:
    return render_document(RuleTestFile(rule_files=(RULES,), tests=cases))


def _rules(disk: dict[str, str], names: list[str]) -> str:
    """The named groups and every group recording a name they read and do not record themselves."""
    chosen = [n for n in names if n in disk]  # a group missing on disk fails its tests: nothing records their input
    recorders = {r: n for n, text in disk.items() for r in _RECORDED.findall(text)}
    todo = list(chosen)
    while todo:
        text = disk[todo.pop()]
        own = set(_RECORDED.findall(text))
        for read in set(_NAME.findall(text)) - own:
            home = recorders.get(read)
            if home is not None and home not in chosen:
                chosen.append(home)
                todo.append(home)
    return "groups:\n" + "".join(disk[n] for n in chosen)


def coverage(service: ResolvedService, done: list[Proof], others: tuple[str, ...] = ()) -> str:
    """What the report says the proofs covered."""
    lines = [f"{service.name}: {len(service.slos)} SLOs proved by {sum(1 for p in done if p.covers)} promtool runs"]
    if others:
        lines.append(f"  standing for {len(others)} more service{'s' if len(others) > 1 else ''} compiled from the same template: {', '.join(others)}")
    for p in done:
        if p.grouped:
            lines.append(f"  {p.covers[0]}: its per-group tests in a run of their own")
        elif len(p.covers) > 1:
            rest = ", ".join(p.covers[1:4]) + (f" and {len(p.covers) - 4} more" if len(p.covers) > 4 else "")
            lines.append(f"  shape of {p.covers[0]}: {len(p.covers)} SLOs (with {rest})")
        elif p.covers:
            lines.append(f"  {p.covers[0]}: on its own")
        else:
            lines.append(f"  {p.where.split(': ', 1)[1]}: the service's own tests")
    return "\n".join(lines)


def fleet(planned: Iterable[tuple[ResolvedService, list[Proof]]]) -> list[tuple[ResolvedService, list[Proof], tuple[str, ...]]]:
    """Each service that must be proved, its proofs, and the services of the same stand-in it proves besides."""
    planned = list(planned)
    kept: list[tuple[ResolvedService, list[Proof], list[str]]] = []
    first: dict[tuple, int] = {}
    for service, runs in planned:
        key = _stand_in_key(service, runs) if len(planned) > 1 else None
        if key is not None and key in first:
            kept[first[key]][2].append(service.name)
            continue
        if key is not None:
            first[key] = len(kept)
        kept.append((service, runs, []))
    return [(service, [replace(p, also=tuple(others)) for p in runs], tuple(others)) for service, runs, others in kept]


def _stand_in_key(service: ResolvedService, runs: list[Proof]) -> tuple | None:
    """The service's proofs as compiled under the placeholder name, when filling its own name into
    them gives its proofs exactly; None when they differ or the name is not plain."""
    if not _PLAIN.fullmatch(service.name):
        return None
    twin = _renamed(service, service.name, _SERVICE)
    text = render_document(RuleFile(tuple(p.group for p in parts(twin, slo_runbooks=False)))).decode()
    theirs = proofs(twin, text, text)
    if theirs is None or len(theirs) != len(runs):
        return None

    def own(t: str) -> str:
        return t.replace(conv.camel(_SERVICE), conv.camel(service.name)).replace(_SERVICE, service.name)

    for mine, stand_in in zip(runs, theirs):
        if mine.rules != own(stand_in.rules) or mine.tests != own(stand_in.tests.decode()).encode() or mine.covers != stand_in.covers:
            return None
    return tuple((p.rules, p.tests) for p in theirs)


def _renamed(value: Any, old: str, new: str) -> Any:  # noqa: ANN401 - any part of a resolved service
    """The value with every string equal to `old` (the service's name, wherever the resolver copied it) as `new`."""
    if isinstance(value, str):
        return new if value == old else value
    if isinstance(value, dict):
        return {_renamed(k, old, new): _renamed(v, old, new) for k, v in value.items()}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return type(value)(*(_renamed(v, old, new) for v in value))
    if isinstance(value, tuple | list):
        return type(value)(_renamed(v, old, new) for v in value)
    if is_dataclass(value) and not isinstance(value, type):
        return replace(value, **{f.name: _renamed(getattr(value, f.name), old, new) for f in fields(value) if f.init})
    return value
