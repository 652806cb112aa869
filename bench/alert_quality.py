"""Alert quality: slogen against Sloth and a naive threshold rule, on the same synthetic traffic, judged by the real promtool.

slogen compiles the project's own slo.yaml, every alert switched on (symptoms, cost, rate limits),
and reads every series the reference exporter writes; Sloth's rules are its committed
getting-started output with the queries and objective swapped for the same 99.5%/30d availability
SLO; the naive rule pages when more than 5% of requests fail over 5m for 5m. For every scenario,
promtool is asked at each minute which alerts fire (an assertion that nothing fires; its failures
are the timeline). Notifications apply the bundle's own Alertmanager inhibit rules to that
timeline; Sloth and the naive rule ship none.

    python bench/alert_quality.py        # or: make bench
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator import pipeline  # noqa: E402
from generator.write import write  # noqa: E402

SLOTH = ROOT.parent / "shared" / "peers" / "sloth" / "examples" / "_gen" / "getting-started.yml"
REQUESTS = "claude_api_requests_total"
RPM = 100  # requests a minute
BUDGET = 0.005
HEALTHY = BUDGET / 2  # half the budget pace
LEAD = 360  # minutes of healthy traffic before a fault
DAY = 1440
MODEL, FEATURE = "claude-sonnet-4-6", "chat"
NAIVE = f"""\
groups:
  - name: naive
    rules:
      - alert: HighErrorRate
        expr: sum(rate({REQUESTS}{{status_code!~"2.."}}[5m])) / sum(rate({REQUESTS}[5m])) > 0.05
        for: 5m
        labels: {{severity: critical}}
