"""Alert quality, slogen against Sloth, on the same synthetic series, judged by the real promtool.

Both rule sets protect the same availability SLO (99.5% over 30 days, bad = non-2xx answers of
`claude_api_requests_total`). Sloth's rules are its committed getting-started output with the
queries and objective swapped for ours. For every scenario, promtool is asked at each minute
whether any alert fires (an assertion that nothing fires; its failures are the timeline).

    python bench/alert_quality.py        # or: make bench
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator import pipeline  # noqa: E402
from generator.compile.checks import counter  # noqa: E402
from generator.write import write  # noqa: E402

SLOTH = ROOT.parent / "shared" / "peers" / "sloth" / "examples" / "_gen" / "getting-started.yml"
METRIC = "claude_api_requests_total"
RPM = 60  # requests a minute
BUDGET = 0.005
HEALTHY = BUDGET / 2  # half the budget pace
DAY = 1440
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


@dataclass(frozen=True)
class Scenario:
    name: str
    segments: tuple[tuple[int, float, float], ...]  # (minutes, requests a minute, error share); rpm < 0: series missing
    fault: tuple[int, int] | None = None  # (start, end) minute of the incident, if there is one
    expect: str = "page"  # page | ticket | quiet | nodata

    @property
    def minutes(self) -> int:
        return sum(m for m, _, _ in self.segments)


def _blips(days: int) -> tuple[tuple[int, float, float], ...]:
    """Half pace, with a 3-minute blip at 20x the budget pace every 2 hours."""
    out: list[tuple[int, float, float]] = []
    for _ in range(days * 12):
        out += [(117, RPM, HEALTHY), (3, RPM, 20 * BUDGET)]
    return tuple(out)


SCENARIOS = (
    Scenario("full outage, 1h", ((DAY, RPM, HEALTHY), (60, RPM, 1.0), (360, RPM, HEALTHY)), (DAY, DAY + 60)),
    Scenario("10x burn, 6h", ((DAY, RPM, HEALTHY), (360, RPM, 10 * BUDGET), (360, RPM, HEALTHY)), (DAY, DAY + 360)),
    Scenario("3x burn, 1d", ((DAY, RPM, HEALTHY), (DAY, RPM, 3.2 * BUDGET), (360, RPM, HEALTHY)), (DAY, 2 * DAY), "ticket"),
    Scenario("1x burn, 1d", ((DAY, RPM, HEALTHY), (DAY, RPM, BUDGET)), None, "quiet"),
    Scenario("half pace, 20x blips", _blips(2), None, "quiet"),
    Scenario("1 failure at 2 rpm", ((600, 2, 0.0), (1, 2, 0.5), (600, 2, 0.0)), None, "quiet"),
    Scenario("traffic drops to zero", ((DAY, RPM, HEALTHY), (360, 0, 0.0)), None, "quiet"),
    Scenario("metrics vanish", ((DAY, RPM, HEALTHY), (60, -1, 0.0)), (DAY, DAY + 60), "nodata"),
)


def series(s: Scenario) -> list[dict]:
    """Counters of good and bad answers; a segment with rpm < 0 (last only) means the series is gone."""
    gone = sum(m for m, rpm, _ in s.segments if rpm < 0)
    out = []
    for status, bad in (("200", False), ("500", True)):
        parts = [(m, rpm * (share if bad else 1 - share)) for m, rpm, share in s.segments if rpm >= 0]
        out.append({"series": f'{METRIC}{{status_code="{status}"}}', "values": counter(parts) + (f" _x{gone}" if gone else "")})
    return out


def sloth_rules(folder: Path) -> Path:
    text = SLOTH.read_text()
    for old, new in (
        ('http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}', f'{METRIC}{{status_code!~"2.."}}'),
        ('http_request_duration_seconds_count{job="myservice"}', METRIC),
        ("0.9990000000000001", "0.995"),
        ("0.0009999999999999432", "0.005"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    path = folder / "sloth.yaml"
    path.write_text(text)
    return path


def slogen_rules(folder: Path) -> Path:
    spec = folder / "slo.yaml"
    spec.write_text(SPEC)
    _, rendered = pipeline.build(spec)
    write(folder / "out", rendered)
    return next((folder / "out/prometheus/rules").glob("*.yaml"))


_TIME = re.compile(r"time: ([0-9a-z]+),")
_GOT = re.compile(r"\{([^}]*)\}")
_UNITS = {"y": 525600, "w": 10080, "d": 1440, "h": 60, "m": 1}


def _minutes(text: str) -> int:
    return sum(int(n) * _UNITS[u] for n, u in re.findall(r"(\d+)([ywdhm])", text))


def tier(labels: dict[str, str]) -> str:
    """page, ticket or nodata, in either rule set's words."""
    if "SLIAbsent" in labels.get("alertname", ""):
        return "nodata"
    severity = labels.get("sloth_severity") or labels.get("severity", "")
    return {"critical": "page", "warning": "ticket"}.get(severity, severity)


