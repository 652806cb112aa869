"""spec file -> resolved service -> bundle -> bytes: the stages in order, errors mapped once."""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path, PurePosixPath

from generator.compile import Digest, all_runbooks, compile_bundle, compile_rest, compile_tests, parts, rules_path, runbook_path, tests_path
from generator.errors import SlogenError
from generator.ir import Bundle
from generator.render import render_bundle, render_chunks, render_document, rule_file_chunks
from generator.resolve import ResolvedService, ResolveError, resolve
from generator.spec.load import load_spec
from generator.spec.models import MAX_SLOS
from generator.write import Staging, staged

# Past this many SLOs the generated tests (about half of a build's work) and the runbooks are
# written by processes of their own while this one writes the rest; below it a fork costs more than it saves.
PARALLEL_FROM_SLOS = 200


def load(path: Path, max_slos: int = MAX_SLOS) -> ResolvedService:
    with _no_cycle_collection():
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
    """Compile the bundle into out/ atomically, each rule group rendered and written as soon as it is
    compiled, and let go; the bundle comes back without its documents, with the number of files written.

    A large spec's tests and its runbooks each go to a process of their own: the tests are half a
    build's work, and the runbooks thousands of small files whose creation, slow on some disks
    (a millisecond each here), then waits beside the rules instead of after them."""
    beside = len(service.slos) >= parallel_from and (os.cpu_count() or 1) > 1
    jobs = [lambda: _write_tests(service, stage), lambda: _write_runbooks(service, stage)]
    with staged(out) as stage, _no_cycle_collection(), _beside(jobs if beside else []) as others:
        digest = Digest(service)
        stage.put(rules_path(service), rule_file_chunks(digest.add(p).group for p in parts(service, slo_runbooks=False)))
        for path, doc in sorted(compile_rest(service, digest).items()):
            stage.put(path, render_chunks(doc))
        if not beside:
            for job in jobs:
                job()
        for other in others:
            other.join()
        written = stage.count()
    return Bundle(files={}, warnings=(*service.warnings, *digest.notes)), written


def _write_tests(service: ResolvedService, stage: Staging) -> None:
    stage.put(tests_path(service), render_chunks(compile_tests(service)))


def _write_runbooks(service: ResolvedService, stage: Staging) -> None:
    for runbook in all_runbooks(service):
        stage.put(runbook_path(runbook), render_document(runbook))


@contextmanager
def _beside(jobs: list[Callable[[], None]]) -> Iterator[list[_Beside]]:
    """Each job in a process of its own; none outlives the block."""
    others: list[_Beside] = []
    try:
        for job in jobs:
            others.append(_Beside(job))
        yield others
    finally:
        for other in others:
            other.stop()


class _Beside:
    """One job in a forked process: it inherits the resolved service instead of receiving a copy,
    and sends back only whether it succeeded, or the error that stopped it."""

    def __init__(self, job: Callable[[], None]) -> None:
        context = multiprocessing.get_context("fork")
        self._receive, send = context.Pipe(duplex=False)
        self._process = context.Process(target=self._run, args=(job, send, os.getpid()), daemon=True)
        self._process.start()
        send.close()

    def stop(self) -> None:
        if self._process.is_alive():
            self._process.terminate()
        self._process.join()

    @staticmethod
    def _run(job: Callable[[], None], send, parent: int) -> None:  # noqa: ANN001 - a Connection
        _die_with(parent)
        try:
            job()
            result = ("ok", "", 0)
        except SlogenError as exc:
            result = ("error", str(exc), exc.exit_code)
        except BaseException:  # noqa: BLE001 - a bug: carry its traceback to the parent
            result = ("bug", traceback.format_exc(), 1)
        send.send(result)
        send.close()

    def join(self) -> None:
        try:
            status, value, code = self._receive.recv()
        except EOFError:  # it died without a word (killed, out of memory)
            status, value, code = "bug", "", 1
        self._process.join()
        if status == "error":
            raise _Failed(value, code)
        if status == "bug":
            raise RuntimeError(f"compiling the tests failed (exit code {self._process.exitcode}):\n{value}")


def _die_with(parent: int) -> None:
    """A writer whose build was killed must stop too: it would go on filling a staging folder the
    next build is about to clean, and hold out/'s lock. Linux kills it when its parent dies; the
    parent may have died before this line ran."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: daemon processes still end with a parent that exits
        pass
    if os.getppid() != parent:
        os._exit(1)


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