"""


@dataclass(frozen=True)
class Scenario:
    name: str
    segments: tuple[tuple[int, float, float], ...]  # (minutes, requests a minute, error share); rpm < 0: series missing
    fault: tuple[int, int] | None = None  # (start, end) minute of the incident, if there is one
    expect: str = "page"  # page | ticket | quiet | nodata
    restarts: tuple[int, ...] = ()  # minutes the application restarts: its counters start again from 0
    gaps: tuple[tuple[int, int], ...] = ()  # [start, end) minutes without a scrape
    counted_before: int = 0  # minutes the app had been counting before Prometheus' history begins (it restarted empty)
    second_model_from: int | None = None  # a second model's series appear at this minute

    @property
    def minutes(self) -> int:
        return sum(m for m, _, _ in self.segments)


def _blips() -> tuple[tuple[int, float, float], ...]:
    """Half pace, with a 3-minute blip at 20x the budget pace every 2 hours, for a day."""
    return ((LEAD, RPM, HEALTHY),) + ((117, RPM, HEALTHY), (3, RPM, 20 * BUDGET)) * 12


def _healthy(minutes: int) -> tuple[tuple[int, float, float], ...]:
    return ((minutes, RPM, HEALTHY),)


OUTAGE = ((LEAD, RPM, HEALTHY), (60, RPM, 1.0), (120, RPM, HEALTHY))
SCENARIOS = (
    Scenario("full outage, 1h", OUTAGE, (LEAD, LEAD + 60)),
    Scenario("50% errors, 30m", ((LEAD, RPM, HEALTHY), (30, RPM, 0.5), (120, RPM, HEALTHY)), (LEAD, LEAD + 30)),
    Scenario("10x burn, 6h", ((LEAD, RPM, HEALTHY), (360, RPM, 10 * BUDGET), (120, RPM, HEALTHY)), (LEAD, LEAD + 360)),
    Scenario("3x burn, 1d", ((LEAD, RPM, HEALTHY), (DAY, RPM, 3.2 * BUDGET), (120, RPM, HEALTHY)), (LEAD, LEAD + DAY), "ticket"),
    Scenario("1x burn, 1d", ((LEAD, RPM, HEALTHY), (DAY, RPM, BUDGET)), None, "quiet"),
    Scenario("20x 3m blips every 2h, 1d", _blips(), None, "quiet"),
    Scenario("1 failure at 2 rpm", ((600, 2, 0.0), (1, 2, 0.5), (600, 2, 0.0)), None, "quiet"),
    Scenario("traffic drops to zero", ((LEAD, RPM, HEALTHY), (360, 0, 0.0)), None, "quiet"),
    Scenario("metrics vanish", ((LEAD, RPM, HEALTHY), (60, -1, 0.0)), (LEAD, LEAD + 60), "nodata"),
    Scenario("app restarts, healthy", _healthy(LEAD + 360), None, "quiet", restarts=(LEAD, LEAD + 5, LEAD + 120)),
    Scenario("app restarts mid-outage", OUTAGE, (LEAD, LEAD + 60), restarts=(LEAD + 20, LEAD + 40)),
    Scenario("10m scrape gap", _healthy(LEAD + 240), None, "quiet", gaps=((LEAD, LEAD + 10),)),
    Scenario("Prometheus restarts empty", _healthy(LEAD), None, "quiet", counted_before=3 * DAY),
    Scenario("Prometheus restarts empty, outage", ((30, RPM, HEALTHY), (30, RPM, 1.0), (60, RPM, HEALTHY)), (30, 60), counted_before=3 * DAY),
    Scenario("new service, 6h of data", _healthy(360), None, "quiet"),
    Scenario("new service, outage in hour 3", ((120, RPM, HEALTHY), (30, RPM, 1.0), (60, RPM, HEALTHY)), (120, 150)),
    Scenario("new model mid-day", _healthy(LEAD + 360), None, "quiet", second_model_from=LEAD),
)


# --- traffic -> the reference exporter's series -----------------------------------------------


def _per_minute(s: Scenario) -> tuple[list[float], list[float], int]:
    """(requests, failed requests) in each minute, and the minute the series end (all of them when none vanish)."""
    total, bad = [0.0], [0.0]
    for minutes, rpm, share in s.segments:
        if rpm < 0:
            break
        total += [rpm] * minutes
        bad += [rpm * share] * minutes
    return total, bad, len(total)


def _values(s: Scenario, per_minute: list[float], start: int = 0) -> str:
    """promtool values for a counter: resets at restarts, blanks where Prometheus holds no sample."""
    out, count = [], per_minute[1] * s.counted_before if len(per_minute) > 1 else 0.0
    for t, inc in enumerate(per_minute):
        count = 0.0 if t in s.restarts else count + (inc if t >= start else 0.0)
        hidden = t < start or any(a <= t < b for a, b in s.gaps)
        out.append(None if hidden else round(count, 3))
    gone = s.minutes + 1 - len(per_minute)
    return _compress(out) + (f" _x{gone}" if gone > 0 else "")


def _compress(values: list[float | None]) -> str:
    parts, i = [], 0
    while i < len(values):
        j = i
        if values[i] is None:
            while j + 1 < len(values) and values[j + 1] is None:
                j += 1
            parts.append(f"_x{j - i + 1}" if j > i else "_")
        else:
            step = values[i + 1] - values[i] if i + 1 < len(values) and values[i + 1] is not None else 0
            while j + 1 < len(values) and values[j + 1] is not None and abs(values[j + 1] - values[j] - step) < 1e-9:
                j += 1
            parts.append(f"{values[i]:.12g}+{step:.12g}x{j - i}" if j > i else f"{values[i]:.12g}")
        i = j + 1
    return " ".join(parts)


def series(s: Scenario) -> list[dict]:
    """What the reference exporter writes for a model serving these requests: counters, both histograms, tokens, limits."""
    total, bad, _ = _per_minute(s)
    ok = [t - b for t, b in zip(total, bad, strict=True)]
    models = [(MODEL, 0)] + ([("claude-haiku-4-5", s.second_model_from)] if s.second_model_from is not None else [])
    out = []
    for model, start in models:
        dims = f'model="{model}", feature="{FEATURE}"'

        def add(name: str, per_minute: list[float], dims: str = dims, start: int = start) -> None:
            out.append({"series": f"{name}{{{dims}}}", "values": _values(s, per_minute, start)})

        add(REQUESTS, ok, f'{dims}, status_code="200"')
        add(REQUESTS, bad, f'{dims}, status_code="529"')
        add("claude_api_responses_total", ok, f'{dims}, stop_reason="end_turn"')
        # Answers: first token at 0.8s, done in 4s; failures answer in 0.4s with no token.
        for le in ("0.1", "0.25", "0.5", "1", "2", "3", "5", "10", "15", "30", "60", "+Inf"):
            add("claude_api_ttft_seconds_bucket", ok if float(le) >= 0.8 else [0.0] * len(ok), f'{dims}, le="{le}"')
        add("claude_api_ttft_seconds_count", ok)
        add("claude_api_ttft_seconds_sum", [0.8 * n for n in ok])
        for le in ("0.5", "1", "2", "5", "10", "15", "30", "60", "120", "+Inf"):
            per = [(o if float(le) >= 4 else 0.0) + (b if float(le) >= 0.4 else 0.0) for o, b in zip(ok, bad, strict=True)]
            add("claude_api_request_duration_seconds_bucket", per, f'{dims}, le="{le}"')
        add("claude_api_request_duration_seconds_count", total)
        add("claude_api_request_duration_seconds_sum", [4 * o + 0.4 * b for o, b in zip(ok, bad, strict=True)])
        for kind, per_request in (("input", 150), ("output", 30), ("cache_read", 100)):
            add("claude_api_tokens_total", [per_request * n for n in ok], f'{dims}, type="{kind}"')
        if start == 0:
            # Rate-limit gauges move with every response and stay far from the limit.
            for dimension, limit in (("requests", 4000), ("input_tokens", 400000), ("output_tokens", 80000)):
                remaining = " ".join(str(int(limit * (0.7 if t % 2 else 0.71))) for t in range(len(total)))
                gone = s.minutes + 1 - len(total)
                tail = f" _x{gone}" if gone > 0 else ""
                out.append({"series": f'claude_api_ratelimit_limit{{model="{model}", dimension="{dimension}"}}', "values": f"{limit}x{len(total) - 1}{tail}"})
                out.append({"series": f'claude_api_ratelimit_remaining{{model="{model}", dimension="{dimension}"}}', "values": remaining + tail})
    return out


# --- rule sets ----------------------------------------------------------------------------------


def sloth_rules(folder: Path) -> Path:
    text = SLOTH.read_text()
    for old, new in (
        ('http_request_duration_seconds_count{job="myservice",code=~"(5..|429)"}', f'{REQUESTS}{{status_code!~"2.."}}'),
        ('http_request_duration_seconds_count{job="myservice"}', REQUESTS),
        ("0.9990000000000001", "0.995"),
        ("0.0009999999999999432", "0.005"),
    ):
        assert old in text, old
        text = text.replace(old, new)
    path = folder / "sloth.yaml"
    path.write_text(text)
    return path


def slogen_rules(folder: Path) -> tuple[Path, list[dict]]:
    """The rules slo.yaml compiles to, and the inhibit rules of its Alertmanager configuration."""
    _, rendered = pipeline.build(ROOT / "slo.yaml")
    write(folder / "out", rendered)
    config = yaml.safe_load((folder / "out/alertmanager/alertmanager.yml").read_text())
    return next((folder / "out/prometheus/rules").glob("*.yaml")), config.get("inhibit_rules", [])


def naive_rules(folder: Path) -> Path:
    path = folder / "naive.yaml"
    path.write_text(NAIVE)
    return path


# --- timelines ----------------------------------------------------------------------------------

_TIME = re.compile(r"time: ([0-9a-z]+),")
_GOT = re.compile(r"\{([^}]*)\}")
_UNITS = {"y": 525600, "w": 10080, "d": 1440, "h": 60, "m": 1}
Alert = frozenset  # of (label, value): one alert instance


def _minutes(text: str) -> int:
    return sum(int(n) * _UNITS[u] for n, u in re.findall(r"(\d+)([ywdhm])", text))


def timeline(rules: Path, s: Scenario, folder: Path) -> dict[int, set[Alert]]:
    """The alerts firing at every minute of the scenario."""
    checks = [{"expr": 'ALERTS{alertstate="firing"}', "eval_time": f"{t}m"} for t in range(1, s.minutes)]
    test = {"rule_files": [str(rules)], "evaluation_interval": "1m", "tests": [{"interval": "1m", "input_series": series(s), "promql_expr_test": checks}]}
    path = folder / f"{rules.stem}-{abs(hash(s.name))}.test.yaml"
    path.write_text(yaml.safe_dump(test, width=1 << 20))
    result = subprocess.run(["promtool", "test", "rules", str(path)], capture_output=True, text=True, check=False)
    if "FAILED" not in result.stdout + result.stderr and "SUCCESS" not in result.stdout + result.stderr:
        raise SystemExit(f"promtool could not run {s.name}:\n{result.stdout}{result.stderr}")
    firing: dict[int, set[Alert]] = {}
    minute = None
    for line in result.stdout.splitlines() + result.stderr.splitlines():
        if m := _TIME.search(line):
            minute = _minutes(m.group(1))
        elif "got:" in line and minute is not None:
            for body in _GOT.findall(line):
                labels = dict(re.findall(r'(\w+)="([^"]*)"', body))
                labels.pop("alertstate", None)
                firing.setdefault(minute, set()).add(Alert(labels.items()))
    return firing


_MATCHER = re.compile(r'^(\w+)(=~|!~|!=|=)"(.*)"$')


def _matches(matchers: list[str], labels: dict[str, str]) -> bool:
    for m in matchers:
        name, op, value = _MATCHER.match(m).groups()
        have = labels.get(name, "")
        ok = {"=": have == value, "!=": have != value, "=~": re.fullmatch(value, have) is not None, "!~": re.fullmatch(value, have) is None}[op]
        if not ok:
            return False
    return True


def notified(firing: dict[int, set[Alert]], inhibit: list[dict]) -> dict[int, set[Alert]]:
    """What Alertmanager lets through: an alert is muted while a firing source of an inhibit rule matches it."""
    out = {}
    for minute, alerts in firing.items():
        kept = set()
        for alert in alerts:
            labels = dict(alert)
            muted = any(
                _matches(rule.get("target_matchers", []), labels)
                and any(
                    src != alert and _matches(rule.get("source_matchers", []), dict(src))
                    and all(dict(src).get(k, "") == labels.get(k, "") for k in rule.get("equal", []))
                    for src in alerts
                )
                for rule in inhibit
            )
            if not muted:
                kept.add(alert)
        out[minute] = kept
    return out


def _is_page(alert: Alert) -> bool:
    labels = dict(alert)
    return (labels.get("sloth_severity") or labels.get("severity")) in ("page", "critical")


def _is_ticket(alert: Alert) -> bool:
    """An SLO's own ticket (its burn alert at warning), not a symptom alert that happens to be a warning."""
    labels = dict(alert)
    return not _is_page(alert) and not _is_nodata(alert) and ("slo" in labels or "sloth_slo" in labels)


