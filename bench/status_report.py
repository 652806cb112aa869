"""How long `slogen report slo` takes for a month of 100 SLOs, and `slogen status` for 100 SLOs, against a
real local Prometheus.

A folder of 10 services (10 SLOs each: availability and time to first token, each service on its own
series through `metrics.selector`) gets 33 days of 1-minute counters backfilled with promtool, the
bundle's recordings that `status` reads written at the end of them, and the CLI timed end to end
(process start included). Targets from issue 28: the month's report under 10 s, status under 2 s.

    python bench/status_report.py [--services 10] [--slos-per-service 10] [--repeat 3]     # or: make bench
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import yaml

from generator import conventions as conv
from generator import repo
from generator.harness import backfill

SLOGEN = [sys.executable, "-m", "generator"]
MONTH = "2026-09"
START = datetime(2026, 8, 29, tzinfo=timezone.utc).timestamp()
END = datetime(2026, 10, 1, tzinfo=timezone.utc).timestamp()


def specs(folder: Path, services: int, per_service: int) -> None:
    for s in range(services):
        slos = []
        for i in range(per_service):
            sli = {"availability": {}} if i % 2 == 0 else {"latency": {"signal": "ttft", "threshold": "3s"}}
            slos.append({"name": f"slo-{i:03d}", "objective": 99.5 if i % 2 == 0 else 95, "sli": sli})
        spec = {"version": 1, "service": f"svc-{s:03d}", "metrics": {"profile": "prometheus-client", "scrape_interval": "1m", "selector": {"app": f"svc-{s:03d}"}},
                "slos": slos}
        (folder / f"svc-{s:03d}.yaml").write_text(yaml.safe_dump(spec))


def history(path: Path, services: int) -> None:
    minutes = range(1, int((END - START) // 60) + 1)

    def counter(per_minute, phase: int) -> list[tuple[float, float]]:  # noqa: ANN001
        value, out = 0.0, []
        for k in minutes:
            value += per_minute(k + phase)
            out.append((START + 60 * k, value))
        return out

    requests, ttft = [], []
    for s in range(services):
        app = ("app", f"svc-{s:03d}")
        requests += [("claude_api_requests_total", (app, ("status_code", "200")), counter(lambda k: 100 + k % 7, s)),
                     ("claude_api_requests_total", (app, ("status_code", "500")), counter(lambda k: 1 if k % 9 == 0 else 0, s))]
        ttft += [("claude_api_ttft_seconds_bucket", (app, ("le", "3.0")), counter(lambda k: 98 + k % 7, s)),
                 ("claude_api_ttft_seconds_bucket", (app, ("le", "+Inf")), counter(lambda k: 100 + k % 7, s)),
                 ("claude_api_ttft_seconds_count", (app,), counter(lambda k: 100 + k % 7, s))]
    backfill.write_openmetrics(path, {"claude_api_requests": ("counter", requests), "claude_api_ttft_seconds": ("histogram", ttft)})


def recordings(path: Path, folder: Path) -> None:
    """What `status` reads, for every SLO, as samples over the last hour of the history (what the bundle's rules record)."""
    series = {conv.OBJECTIVE: [], conv.BUDGET_REMAINING: [], conv.sli_error_ratio("1h"): [], conv.sli_error_ratio("6h"): []}
    times = [END - 60 * k for k in range(60, -1, -1)]
    for _, service in repo.load_all(folder):
        for slo in service.slos:
            ident = ((conv.LABEL_SERVICE, service.name), (conv.LABEL_SLO, slo.name))
            values = {conv.OBJECTIVE: float(slo.objective) / 100, conv.BUDGET_REMAINING: 0.6, conv.sli_error_ratio("1h"): 0.002,
                      conv.sli_error_ratio("6h"): 0.001}
            for name, value in values.items():
                series[name].append((name, ident, [(t, value) for t in times]))
    backfill.write_openmetrics(path, {name: ("gauge", s) for name, s in series.items()})


def timed(args: list[str], repeat: int) -> tuple[float, str]:
    walls = []
    for _ in range(repeat):
        began = time.perf_counter()
        result = subprocess.run([*SLOGEN, *args], capture_output=True, text=True, check=False)
        walls.append(time.perf_counter() - began)
        if result.returncode not in (0, 1):
            raise SystemExit(f"slogen {' '.join(args[:2])} failed:\n{result.stderr}")
    return statistics.median(walls), result.stdout


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--services", type=int, default=10)
    parser.add_argument("--slos-per-service", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    a = parser.parse_args(argv)
    n = a.services * a.slos_per_service
    with tempfile.TemporaryDirectory(prefix="slogen-bench-report-") as tmp:
        work = Path(tmp)
        (work / "specs").mkdir()
        specs(work / "specs", a.services, a.slos_per_service)
        began = time.perf_counter()
        history(work / "history.om", a.services)
        recordings(work / "recordings.om", work / "specs")
        for name in ("history.om", "recordings.om"):
            backfill.create_blocks(work / name, work / "data")
        prepared = time.perf_counter() - began
        with backfill.serving(work / "data") as url:
            # status asks for "now": the history ends at END, so Prometheus is asked as of then.
            report, _ = timed(["report", "slo", str(work / "specs"), "--prometheus", url, "--month", MONTH, "--format", "html", "--out", str(work / "r.html")], a.repeat)
            status, rows = timed(["status", str(work / "specs"), "--prometheus", url, "--json", "--at", str(END)], a.repeat)
            sections = (work / "r.html").read_text().count("<section class='slo'")
            assert len(json.loads(rows)) == n and sections == n, (len(json.loads(rows)), sections)  # every SLO answered
    print(f"report and status against a local Prometheus: {n} SLOs in {a.services} services, 33 days of 1-minute samples "
          f"(backfilled in {prepared:.1f} s); median of {a.repeat} CLI runs, process start included")
    print(f"  report slo --month {MONTH} --format html   {report:6.2f} s   (target < 10 s)")
    print(f"  status                                       {status:6.2f} s   (target < 2 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
