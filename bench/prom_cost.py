"""Prometheus cost, slogen against Sloth: one real Prometheus over backfilled data, both rule sets loaded.

Data: `claude_api_requests_total` for 5 models x 20 features x 8 status codes (800 series) at a 1m
scrape for the last 3.5 days (the longest raw window either rule set reads is Sloth's 3d), plus
30 days of the SLI recordings each rule set's long windows read back in time, as they would be
after a month in production. Both rule sets protect the same availability SLO (99.5%, 30d).
Prometheus evaluates both every minute; the figures are Prometheus' own per-group evaluation
times (`/api/v1/rules`, the same numbers as `prometheus_rule_group_last_duration_seconds`).

    python bench/prom_cost.py [--cycles 3]      # or: make bench
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from alert_quality import REQUESTS as METRIC, sloth_rules  # noqa: E402

from generator import pipeline  # noqa: E402
from generator.harness.stack import HOST, free_port, wait_for  # noqa: E402
from generator.write import write  # noqa: E402

# The same availability SLO as Sloth's example, nothing else: rule cost compared like for like.
SPEC = """\
version: 1
service: bench
slos:
  - name: availability
    objective: 99.5
    window: 30d
    sli: {availability: {}}
budgets: {rate_limits: {enabled: false}}
alerts:
  ttft_p95: {enabled: false}
  error_burst: {enabled: false}
  server_errors: {enabled: false}
  truncations: {enabled: false}
  cache_reads: {enabled: false}
  output_speed: {enabled: false}
"""

MODELS = [f"claude-model-{i}" for i in range(5)]
FEATURES = [f"feature-{i:02d}" for i in range(20)]
STATUSES = ["200", "400", "404", "429", "500", "503", "529", "timeout"]
RAW_MINUTES = int(3.5 * 1440)
RECORDED_DAYS = 30
# The SLI recordings each rule set's long windows read back in time, with the labels its rules give them:
# slogen's composed windows read their pieces at offsets up to 27 days, Sloth's 30d averages its 5m ratio.
RECORDINGS = {
    "slogen": [
        (f'slo:sli_{kind}:rate{w}{{service="bench",slo="availability"}}', value)
        for w in ("1h", "2h", "6h", "1d", "3d")
        for kind, value in (("error", 0.05), ("total", 10.0))
    ],
    "sloth": [
        (
            'slo:sli_error:ratio_rate5m{cmd="examplesgen.sh",owner="myteam",repo="myorg/myservice",sloth_id="myservice-requests-availability",'
            'sloth_service="myservice",sloth_slo="requests-availability",sloth_window="5m",tier="2"}',
            0.005,
        )
    ],
}


def slogen_rules(folder: Path) -> Path:
    spec = folder / "slo.yaml"
    spec.write_text(SPEC)
    _, rendered = pipeline.build(spec)
    write(folder / "out", rendered)
    return next((folder / "out/prometheus/rules").glob("*.yaml"))


def raw_series(path: Path, now: int) -> int:
    """The exporter's counters for the last 3.5 days; returns the number of samples."""
    start = now - RAW_MINUTES * 60
    with path.open("w") as out:
        out.write(f"# TYPE {METRIC.removesuffix('_total')} counter\n")
        for m in MODELS:
            for f in FEATURES:
                for i, s in enumerate(STATUSES):
                    per_minute = 30 if s == "200" else 1 + i % 3
                    name = f'{METRIC}{{model="{m}",feature="{f}",status_code="{s}"}}'
                    out.writelines(f"{name} {k * per_minute} {start + k * 60}\n" for k in range(RAW_MINUTES))
        out.write("# EOF\n")
    return len(MODELS) * len(FEATURES) * len(STATUSES) * RAW_MINUTES


def recorded_series(path: Path, now: int) -> int:
    """30 days of each rule set's 5m SLI recordings (kept apart: the importer re-reads its input per 2h block)."""
    start = now - RECORDED_DAYS * 86400
    count = 0
    with path.open("w") as out:
        for rules in RECORDINGS.values():
            for name, value in rules:
                out.writelines(f"{name} {value} {t}\n" for t in range(start, now, 60))
                count += RECORDED_DAYS * 1440
        out.write("# EOF\n")
    return count


