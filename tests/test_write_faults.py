"""The swap of out/ under faults: a build killed at every step of it, builds racing into one out/,
writers forked by a build that was killed. Each build runs in a process of its own, killed for real."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from generator.write import WORK_DIR, current, write

ROOT = Path(__file__).resolve().parent.parent

# Two bundles that differ in every way a swap must get right: a folder only the old one has, one only
# the new one has, files changed, added and removed in folders both have.
OLD = {"prometheus/rules/a.yml": "old\n", "alertmanager/am.yml": "old\n", "runbooks/X.md": "old\n", "kubernetes/k.yaml": "old\n"}
NEW = {"prometheus/rules/a.yml": "new\n", "alertmanager/am.yml": "new\n", "runbooks/Y.md": "new\n", "grafana/g.json": "new\n"}

# Runs write() in a child that SIGKILLs itself just before its k-th file-system step (k=0: never),
# or that slows every rename so that racing builds overlap.
CHILD = r"""
import json, os, shutil, signal, sys, time
from pathlib import Path, PurePosixPath
from generator import write as w

out, files, kill_at, pause = Path(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
steps = [0]

def step(real):
    def wrapped(*args, **kwargs):
        steps[0] += 1
        if steps[0] == kill_at:
            os.kill(os.getpid(), signal.SIGKILL)
        if pause:
            time.sleep(pause)
        return real(*args, **kwargs)
    return wrapped

for module, name in ((os, "replace"), (os, "fsync"), (os, "mkdir"), (shutil, "rmtree"), (os, "unlink")):
    setattr(module, name, step(getattr(module, name)))
w.write(out, {PurePosixPath(k): v.encode() for k, v in files.items()})
print(steps[0])
"""


def child(out: Path, files: dict[str, str], kill_at: int = 0, pause: float = 0.0) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(out), json.dumps(files), str(kill_at), str(pause)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )


def bundle(out: Path) -> dict[str, str]:
    return {p.as_posix(): data.decode() for p, data in current(out).items()}


def seed(out: Path) -> None:
    from pathlib import PurePosixPath

    write(out, {PurePosixPath(k): v.encode() for k, v in OLD.items()})
    (out / "README.md").write_text("the team's own notes\n")


def test_a_build_killed_at_any_step_leaves_the_old_bundle_or_the_new_one(tmp_path):
    total = child(tmp_path / "count", NEW)
    steps = int(total.communicate(timeout=60)[0])
    assert steps > 8  # the kill points below cover every step of a real run
    outcomes = set()
    for kill_at in range(1, steps + 1):
        out = tmp_path / f"k{kill_at}"
        seed(out)
        proc = child(out, NEW, kill_at)
        proc.communicate(timeout=60)
        assert proc.returncode == -signal.SIGKILL, f"step {kill_at} was never reached"
        # Whatever it left is invisible to git (the work folder ignores itself)...
        scraps = [p for p in out.iterdir() if p.name.startswith(".slogen")]
        assert all((p / ".gitignore").read_text() == "*\n" for p in scraps if any(p.iterdir())), kill_at
        # ...and the next reader finds one whole bundle, never a mix.
        seen = bundle(out)
        assert seen in (OLD, NEW), f"killed before step {kill_at}: {sorted(seen.items())}"
        outcomes.add("new" if seen == NEW else "old")
        assert (out / "README.md").read_text() == "the team's own notes\n"
        assert sorted(p.name for p in out.iterdir()) == sorted({k.split("/")[0] for k in seen} | {"README.md"}), kill_at
        # The next build goes through and cleans up.
        write(out, {__import__("pathlib").PurePosixPath(k): b"third\n" for k in NEW})
        assert bundle(out) == {k: "third\n" for k in NEW}
        assert not [p for p in out.iterdir() if p.name.startswith(".slogen")]
    assert outcomes == {"old", "new"}  # kills before the journal keep the old, after it the new


def test_scraps_of_a_killed_build_are_not_committed(tmp_path):
    if subprocess.run(["git", "--version"], capture_output=True).returncode != 0:
        pytest.skip("git not installed")
    out = tmp_path / "out"
    seed(out)
    proc = child(out, NEW, kill_at=6)  # mid-swap: the journal is written, some folders are moved
    proc.communicate(timeout=60)
    assert (out / WORK_DIR).is_dir()
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "add", "out"], check=True)
    listed = subprocess.run(["git", "-C", str(tmp_path), "ls-files"], capture_output=True, text=True, check=True).stdout
    assert ".slogen" not in listed


def test_racing_builds_each_swap_a_whole_bundle(tmp_path):
    out = tmp_path / "out"
    seed(out)
    bundles = [{k: f"build {i}\n" for k in (NEW if i % 2 else OLD)} for i in range(4)]
    procs = [child(out, files, pause=0.02) for files in bundles]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
    assert bundle(out) in bundles
    assert sorted(p.name for p in out.iterdir()) == sorted({k.split("/")[0] for k in bundle(out)} | {"README.md"})


WRITERS = r"""
import os, sys, time
from pathlib import Path
from generator import pipeline

spec, out, pids = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])

def endless(service, stage):
    (pids / str(os.getpid())).touch()
    while True:  # a writer that would outlive its build if nothing stopped it
        stage.put(pipeline.PurePosixPath("runbooks/endless.md"), b"x")
        time.sleep(0.01)

pipeline._write_runbooks = endless
pipeline._write_tests = endless
pipeline.write_bundle(pipeline.load(spec), out, parallel_from=1)
"""


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux") or (os.cpu_count() or 1) < 2, reason="forked writers: Linux, 2+ cores")
def test_forked_writers_die_with_their_build(tmp_path):
    pids, out = tmp_path / "pids", tmp_path / "out"
    pids.mkdir()
    build = subprocess.Popen([sys.executable, "-c", WRITERS, str(ROOT / "slo.yaml"), str(out), str(pids)], cwd=ROOT)
    deadline = time.monotonic() + 60
    while len(list(pids.iterdir())) < 2:
        assert time.monotonic() < deadline and build.poll() is None, "the writers never started"
        time.sleep(0.05)
    build.kill()
    build.wait()
    writers = [int(p.name) for p in pids.iterdir()]
    deadline = time.monotonic() + 30
    while any(_alive(pid) for pid in writers):
        assert time.monotonic() < deadline, "a forked writer outlived its build"
        time.sleep(0.05)
    # Nothing holds out/'s lock any more: the next build goes through and leaves no scraps.
    done = subprocess.run([sys.executable, "-m", "generator", "build", str(ROOT / "slo.yaml"), "--out", str(out)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert not [p for p in out.iterdir() if p.name.startswith(".slogen")]
    assert not (out / "runbooks" / "endless.md").exists()