def timeline(rules: Path, s: Scenario, folder: Path) -> dict[int, set[str]]:
    """Which tiers fire at every minute of the scenario."""
    checks = [{"expr": 'ALERTS{alertstate="firing"}', "eval_time": f"{t}m"} for t in range(1, s.minutes)]
    test = {"rule_files": [str(rules)], "evaluation_interval": "1m", "tests": [{"interval": "1m", "input_series": series(s), "promql_expr_test": checks}]}
    path = folder / f"{rules.stem}-{abs(hash(s.name))}.test.yaml"
    path.write_text(yaml.safe_dump(test))
    result = subprocess.run(["promtool", "test", "rules", str(path)], capture_output=True, text=True, check=False)
    firing: dict[int, set[str]] = {}
    minute = None
    for line in result.stdout.splitlines() + result.stderr.splitlines():
        if m := _TIME.search(line):
            minute = _minutes(m.group(1))
        elif "got:" in line and minute is not None:
            for body in _GOT.findall(line):
                labels = dict(re.findall(r'(\w+)="([^"]*)"', body))
                firing.setdefault(minute, set()).add(tier(labels))
    return firing


@dataclass(frozen=True)
class Result:
    first: dict[str, int | None]  # tier -> first minute after the fault starts (or after 0 when there is no fault)
    clears: dict[str, int | None]  # tier -> minutes after the fault ends until it stops firing (None: still firing at the end)
    false_alerts: int  # alert starts where none should be
    budget_before: dict[str, float | None]  # share of the 30-day budget spent before each tier fired


def judge(s: Scenario, firing: dict[int, set[str]]) -> Result:
    start, end = s.fault or (0, s.minutes)
    first = {t: next((m - start for m in sorted(firing) if m >= start and t in firing[m]), None) for t in ("page", "ticket", "nodata")}
    clears: dict[str, int | None] = {}
    for t in ("page", "ticket"):
        if s.fault and first[t] is not None:
            clears[t] = next((m - end for m in range(end, s.minutes) if t not in firing.get(m, set())), None)
    wanted = {"page": {"page", "ticket"}, "ticket": {"ticket"}, "quiet": set(), "nodata": {"nodata"}}[s.expect]
    starts = sum(1 for m in sorted(firing) for t in firing[m] - wanted if t not in firing.get(m - 1, set()))
    per_minute_budget = BUDGET * RPM * 30 * DAY
    spent = {}
    for t, after in first.items():
        if after is None or not s.fault:
            spent[t] = None
            continue
        bad, clock = 0.0, 0
        for minutes, rpm, share in s.segments:
            for m in range(minutes):
                if start <= clock < start + after:
                    bad += max(rpm, 0) * share
                clock += 1
        spent[t] = bad / per_minute_budget
    return Result(first, clears, starts, spent)


def _clears(r: Result, s: Scenario, tier: str) -> str:
    if tier not in r.clears:
        return "-"
    after = r.clears[tier]
    return f"{after} min" if after is not None else f"> {s.minutes - (s.fault or (0, 0))[1]} min"


def _fmt(value: int | float | None, unit: str = "min") -> str:
    if value is None:
        return "-"
    return f"{value:.2%}" if unit == "%" else f"{value} {unit}"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="slogen-bench-") as tmp:
        folder = Path(tmp)
        rule_sets = {"slogen": slogen_rules(folder), "sloth": sloth_rules(folder)}
        header = [
            "scenario", "rules", "page after", "ticket after", "no-data after", "budget before page", "budget before ticket",
            "page clears", "ticket clears", "false alerts",
        ]
        rows = []
        for s in SCENARIOS:
            for name, rules in rule_sets.items():
                r = judge(s, timeline(rules, s, folder))
                rows.append(
                    [s.name, name, _fmt(r.first["page"]), _fmt(r.first["ticket"]), _fmt(r.first["nodata"]),
                     _fmt(r.budget_before["page"], "%"), _fmt(r.budget_before["ticket"], "%"), _clears(r, s, "page"), _clears(r, s, "ticket"),
                     str(r.false_alerts)]
                )
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for row in rows:
            print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
