"""spec file -> resolved service -> bundle -> bytes: the stages in order, errors mapped once."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
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
    with _no_cycle_collection():
        bundle = compile_bundle(load(path))
        return bundle, render_bundle(bundle)


@contextmanager
def _no_cycle_collection() -> Iterator[None]:
    """A build makes millions of small objects that reference counting frees; left on, the cycle
    collector rescans the survivors again and again, a third of a large build's time."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
