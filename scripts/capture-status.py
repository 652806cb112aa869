"""Capture `slogen status` for the README: the shipped slo.yaml in real Prometheus fed by the simulator,
an outage played, the terminal table saved as text and as a PNG (the text in a page, shot by headless chromium).

    .venv/bin/python scripts/capture-status.py docs/img/status
"""

from __future__ import annotations

import html
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from generator import conventions as conv
from generator.harness.demo import fast_bundle
from generator.harness.simulate import Simulator, Traffic
from generator.harness.stack import Stack, wait_for

ROOT = Path(__file__).resolve().parent.parent


def main(target: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        out = fast_bundle(ROOT / "slo.yaml", Path(tmp), 20)
        with Simulator(Traffic(rps=20, seed=5)) as sim, Stack.of(out, f"127.0.0.1:{sim.port}") as stack:
            wait_for(lambda: stack.query(conv.BUDGET_REMAINING), 90, "recordings")
            time.sleep(30)
            sim.traffic.fault = "latency"
            time.sleep(25)
            sim.traffic.fault = "outage"
            wait_for(lambda: stack.firing(severity="critical", slo="availability"), 120, "the page")
            time.sleep(10)
            command = [sys.executable, "-m", "generator", "status", str(Path(tmp) / "slo.yaml"), "--prometheus", stack.urls["prometheus"]]
            text = subprocess.run(command, capture_output=True, text=True, check=False).stdout
    shown = f"$ slogen status slo.yaml --prometheus http://127.0.0.1:9090\n{text}"
    target.with_suffix(".txt").write_text(shown)
    page = Path(tempfile.mkdtemp()) / "status.html"
    page.write_text("<html><body style='margin:0;background:#1e1e1e'><pre style='color:#ddd;font:14px DejaVu Sans Mono,monospace;"
                    f"padding:16px;margin:0'>{html.escape(shown)}</pre></body></html>")
    width = 12 + 9 * max(len(line) for line in shown.splitlines())
    subprocess.run([shutil.which("chromium") or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                    "--disable-component-update", "--no-first-run", f"--user-data-dir={tempfile.mkdtemp()}", "--hide-scrollbars",
                    f"--window-size={width},{60 + 20 * len(shown.splitlines())}", f"--screenshot={target.with_suffix('.png')}", page.as_uri()],
                   capture_output=True, check=True)
    print(shown)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
