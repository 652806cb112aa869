"""`slogen demo`: the bundle of a spec in real Prometheus and Alertmanager, fed by simulated traffic with faults.

Clocks are made fast (1s scrapes, 5s rule evaluation, seconds-long holds) so incidents show
within a minute; routing, receivers, objectives and windows stay the spec's own.
"""

from __future__ import annotations

import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from generator import pipeline
from generator.harness.simulate import Simulator, Traffic
from generator.harness.stack import Stack
from generator.write import write

# Simulated traffic costs about this much a second; a budget of twice the pace keeps it at half pace.
SIMULATED_USD_PER_REQUEST = 0.00038


def fast_clocks(spec: dict, rps: float) -> dict:
    """The spec with its clocks sped up for a live run; what it protects and who it tells are unchanged."""
    spec = {**spec, "metrics": {**spec.get("metrics", {}), "scrape_interval": "1s", "evaluation_interval": "5s"}}
    spec["alerting"] = {**spec.get("alerting", {}), "nodata_for": "20s"}
    alerts = dict(spec.get("alerts", {}))
    alerts["ttft_p95"] = {**alerts.get("ttft_p95", {}), "warning_for": "10s", "critical_for": "10s"}
    # The failure-mode alerts' windows are fixed (2m, 5m, 15m); only their holds are the spec's to shorten.
    for name in ("credentials", "model_not_found", "upstream_degraded"):
        alerts[name] = {**alerts.get(name, {}), "for": "10s"}
    alerts["client_errors"] = {**alerts.get("client_errors", {}), "for": "10s", "critical_for": "10s"}
    spec["alerts"] = alerts
    budgets = dict(spec.get("budgets", {}))
    if budgets.get("cost"):
        cost = dict(budgets["cost"])
        monthly = round(2 * rps * SIMULATED_USD_PER_REQUEST * 30 * 86400)
        scale = monthly / cost["monthly_usd"]
        # Allocations keep their share of the service's budget.
        cost["allocations"] = {k: {**a, "monthly_usd": a["monthly_usd"] * scale} for k, a in cost.get("allocations", {}).items()}
        budgets["cost"] = {**cost, "monthly_usd": monthly}
    if "rate_limits" in budgets:  # a spec that never asked for them may lack the gauges
        budgets["rate_limits"] = {**budgets["rate_limits"], "throttled_for": "10s", "warning_for": "10s", "critical_for": "10s"}
    spec["budgets"] = budgets
    return spec


def fast_bundle(spec: Path, folder: Path, rps: float) -> Path:
    """Build the fast-clock bundle of `spec` into `folder`/out and return that."""
    fast = folder / "slo.yaml"
    fast.write_text(yaml.safe_dump(fast_clocks(yaml.safe_load(spec.read_text(encoding="utf-8")), rps)), encoding="utf-8")
    _, rendered = pipeline.build(fast)
    write(folder / "out", rendered)
    return folder / "out"


def run(spec: Path, faults: list[str], seconds_each: float, rps: float, say: Callable[[str], None]) -> None:
    with tempfile.TemporaryDirectory(prefix="slogen-demo-") as tmp:
        out = fast_bundle(spec, Path(tmp), rps)
        with Simulator(Traffic(rps=rps)) as sim, Stack.of(out, f"127.0.0.1:{sim.port}") as stack:
            say(f"Prometheus {stack.urls['prometheus']}  Alertmanager {stack.urls['alertmanager']}  traffic http://127.0.0.1:{sim.port}/metrics")
            seen = 0
            for fault in faults:
                sim.traffic.fault = fault
                say(f"-- fault: {fault}")
                deadline = time.monotonic() + seconds_each
                while time.monotonic() < deadline:
                    time.sleep(1)
                    for receiver, alert in stack.sink.received[seen:]:
                        labels = alert["labels"]
                        say(f"   {alert['status']:<8} {labels.get('severity', ''):<8} {labels.get('alertname', '')} -> {receiver}")
                    seen = len(stack.sink.received)
