"""The only code that touches out/: compare it, or replace slogen's folders in it atomically."""

from __future__ import annotations

import difflib
import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from generator import conventions as conv
from generator.errors import OutputError

try:
    import fcntl
except ImportError:  # not POSIX: builds into one out/ must not overlap
    fcntl = None  # type: ignore[assignment]


def current(out: Path) -> dict[PurePosixPath, bytes]:
    """What slogen's folders in out/ hold now."""
    settle(out)
    files = {}
    for top in conv.OWNED_DIRS:
        root = out / top
        if root.is_dir():
            for path in sorted(root.rglob("*")):
                if path.is_file():
                    files[PurePosixPath(path.relative_to(out).as_posix())] = path.read_bytes()
    return files


def drift(out: Path, rendered: dict[PurePosixPath, bytes]) -> list[str]:
    """Human-readable differences between out/ and a fresh build; empty when up to date."""
    have = current(out)
    lines: list[str] = []
    for path in sorted(set(have) | set(rendered)):
        old, new = have.get(path), rendered.get(path)
        if old == new:
            continue
        if old is None:
            lines.append(f"missing: {path}")
        elif new is None:
            lines.append(f"stale (no longer generated): {path}")
        else:
            diff = difflib.unified_diff(
                old.decode(errors="replace").splitlines(), new.decode(errors="replace").splitlines(),
                f"out/{path}", f"out/{path} (from spec)", lineterm="", n=2,
            )
            lines.extend(diff)
    return lines


def _owned(path: PurePosixPath) -> None:
    if path.is_absolute() or ".." in path.parts or not path.parts or path.parts[0] not in conv.OWNED_DIRS:
        raise OutputError(f"refusing to write outside slogen's folders: {path}")


class Staging:
    """The folder a build fills beside out/, swapped in whole by `staged` or dropped. A file goes in
    the moment it is rendered, so a large build never holds every file's bytes at once; a forked
    worker of the build may fill it too."""

    def __init__(self, root: Path, previous: Path | None = None) -> None:
        self.root = root
        self.previous = previous  # out/: a file whose bytes did not change is linked from there
        self._folders: set[Path] = set()  # made already: thousands of runbooks share one

    def put(self, path: PurePosixPath, data: bytes | Iterable[bytes]) -> None:
        _owned(path)
        target = self.root / path
        try:
            if target.parent not in self._folders:
                target.parent.mkdir(parents=True, exist_ok=True)
                self._folders.add(target.parent)
            if isinstance(data, bytes) and self._linked(path, target, data):
                return
            with open(target, "wb") as f:
                if isinstance(data, bytes):
                    f.write(data)
                else:
                    for chunk in data:
                        f.write(chunk)
        except OSError as exc:
            raise OutputError(f"could not write {path}: {exc.strerror or exc}; the previous bundle is unchanged") from None

    def _linked(self, path: PurePosixPath, target: Path, data: bytes) -> bool:
        """Link the previous bundle's file when it holds exactly `data`. A rebuild then makes no new
        file for what did not change and, swapping the old bundle out, deletes only a name: on ext4,
        creating files right after thousands were deleted costs up to a millisecond each."""
        if self.previous is None:
            return False
        old = self.previous / path
        try:
            if old.is_symlink() or not old.is_file() or old.stat().st_size != len(data) or old.read_bytes() != data:
                return False
            os.link(old, target)
        except OSError:  # no such file, or a file system without hard links: write it
            return False
        return True

    def count(self) -> int:
        """Files in the staging folder, whichever process put them there."""
        return sum(len(files) for _, _, files in os.walk(self.root))


# Everything a build keeps beside the bundle lives in this one folder of out/: the staging and backup
# folders and the journal of a swap. It holds a `.gitignore` of `*` from its first moment, so a
# build killed half-way never gets its scraps committed by `git add out`; the next build removes it.
WORK_DIR = ".slogen-swap"
JOURNAL = "journal.json"


