"""The only code that touches out/: compare it, or replace slogen's folders in it atomically."""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from generator import conventions as conv
from generator.errors import OutputError


def current(out: Path) -> dict[PurePosixPath, bytes]:
    """What slogen's folders in out/ hold now."""
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


@contextmanager
def staged(out: Path) -> Iterator[Staging]:
    """Replace slogen's folders under out/ with what the block puts in the staging folder; other
    files in out/ are left alone. Each folder is swapped in by rename once the block succeeds, so a
    failure anywhere leaves the previous bundle in place."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".slogen-new-", dir=out))
        backup = Path(tempfile.mkdtemp(prefix=".slogen-old-", dir=out))
    except OSError as exc:
        raise OutputError(f"cannot write the bundle to {out}: {exc.strerror or exc}; pass another --out") from None
    try:
        yield Staging(staging, previous=out)
        if not any((staging / top).exists() for top in conv.OWNED_DIRS):
            raise OutputError("nothing to write: the spec produced no files")
        _swap(out, staging, backup)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        shutil.rmtree(backup, ignore_errors=True)


def _swap(out: Path, staging: Path, backup: Path) -> None:
    moved: list[str] = []
    try:
        for top in conv.OWNED_DIRS:
            if (out / top).exists():
                os.replace(out / top, backup / top)
            moved.append(top)
            if (staging / top).exists():
                os.replace(staging / top, out / top)
    except OSError as exc:
        for top in moved:  # put the previous bundle back
            if (out / top).exists():
                shutil.rmtree(out / top)
            if (backup / top).exists():
                os.replace(backup / top, out / top)
        raise OutputError(f"could not write {out}: {exc}; the previous bundle is unchanged") from None


def write(out: Path, rendered: dict[PurePosixPath, bytes]) -> None:
    """Replace slogen's folders under out/ with `rendered`, atomically (see `staged`)."""
    if not rendered:
        raise OutputError("nothing to write: the spec produced no files")
    for path in rendered:  # refuse before touching anything
        _owned(path)
    with staged(out) as stage:
        for path, data in rendered.items():
            stage.put(path, data)
