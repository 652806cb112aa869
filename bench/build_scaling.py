"""How `slogen build` grows with the number of SLOs: wall time and peak memory of the real CLI.

    python bench/build_scaling.py [1 100 1000 10000]     # or: make bench
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SLOGEN = [sys.executable, "-m", "generator"]


def spec(n: int) -> dict:
    """n SLOs, alternating availability and time-to-first-token, on the reference metrics."""
    slos = []
    for i in range(n):
        sli = {"availability": {}} if i % 2 == 0 else {"latency": {"signal": "ttft", "threshold": "3s"}}
        slos.append({"name": f"slo-{i:05d}", "objective": 99.5 if i % 2 == 0 else 95, "sli": sli})
    return {"version": 1, "service": "scale", "slos": slos}


def measure(n: int, folder: Path) -> tuple[float, float, int, str]:
    path = folder / f"slo-{n}.yaml"
    path.write_text(yaml.safe_dump(spec(n)))
    stats = folder / f"time-{n}"
    start = time.perf_counter()
    # GNU time reports the peak resident memory of this one build.
    command = ["/usr/bin/time", "-f", "%M", "-o", str(stats), *SLOGEN, "build", str(path), "--out", str(folder / f"out-{n}")]
    result = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=False)
    seconds = time.perf_counter() - start
    peak_mb = int(stats.read_text().split()[-1]) / 1024
    rules = sum(text.count("\n  - record:") + text.count("\n  - alert:") for text in _rule_texts(folder / f"out-{n}"))
    outcome = "built" if result.returncode == 0 else f"refused (exit {result.returncode})"
    return seconds, peak_mb, rules, outcome


def _rule_texts(out: Path) -> list[str]:
    return [p.read_text() for p in (out / "prometheus/rules").glob("*.yaml")] if out.exists() else []


def main(argv: list[str]) -> int:
    sizes = [int(a) for a in argv] or [1, 100, 1000, 10000]
    print("| SLOs | outcome | wall time | peak memory | rules |")
    print("|------|---------|-----------|-------------|-------|")
    with tempfile.TemporaryDirectory(prefix="slogen-scale-") as tmp:
        for n in sizes:
            seconds, peak, rules, outcome = measure(n, Path(tmp))
            print(f"| {n} | {outcome} | {seconds:.2f} s | {peak:.0f} MB | {rules} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
