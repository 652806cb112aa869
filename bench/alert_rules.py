"""The three rule sets bench/alert_quality.py compares: slogen's bundle, Sloth's rules for the same SLO, a naive rule."""

from __future__ import annotations

import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator import pipeline  # noqa: E402
from generator.write import write  # noqa: E402

from alert_traffic import REQUESTS  # noqa: E402

SPEC = ROOT / "slo.yaml"
# Sloth v0.16.0's committed output for its getting-started example (bench/data/sloth/NOTICE).
SLOTH = Path(__file__).resolve().parent / "data" / "sloth" / "getting-started.yml"


def _excluded() -> tuple[str, ...]:
    """The statuses slo.yaml's availability SLO leaves out: they burn no budget, for slogen and for Sloth alike."""
    spec = yaml.safe_load(SPEC.read_text())
    slo = next(s for s in spec["slos"] if s["name"] == "availability")
    return tuple(str(code) for code in slo["sli"]["availability"].get("exclude_status", ()))


EXCLUDED = _excluded()
_KEPT = f'status_code!~"{"|".join(EXCLUDED)}", ' if EXCLUDED else ""

NAIVE = f"""\
groups:
  - name: naive
    rules:
      - alert: HighErrorRate
        expr: sum(rate({REQUESTS}{{status_code!~"2.."}}[5m])) / sum(rate({REQUESTS}[5m])) > 0.05
        for: 5m
        labels: {{severity: critical}}
"""


def sloth_rules(folder: Path) -> Path:
    """Sloth's rules with slo.yaml's availability SLI (every answer but a 2xx is an error, the excluded statuses count
    for nothing) and its objective, 99.5%, in place of the example's 5xx|429 of HTTP requests at 99.9%."""
    text = SLOTH.read_text()
    for old, new in (
        ('http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}', f'{REQUESTS}{{{_KEPT}status_code!~"2.."}}'),
        ('http_request_duration_seconds_count{job="myservice"}', f"{REQUESTS}{{{_KEPT.rstrip(', ')}}}" if _KEPT else REQUESTS),
        ("0.9990000000000001", "0.995"),
        ("0.0009999999999999432", "0.005"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    path = folder / "sloth.yaml"
    path.write_text(text)
    return path


def slogen_rules(folder: Path, drop: tuple[str, ...] = ()) -> tuple[Path, list[dict]]:
    """The rules slo.yaml compiles to (less the alerts named in `drop`), and its Alertmanager inhibit rules."""
    _, rendered = pipeline.build(SPEC)
    write(folder / "out", rendered)
    config = yaml.safe_load((folder / "out/alertmanager/alertmanager.yml").read_text())
    rules = next((folder / "out/prometheus/rules").glob("*.yaml"))
    if drop:
        doc = yaml.safe_load(rules.read_text())
        for name in drop:
            before = sum(len(g["rules"]) for g in doc["groups"])
            for group in doc["groups"]:
                group["rules"] = [r for r in group["rules"] if r.get("alert") != name]
            if sum(len(g["rules"]) for g in doc["groups"]) == before:
                raise SystemExit(f"no alert {name} in the bundle")
        rules.write_text(yaml.safe_dump(doc, sort_keys=False, width=1 << 20))
    return rules, config.get("inhibit_rules", [])


def naive_rules(folder: Path) -> Path:
    path = folder / "naive.yaml"
    path.write_text(NAIVE)
    return path