def _is_nodata(alert: Alert) -> bool:
    return "Absent" in dict(alert).get("alertname", "")


@dataclass
class Result:
    page: int | None = None  # minutes from the fault (or the start) to the first page
    ticket: int | None = None
    nodata: int | None = None
    raised: int = 0  # alert instances that fired during the scenario
    pages: int = 0  # page notifications (alert instances let through)
    notified: int = 0  # every alert instance let through
    clears: int | None = None  # minutes after the fault ends until no page fires
    false: int = 0  # notifications nobody should get
    budget: float | None = None  # share of the 30-day budget spent before the page
    names: set[str] = field(default_factory=set)


def judge(s: Scenario, firing: dict[int, set[Alert]], through: dict[int, set[Alert]]) -> Result:
    start, end = s.fault or (0, s.minutes)
    r = Result()
    minutes = sorted(firing)
    after = [m for m in minutes if m >= start]
    r.page = next((m - start for m in after if any(_is_page(a) for a in firing[m])), None)
    r.ticket = next((m - start for m in after if any(_is_ticket(a) for a in firing[m])), None)
    r.nodata = next((m - start for m in after if any(_is_nodata(a) for a in firing[m])), None)
    r.raised = len(set().union(*firing.values())) if firing else 0
    let_through = set().union(*through.values()) if through else set()
    r.pages = sum(1 for a in let_through if _is_page(a))
    r.notified = len(let_through)
    r.names = {dict(a)["alertname"] for a in let_through}
    if s.fault and r.page is not None:
        r.clears = next((m - end for m in range(end, s.minutes) if not any(_is_page(a) for a in firing.get(m, ()))), None)
    wanted = {"page": True, "ticket": True, "quiet": False, "nodata": True}[s.expect]
    r.false = sum(1 for a in let_through if not wanted or (s.fault and _first(through, a) < start))
    if s.fault and r.page is not None:
        spent = 0.0
        clock = 0
        for minutes_, rpm, share in s.segments:
            for _ in range(minutes_):
                if start <= clock < start + r.page:
                    spent += max(rpm, 0) * share
                clock += 1
        r.budget = spent / (BUDGET * RPM * 30 * DAY)
    return r


