"""spec file -> resolved service -> bundle -> bytes: the stages in order, errors mapped once."""

from __future__ import annotations

import gc
from dataclasses import replace
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from generator.compile import compile_bundle
from generator.ir import Bundle
from generator.render import render_bundle, render_document
from generator.resolve import ResolvedService, ResolveError, resolve
from generator.spec.load import load_spec
from generator.spec.models import MAX_SLOS


def load(path: Path, max_slos: int = MAX_SLOS) -> ResolvedService:
    spec, source = load_spec(path, max_slos)
    try:
        return resolve(spec)
    except ResolveError as exc:
        raise source.error(exc.problems) from None


def build(path: Path, max_slos: int = MAX_SLOS) -> tuple[Bundle, dict[PurePosixPath, bytes]]:
    return compile_and_render(load(path, max_slos))


def compile_and_render(service: ResolvedService, keep_documents: bool = True) -> tuple[Bundle, dict[PurePosixPath, bytes]]:
    """The bundle and its bytes. Without `keep_documents` the bundle comes back without its documents,
    each dropped once rendered, so a large build never holds every document and every byte at once."""
    with _no_cycle_collection():
        bundle = compile_bundle(service)
        if keep_documents:
            return bundle, render_bundle(bundle)
        files, bundle = bundle.files, replace(bundle, files={})
        return bundle, {path: render_document(files.pop(path)) for path in sorted(files)}


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