def backfill(folder: Path, now: int) -> tuple[int, Path]:
    data = folder / "tsdb"
    samples = 0
    for make, name in ((raw_series, "raw.om"), (recorded_series, "recorded.om")):
        source = folder / name
        samples += make(source, now)
        subprocess.run(["promtool", "tsdb", "create-blocks-from", "openmetrics", "-q", str(source), str(data)], check=True)
        source.unlink()
    return samples, data


def rules_api(url: str) -> list[dict]:
    with urllib.request.urlopen(f"{url}/api/v1/rules", timeout=10) as r:
        return json.load(r)["data"]["groups"]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cycles", type=int, default=3, help="evaluation cycles to average")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="slogen-promcost-") as tmp:
        folder = Path(tmp)
        rule_sets = {"slogen": slogen_rules(folder), "sloth": sloth_rules(folder)}

        now = int(time.time()) // 60 * 60
        t0 = time.perf_counter()
        samples, data = backfill(folder, now)
        print(f"backfilled {samples:,} samples ({len(MODELS) * len(FEATURES) * len(STATUSES)} raw series) in {time.perf_counter() - t0:.0f} s")
        port = free_port()
        config = folder / "prometheus.yml"
        config.write_text(json.dumps({"global": {"evaluation_interval": "1m"}, "rule_files": [str(p) for p in rule_sets.values()]}))
        log = (folder / "prometheus.log").open("w")
        proc = subprocess.Popen(
            ["prometheus", f"--config.file={config}", f"--storage.tsdb.path={data}", f"--web.listen-address={HOST}:{port}", "--storage.tsdb.retention.time=60d"],
            stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            url = f"http://{HOST}:{port}"
            wait_for(lambda: _ready(url), 120, "Prometheus ready")
            seen: dict[str, list[tuple[str, float]]] = {name: [] for name in rule_sets}  # (minute, seconds) per group evaluation
            last: dict[str, str] = {}
            deadline = time.monotonic() + 70 * (args.cycles + 1)
            while time.monotonic() < deadline and min(len(v) for v in seen.values()) < args.cycles:
                for group in rules_api(url):
                    owner = "sloth" if group["file"] == str(rule_sets["sloth"]) else "slogen"
                    stamp = group.get("lastEvaluation", "")
                    if stamp.startswith("0001") or last.get(group["name"]) == stamp:
                        continue
                    last[group["name"]] = stamp
                    seen[owner].append((stamp[:16], group["evaluationTime"]))
                time.sleep(5)
            written = _samples_written(url, rule_sets)
        finally:
            proc.terminate()
            proc.wait(timeout=30)
        rows = {}
        for name, evals in seen.items():
            per_cycle: dict[str, float] = {}
            for minute, seconds in evals:
                per_cycle[minute] = per_cycle.get(minute, 0.0) + seconds
            cycles = sorted(per_cycle.values())
            rows[name] = (sum(cycles) / len(cycles) if cycles else float("nan"), len(cycles))
        counts = {name: _rule_count(path) for name, path in rule_sets.items()}
        print("| rules | rules (recording) | samples written per cycle | evaluation time per cycle (mean) | cycles |")
        print("|-------|-------------------|---------------------------|----------------------------------|--------|")
        for name in rule_sets:
            mean, n = rows[name]
            print(f"| {name} | {counts[name][0]} ({counts[name][1]}) | {written[name]:g} | {mean * 1000:.1f} ms | {n} |")
        ratio = rows["slogen"][0] / rows["sloth"][0]
        print(f"slogen / Sloth evaluation time: {ratio:.2f}")
    return 0


def _samples_written(url: str, rule_sets: dict[str, Path]) -> dict[str, float]:
    """prometheus_rule_group_last_evaluation_samples, summed per rule set."""
    with urllib.request.urlopen(f"{url}/metrics", timeout=10) as r:
        text = r.read().decode()
    out = {name: 0.0 for name in rule_sets}
    for line in text.splitlines():
        if line.startswith("prometheus_rule_group_last_evaluation_samples{"):
            labels, value = line.rsplit(" ", 1)
            out["sloth" if str(rule_sets["sloth"]) in labels else "slogen"] += float(value)
    return out


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _rule_count(path: Path) -> tuple[int, int]:
    import yaml

    doc = yaml.safe_load(path.read_text())
    rules = [r for g in doc["groups"] for r in g["rules"]]
    return len(rules), sum(1 for r in rules if "record" in r)


if __name__ == "__main__":
    raise SystemExit(main())
