"""spec file -> resolved service -> bundle -> bytes: the stages in order, errors mapped once."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from generator.compile import compile_bundle
from generator.ir import Bundle
from generator.render import render_bundle
from generator.resolve import ResolvedService, ResolveError, resolve
from generator.spec.load import load_spec


def load(path: Path) -> ResolvedService:
    spec, source = load_spec(path)
    try:
        return resolve(spec)
    except ResolveError as exc:
        raise source.error(exc.problems) from None


def build(path: Path) -> tuple[Bundle, dict[PurePosixPath, bytes]]:
    bundle = compile_bundle(load(path))
    return bundle, render_bundle(bundle)
