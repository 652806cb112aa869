"""spec file -> resolved service -> bundle -> bytes: the stages in order, errors mapped once."""

from __future__ import annotations

import gc
import multiprocessing
import os
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path, PurePosixPath

from generator.compile import compile_bundle, compile_tests, tests_path
from generator.errors import SlogenError
from generator.ir import Bundle, RuleFile
from generator.render import render_bundle, render_chunks, render_document
from generator.resolve import ResolvedService, ResolveError, resolve
from generator.spec.load import load_spec
from generator.spec.models import MAX_SLOS
from generator.write import Staging, staged

# Past this many SLOs the generated tests (about half of a build's work) compile in a second
# process while this one compiles the rest; below it a fork costs more than it saves.
PARALLEL_FROM_SLOS = 200


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


def write_bundle(service: ResolvedService, out: Path, parallel_from: int = PARALLEL_FROM_SLOS) -> tuple[Bundle, int]:
    """Compile the bundle into out/ atomically, each file written as soon as it is rendered; the
    bundle comes back without its documents, with the number of files written."""
    with staged(out) as stage, _no_cycle_collection(), _beside_if(len(service.slos) >= parallel_from) as beside:
        if beside is not None:
            beside.start(lambda: _put(stage, tests_path(service), compile_tests(service)))
        bundle = compile_bundle(service, tests=beside is None)
        files, bundle = bundle.files, replace(bundle, files={})
        # The one large file last: creating thousands of small ones while it is flushed is slow.
        for path in sorted(files, key=lambda p: (isinstance(files[p], RuleFile), p)):
            _put(stage, path, files.pop(path))
        written = len(stage.written) + (beside.join() if beside is not None else 0)
    return bundle, written


@contextmanager
def _beside_if(wanted: bool) -> Iterator[_Beside | None]:
    if not wanted or (os.cpu_count() or 1) < 2:
        yield None
        return
    beside = _Beside()
    try:
        yield beside
    finally:
        beside.stop()


def _put(stage: Staging, path: PurePosixPath, doc) -> int:  # noqa: ANN001 - a Document
    stage.put(path, render_chunks(doc))
    return 1


class _Beside:
    """One job in a forked process: it inherits the resolved service instead of receiving a copy,
    and sends back only what it returns, or the error that stopped it."""

    def __init__(self) -> None:
        self._process: multiprocessing.process.BaseProcess | None = None

    def start(self, job: Callable[[], int]) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=self._run, args=(job, send), daemon=True)
        self._process.start()
        send.close()

    def stop(self) -> None:
        """Whatever happened in this process, the other one does not outlive the build."""
        if self._process is not None and self._process.is_alive():
            self._process.terminate()
        if self._process is not None:
            self._process.join()

    @staticmethod
    def _run(job: Callable[[], int], send) -> None:  # noqa: ANN001 - a Connection
        try:
            result = ("ok", job(), 0)
        except SlogenError as exc:
            result = ("error", str(exc), exc.exit_code)
        except BaseException:  # noqa: BLE001 - a bug: carry its traceback to the parent
            result = ("bug", traceback.format_exc(), 1)
        send.send(result)
        send.close()

    def join(self) -> int:
        assert self._process is not None
        try:
            status, value, code = self._receive.recv()
        except EOFError:  # it died without a word (killed, out of memory)
            status, value, code = "bug", "", 1
        self._process.join()
        if status == "ok":
            return value
        if status == "error":
            raise _Failed(value, code)
        raise RuntimeError(f"compiling the tests failed (exit code {self._process.exitcode}):\n{value}")


class _Failed(SlogenError):
    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


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
