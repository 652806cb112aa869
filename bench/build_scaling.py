"""How slogen grows with the number of SLOs: the real CLI's wall time and peak memory, the bundle it
writes, and how long promtool takes to run the generated tests.

    python bench/build_scaling.py [--sizes 1,100,1000,10000] [--promtool 1,5,10]     # or: make bench
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SLOGEN = [sys.executable, "-m", "generator"]


def spec(n: int, distinct: bool = False) -> dict:
    """n SLOs, alternating availability and time-to-first-token, on the reference metrics: two shapes
    under many names. `distinct` gives each a description with double quotes, which the writers
    escape, so each SLO is compiled on its own instead of filled into its shape's (generator.stencil):
    the worst case."""
    slos = []
    for i in range(n):
        sli = {"availability": {}} if i % 2 == 0 else {"latency": {"signal": "ttft", "threshold": "3s"}}
        slos.append({"name": f"slo-{i:05d}", "objective": 99.5 if i % 2 == 0 else 95, "sli": sli})
        if distinct:
            slos[-1]["description"] = f'Synthetic SLO "{i}"'
    return {"version": 1, "service": "scale", "slos": slos}


def _tree_rss_kb(pid: int) -> int:
    """Resident memory of a process and every process under it (shared pages counted in each
    process, so a forked worker's copy-on-write pages count twice: an upper bound)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as f:
            rss = next((int(line.split()[1]) for line in f if line.startswith("VmRSS:")), 0)
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as f:
            children = [int(c) for c in f.read().split()]
    except OSError:
        return 0
    return rss + sum(_tree_rss_kb(c) for c in children)


def build(n: int, folder: Path, name: str = "", distinct: bool = False) -> tuple[float, float, str, Path]:
    """Wall time and peak memory of one CLI build into folder/out-<n><name>; the peak sums the build's
    processes (a large spec's tests and runbooks are written by two more), sampled every 20 ms."""
    kind = "-distinct" if distinct else ""
    path = folder / f"slo-{n}{kind}.yaml"
    path.write_text(yaml.safe_dump(spec(n, distinct)))
    out = folder / f"out-{n}{kind}{name}"
    # Past the default guard the benchmark asks for the build on purpose, as a user with that many SLOs would.
    command = [*SLOGEN, "build", str(path), "--out", str(out), "--max-slos", str(max(n, 1))]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT)
    peak = 0
    while process.poll() is None:
        peak = max(peak, _tree_rss_kb(process.pid))
        time.sleep(0.02)
    seconds = time.perf_counter() - start
    _, stderr = process.communicate()
    outcome = "built" if process.returncode == 0 else f"failed (exit {process.returncode}): {stderr.strip()[-200:]}"
    return seconds, peak / 1024, outcome, out


def _size_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1e6 if folder.exists() else 0.0


def _count(folder: Path, glob: str, *markers: str) -> int:
    return sum(p.read_text().count(m) for p in folder.glob(glob) for m in markers) if folder.exists() else 0


def machine_speed() -> float:
    """Seconds this machine takes for a fixed pure-Python loop: wall times here swing by a third from
    hour to hour (a shared VM), and this says which kind of hour a run was."""
    start = time.perf_counter()
    total = 0
    for i in range(10**7):
        total += i
    return time.perf_counter() - start