def _first(through: dict[int, set[Alert]], alert: Alert) -> int:
    return min(m for m, alerts in through.items() if alert in alerts)


def _fmt(value: int | float | None, unit: str = "min") -> str:
    if value is None:
        return "-"
    return f"{value:.2%}" if unit == "%" else f"{value} {unit}"


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="slogen-bench-") as tmp:
        folder = Path(tmp)
        slogen, inhibit = slogen_rules(folder)
        rule_sets = {"slogen": (slogen, inhibit), "sloth": (sloth_rules(folder), []), "naive": (naive_rules(folder), [])}
        jobs = [(s, name, rules, inh) for s in SCENARIOS for name, (rules, inh) in rule_sets.items()]
        with ThreadPoolExecutor(max_workers=8) as pool:
            timelines = list(pool.map(lambda j: timeline(j[2], j[0], folder), jobs))
        header = ["scenario", "rules", "page after", "ticket after", "no-data after", "budget before page", "page clears",
                  "alerts raised", "pages sent", "notifications", "false"]
        rows, notes = [], []
        for (s, name, _, inh), firing in zip(jobs, timelines, strict=True):
            r = judge(s, firing, notified(firing, inh))
            clears = "-" if r.page is None or not s.fault else (f"{r.clears} min" if r.clears is not None else "still firing")
            rows.append([s.name, name, _fmt(r.page), _fmt(r.ticket), _fmt(r.nodata), _fmt(r.budget, "%"), clears,
                         str(r.raised), str(r.pages), str(r.notified), str(r.false)])
            if name == "slogen" and r.notified:
                notes.append(f"{s.name}: {', '.join(sorted(r.names))}")
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for row in rows:
            print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
        print("\nslogen's notifications (after its inhibit rules):")
        for line in notes:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
