"""promtool/check-rules and promtool/test-rules: the real Prometheus tools decide."""

from __future__ import annotations

import os
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path, PurePosixPath

from generator import conventions as conv
from generator.tools.lint import proof
from generator.tools.lint.base import Check, Context, Problem, Severity

TIMEOUT = 900
MISSING = "promtool not found; `make test` installs it (Debian package prometheus)"


class _Promtool(Check):
    """Run promtool once per call that `calls` lists, side by side up to the machine's cores; any
    non-zero exit is a problem at that place."""

    severity = Severity.BUG
    pattern: str

    def calls(self, ctx: Context, files: list[Path], scratch: Path) -> tuple[list[tuple[str, list[str]]], list[Problem]]:
        """(where, promtool's arguments) of each run, and what to report besides."""
        raise NotImplementedError

    def run(self, ctx: Context) -> list[Problem]:
        files = ctx.files(self.pattern)
        if not files:
            return [self.problem(ctx.out, f"no files match {self.pattern}")]
        needs = next((s.profile.needs for s in ctx.services if s.profile.needs), "")
        if needs:
            # Debian's promtool is Prometheus 2: it cannot parse what only a newer Prometheus reads.
            return [Problem(self.name, Severity.INFO, "promtool", f"skipped: the bundle needs {needs}; run this check with its promtool")]
        promtool = ctx.tools.get("promtool")
        if not promtool:
            return [self.problem("promtool", MISSING)]
        with tempfile.TemporaryDirectory(prefix="slogen-lint-") as scratch:
            calls, notes = self.calls(ctx, files, Path(scratch))

            def one(call: tuple[str, list[str]]) -> Problem | None:
                where, args = call
                result = subprocess.run([promtool, *args], capture_output=True, text=True, timeout=TIMEOUT, check=False)
                return self.problem(where, (result.stdout + result.stderr).strip()) if result.returncode != 0 else None

            with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:  # each run is a process of its own
                found = [p for p in pool.map(one, calls) if p is not None]
        return found + notes


class CheckRules(_Promtool):
    name = "promtool/check-rules"
    pattern = "prometheus/rules/*.yaml"

    def calls(self, ctx: Context, files: list[Path], scratch: Path) -> tuple[list[tuple[str, list[str]]], list[Problem]]:
        return [(str(files[0].parent), ["check", "rules", "--lint=all", "--lint-fatal", *map(str, files)])], []


class TestRules(_Promtool):
    """Each SLO shape's tests once (generator.tools.lint.proof) when the spec is at hand and the
    rule files are as the build writes them; otherwise each test file as it is."""

    name = "promtool/test-rules"
    pattern = "prometheus/tests/*.yaml"

    def calls(self, ctx: Context, files: list[Path], scratch: Path) -> tuple[list[tuple[str, list[str]]], list[Problem]]:
        calls: list[tuple[str, list[str]]] = []
        notes: list[Problem] = []
        whole = set(files)
        planned = [(s, runs) for s in (ctx.services if ctx.rendered is not None else ()) if (runs := _proofs(ctx, s)) is not None]
        for service, _ in planned:
            whole.discard(ctx.out / conv.rules_test_file(service.name))
        for service, runs, others in proof.fleet(planned):
            for i, run in enumerate(runs):
                calls.append((run.named, ["test", "rules", str(run.write(scratch / f"{service.name}-{i}"))]))
            notes.append(Problem(self.name, Severity.INFO, service.name, proof.coverage(service, runs, others)))
        calls += [(str(path), ["test", "rules", str(path)]) for path in sorted(whole)]
        return calls, notes


def _proofs(ctx: Context, service) -> list[proof.Proof] | None:  # noqa: ANN001 - a ResolvedService
    path = conv.rules_file(service.name)
    built = (ctx.rendered or {}).get(PurePosixPath(path.as_posix()))
    on_disk = ctx.out / path
    if built is None or not on_disk.is_file() or not (ctx.out / conv.rules_test_file(service.name)).is_file():
        return None
    return proof.proofs(service, on_disk.read_text(encoding="utf-8"), built.decode())