def _memory_folder() -> str | None:
    """A tmpfs, where a build's wall time is the compiler's own: this VM's ext4 spends up to a
    millisecond of kernel time creating each file for minutes after thousands were deleted (its
    inode allocator skips recently deleted inodes, `recently_deleted` in a perf profile)."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK) else None


def _median_build(n: int, folder: Path, repeat: int, rebuild: bool = False, distinct: bool = False) -> tuple[float, float, str, Path]:
    """The median of `repeat` builds (one past 1,000 SLOs): each into a folder of its own, or with
    `rebuild` each replacing the bundle the one before wrote, as `make build` does."""
    runs = []
    if rebuild:
        build(n, folder, "-again", distinct)
    for k in range(repeat if n <= 1000 else 1):
        runs.append(build(n, folder, "-again" if rebuild else f"-{k}", distinct))
        if runs[-1][2] != "built":
            break
    return statistics.median(r[0] for r in runs), max(r[1] for r in runs), runs[-1][2], runs[-1][3]


def scaling(sizes: list[int], repeat: int, distinct: list[int]) -> None:
    print(f"machine: a 10^7-step Python loop takes {machine_speed():.2f} s; builds up to 1,000 SLOs are the median of {repeat} runs")
    print()
    print("| SLOs | outcome | wall time (tmpfs) | first build (disk) | rebuild (disk) | each added SLO (tmpfs) | peak memory | rules | test cases | bundle |")
    print("|------|---------|-------------------|--------------------|----------------|------------------------|-------------|-------|------------|--------|")
    previous: tuple[int, float] | None = None
    # Nothing is deleted until the end: this VM's ext4 makes file creation slow for minutes after
    # thousands of deletions, which only the rebuild column (replacing a bundle deletes one) is about.
    with tempfile.TemporaryDirectory(prefix="slogen-scale-") as disk, tempfile.TemporaryDirectory(prefix="slogen-scale-", dir=_memory_folder()) as memory:
        for n, alone in [*((n, False) for n in sizes), *((n, True) for n in distinct)]:
            seconds, peak, outcome, out = _median_build(n, Path(memory), repeat, distinct=alone)
            first, first_peak, first_outcome, _ = _median_build(n, Path(disk), repeat, distinct=alone)
            again, again_peak, again_outcome, _ = _median_build(n, Path(disk), repeat, rebuild=True, distinct=alone)
            failed = [o for o in (first_outcome, again_outcome) if o != "built"]
            outcome = outcome if not failed else f"{outcome}; on disk {failed[0]}"
            rules = _count(out, "prometheus/rules/*.yaml", "\n  - record:", "\n  - alert:")
            cases = _count(out, "prometheus/tests/*.yaml", "\n- name:")
            # The growth between rows, so the start-up of the first build does not hide it.
            added = f"{(seconds - previous[1]) / (n - previous[0]) * 1000:.1f} ms" if previous and n > previous[0] and not alone else "-"
            print(
                f"| {n:,}{', each on its own' if alone else ''} | {outcome} | {seconds:.2f} s | {first:.2f} s | {again:.2f} s | {added} "
                f"| {max(peak, first_peak, again_peak):,.0f} MB | {rules:,} | {cases:,} | {_size_mb(out):.1f} MB |"
            )
            if not alone:
                previous = (n, seconds)


def promtool(sizes: list[int]) -> None:
    """promtool evaluates every rule group at every step of every test case: the suite must grow linearly."""
    if shutil.which("promtool") is None:
        print("promtool not installed: skipped (make tools)")
        return
    print("| SLOs | promtool test rules | per SLO | result |")
    print("|------|---------------------|---------|--------|")
    with tempfile.TemporaryDirectory(prefix="slogen-promtool-") as tmp:
        for n in sizes:
            _, _, outcome, out = build(n, Path(tmp))
            if outcome != "built":
                print(f"| {n} | - | - | {outcome} |")
                continue
            tests = sorted(str(p) for p in (out / "prometheus/tests").glob("*.yaml"))
            start = time.perf_counter()
            result = subprocess.run(["promtool", "test", "rules", *tests], capture_output=True, text=True, check=False)
            seconds = time.perf_counter() - start
            verdict = "pass" if result.returncode == 0 else f"FAIL (exit {result.returncode})"
            print(f"| {n} | {seconds:.1f} s | {seconds / n:.1f} s | {verdict} |")


def _ints(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=_ints, default=[1, 100, 1000, 10000], help="SLO counts to build")
    parser.add_argument("--distinct", type=_ints, default=[1000], help="SLO counts to build again with every SLO compiled on its own")
    parser.add_argument("--repeat", type=int, default=3, help="builds per size up to 1,000 SLOs (the median is shown)")
    parser.add_argument("--promtool", type=_ints, default=[1, 5, 10], help="SLO counts whose generated tests promtool runs")
    args = parser.parse_args(argv)
    scaling(args.sizes, max(1, args.repeat), args.distinct)
    if args.promtool:
        print()
        promtool(args.promtool)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