@contextmanager
def staged(out: Path) -> Iterator[Staging]:
    """Replace slogen's folders under out/ with what the block puts in the staging folder; other
    files in out/ are left alone.

    A build holds an exclusive lock on out/ from start to end, so concurrent builds take turns and
    each swaps in a whole bundle. The swap renames one folder at a time, so it is written first as
    a journal: a build that dies mid-swap (a crash, SIGKILL) leaves the journal, and the next build,
    `--check` or lint completes the swap before anything else reads out/. A failure before the
    journal, or an error the swap can undo, leaves the previous bundle in place."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        lock = _lock(out)
    except OSError as exc:
        raise OutputError(f"cannot write the bundle to {out}: {exc.strerror or exc}; pass another --out") from None
    try:
        work = _recover(out)
        staging = Path(tempfile.mkdtemp(prefix="new-", dir=work))
        backup = Path(tempfile.mkdtemp(prefix="old-", dir=work))
        yield Staging(staging, previous=out)
        tops = [top for top in conv.OWNED_DIRS if (staging / top).exists()]
        if not tops:
            raise OutputError("nothing to write: the spec produced no files")
        _write_journal(work, {"staging": staging.name, "backup": backup.name, "tops": tops})
        try:
            _forward(out, staging, backup, tops)
        except OSError as exc:
            try:
                _back(out, staging, backup, tops)
                (work / JOURNAL).unlink()
            except OSError:
                raise OutputError(f"could not write {out}: {exc}; the next build completes the swap") from None
            raise OutputError(f"could not write {out}: {exc}; the previous bundle is unchanged") from None
        (work / JOURNAL).unlink()
    except OSError as exc:
        raise OutputError(f"could not write {out}: {exc.strerror or exc}; the previous bundle is unchanged") from None
    finally:
        if not (out / WORK_DIR / JOURNAL).exists():
            shutil.rmtree(out / WORK_DIR, ignore_errors=True)
        os.close(lock)


def settle(out: Path) -> None:
    """Complete a swap a killed build left half-done and drop its scraps, so out/ is read whole (by
    drift and lint). A build running meanwhile is waited for."""
    if (out / WORK_DIR).exists():
        lock = _lock(out)
        try:
            _recover(out)
            shutil.rmtree(out / WORK_DIR, ignore_errors=True)
        finally:
            os.close(lock)


def _lock(out: Path) -> int:
    """An exclusive lock on out/ itself: no lock file to commit or leave behind, and the kernel
    drops it when its holder dies, however it dies. Forked writers inherit it, so a build whose
    writers still run is never cleaned up by the next one."""
    fd = os.open(out, os.O_RDONLY)
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX)
    return fd


def _recover(out: Path) -> Path:
    """Under the lock: finish a journaled swap, drop every scrap of dead builds; the work folder, fresh."""
    work = out / WORK_DIR
    journal = work / JOURNAL
    if journal.exists():
        plan = json.loads(journal.read_text(encoding="utf-8"))
        _forward(out, work / plan["staging"], work / plan["backup"], plan["tops"])
    shutil.rmtree(work, ignore_errors=True)
    for leftover in out.glob(".slogen-[no][el][wd]-*"):  # scraps of builds before the journal
        shutil.rmtree(leftover, ignore_errors=True)
    work.mkdir()
    (work / ".gitignore").write_text("*\n", encoding="utf-8")
    return work


def _write_journal(work: Path, plan: dict) -> None:
    tmp = work / (JOURNAL + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(plan, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, work / JOURNAL)


def _forward(out: Path, staging: Path, backup: Path, tops: list[str]) -> None:
    """Move the new bundle in. Idempotent: each folder is in one of the states (new staged, old in
    out/), (new staged, old backed up), (new in out/, old backed up), so a rerun resumes where a
    killed run stopped."""
    for top in conv.OWNED_DIRS:
        if top in tops and not (staging / top).exists():
            continue  # already in
        if (out / top).exists() or (out / top).is_symlink():
            os.replace(out / top, backup / top)
        if top in tops:
            os.replace(staging / top, out / top)


def _back(out: Path, staging: Path, backup: Path, tops: list[str]) -> None:
    """Undo `_forward` from wherever it stopped, through the same states in reverse."""
    for top in conv.OWNED_DIRS:
        if top in tops and not (staging / top).exists() and (out / top).exists():
            os.replace(out / top, staging / top)
        if (backup / top).exists() or (backup / top).is_symlink():
            os.replace(backup / top, out / top)


def write(out: Path, rendered: dict[PurePosixPath, bytes]) -> None:
    """Replace slogen's folders under out/ with `rendered`, atomically (see `staged`)."""
    if not rendered:
        raise OutputError("nothing to write: the spec produced no files")
    for path in rendered:  # refuse before touching anything
        _owned(path)
    with staged(out) as stage:
        for path, data in rendered.items():
            stage.put(path, data)
