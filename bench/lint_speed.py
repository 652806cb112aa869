"""`slogen lint` wall time: the reference spec, a 100-SLO spec of three shapes, a 20-service folder;
then the whole test suite as `make test` runs it.

promtool proves each SLO shape once, and a folder's services of one template once
(generator/tools/lint/proof.py), so lint time follows the number of shapes, not of SLOs. Each
figure is one run of the real command on this machine, build included (the gate's drift check
builds the spec). `--no-tests` leaves the test suite out (it takes a quarter of an hour).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SLOGEN = Path(sys.executable).parent / "slogen"
TARGETS = {"reference": 30, "100 SLOs": 60, "20 services": 180}
TEST_TARGET = 15 * 60


def reference() -> str:
    return (ROOT / "slo.yaml").read_text(encoding="utf-8")


def repeated(slos: int, service: str = "claude-assistant") -> str:
    """The reference spec with its three SLOs repeated under numbered names, to `slos` SLOs in all (Kubernetes
    objects included: a large service's rules are split into PrometheusRules client-side apply takes)."""
    text = reference().replace("service: claude-assistant", f"service: {service}")
    head, rest = text.split("\nslos:\n", 1)
    body, tail = re.split(r"\n(?=budgets:)", rest, maxsplit=1)
    entries = re.split(r"(?m)^(?=  - name: )", body)
    shapes = [e for e in entries if e.strip()]
    out = []
    for i in range(slos):
        shape = shapes[i % len(shapes)]
        out.append(re.sub(r"^  - name: (\S+)", lambda m: f"  - name: {m.group(1)}-{i // len(shapes)}", shape))
    return f"{head}\nslos:\n{''.join(out)}\n{tail}"


def lint(spec: Path, out: Path) -> float:
    subprocess.run([str(SLOGEN), "build", str(spec), "--out", str(out)], check=True, capture_output=True)
    start = time.perf_counter()
    result = subprocess.run([str(SLOGEN), "lint", str(spec), "--out", str(out)], capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit(f"slogen lint {spec} failed:\n{result.stdout}{result.stderr}")
    return took


def main() -> None:
    print(f"slogen lint wall time on {os.cpu_count()} cores, promtool {_promtool_version()}")
    print("Sloth: `sloth validate` only parses specs and runs no rule tests; Sloth is not installable here")
    print("(no Debian or PyPI package), so no Sloth figure is printed rather than a guessed one.\n")
    print(f"{'spec':<14}{'SLOs':>6}{'slogen lint':>14}{'target':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        cases = {}
        (root / "ref.yaml").write_text(reference(), encoding="utf-8")
        cases["reference"] = (root / "ref.yaml", 3)
        (root / "many.yaml").write_text(repeated(100), encoding="utf-8")
        cases["100 SLOs"] = (root / "many.yaml", 100)
        folder = root / "slos"
        folder.mkdir()
        for i in range(20):
            (folder / f"svc-{i:02}.yaml").write_text(repeated(3, f"svc-{i:02}"), encoding="utf-8")
        cases["20 services"] = (folder, 60)
        for name, (spec, count) in cases.items():
            took = lint(spec, root / f"out-{name.replace(' ', '-')}")
            verdict = "ok" if took < TARGETS[name] else "OVER"
            print(f"{name:<14}{count:>6}{took:>13.1f}s{TARGETS[name]:>8}s  {verdict}", flush=True)
    if "--no-tests" not in sys.argv:
        suite()


def suite() -> None:
    """`make test` itself (its workers are the Makefile's to choose), timed whole."""
    start = time.perf_counter()
    result = subprocess.run(["make", "-s", "test"], cwd=ROOT, capture_output=True, text=True, check=False)
    took = time.perf_counter() - start
    summary = (result.stdout.strip().splitlines() or ["no output"])[-1].strip("= ")
    verdict = "FAILED" if result.returncode != 0 else "ok" if took < TEST_TARGET else "OVER"
    print(f"\nmake test: {summary}; {took / 60:.1f} min, target {TEST_TARGET // 60} min  {verdict}")


def _promtool_version() -> str:
    try:
        return subprocess.run(["promtool", "--version"], capture_output=True, text=True, check=False).stdout.split()[2]
    except (OSError, IndexError):
        return "not found"


if __name__ == "__main__":
    main()
