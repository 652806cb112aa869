"""pint-style checks: one unit per check, named `area/name`, with one severity; reporters only format."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

import yaml

from generator.resolve import ResolvedService


class Severity(enum.IntEnum):
    INFO = 0
    WARNING = 1
    BUG = 2
    FATAL = 3


@dataclass(frozen=True)
class Problem:
    check: str
    severity: Severity
    where: str
    message: str


@dataclass
class Context:
    """What a check may look at: the bundle on disk and, when a spec was given, a fresh build of it."""

    out: Path
    service: ResolvedService | None = None
    rendered: dict[PurePosixPath, bytes] | None = None
    tools: dict[str, str | None] = field(default_factory=dict)
    others: tuple[ResolvedService, ...] = ()  # the other services of a bundle built from a folder of specs

    @property
    def services(self) -> tuple[ResolvedService, ...]:
        return ((self.service,) if self.service is not None else ()) + self.others

    def files(self, pattern: str) -> list[Path]:
        return sorted(self.out.glob(pattern))

    @cached_property
    def rule_files(self) -> dict[Path, dict]:
        return {p: yaml.safe_load(p.read_text(encoding="utf-8")) or {} for p in self.files("prometheus/rules/*.yaml")}

    def rules(self) -> list[tuple[Path, dict]]:
        return [(p, r) for p, doc in self.rule_files.items() for g in doc.get("groups", []) for r in g.get("rules", [])]


class Check:
    """Subclasses set `name` and `severity` and implement `run`; they never print."""

    name: str
    severity: Severity

    def run(self, ctx: Context) -> list[Problem]:
        raise NotImplementedError

    def problem(self, where: object, message: str) -> Problem:
        return Problem(self.name, self.severity, str(where), message)
