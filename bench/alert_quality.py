"""Alert quality: slogen against Sloth and a naive threshold rule, on the same synthetic traffic, judged by the real promtool.

slogen compiles the project's own slo.yaml, every alert switched on (symptoms, cost, rate limits, the failure modes),
and reads every series the reference exporter writes. Sloth's rules are its committed getting-started output
(bench/data/sloth) with the queries and objective swapped for the same 99.5%/30d availability SLO: the example counts
5xx|429 of HTTP requests as errors; here, as in slo.yaml, every answer but a 2xx is an error and the statuses slo.yaml
excludes (400, 413) count for nothing, so Sloth sees 401, 403, 404 and 5xx storms but not 400s. Sloth has one
service-wide SLO: it could be written per model, and its getting-started is not. The naive rule pages when more than
5% of requests get anything but a 2xx, excluded statuses included, over 5m for 5m.

Traffic (bench/alert_traffic.py) is 100 requests a minute, failing requests answered 529 unless a scenario says
which status they get and which model they hit (a second model carrying a share of the traffic). Only the scenarios
with retried first attempts write the attempts counter (claude_api_attempts_total, status_code per attempt, same
model and feature labels): without it slogen's UpstreamDegraded reads nothing, and the older rows read as they did.

For every scenario, promtool is asked at each minute which alerts fire (an assertion that nothing fires; its failures
are the timeline). "page", "ticket" (an SLO's burn alert at warning) and "warning" (any other warning: a symptom or
failure-mode alert) count alerts as Prometheus fires them; the notification columns apply the bundle's own
Alertmanager inhibit rules to that timeline; Sloth and the naive rule ship none.

    python bench/alert_quality.py                    # or: make bench
    python bench/alert_quality.py --only 401         # the scenarios whose name holds "401"
    python bench/alert_quality.py --drop-alert ClaudeAssistantCredentialsRejected   # a mutation check
"""

from __future__ import annotations

import argparse
import re
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from alert_rules import EXCLUDED, naive_rules, slogen_rules, sloth_rules
from alert_traffic import BUDGET, DAY, FAILING, HEALTHY, LEAD, RPM, Scenario, series, slo_bad


def _blips() -> tuple[tuple[int, float, float], ...]:
    """Half pace, with a 3-minute blip at 20x the budget pace every 2 hours, for a day."""
    return ((LEAD, RPM, HEALTHY),) + ((117, RPM, HEALTHY), (3, RPM, 20 * BUDGET)) * 12


def _healthy(minutes: int) -> tuple[tuple[int, float, float], ...]:
    return ((minutes, RPM, HEALTHY),)


def _storm(status: str, minutes: int = 60) -> tuple[tuple, ...]:
    """Every request answered `status` for so long, between healthy hours."""
    return ((LEAD, RPM, HEALTHY), (minutes, RPM, {status: 1.0}), (120, RPM, HEALTHY))


def _one_model(status: str, minutes: int) -> tuple[tuple, ...]:
    """The second model's every call answered `status` for so long; the first stays healthy."""
    return ((LEAD, RPM, HEALTHY), (minutes, RPM, HEALTHY, {status: 1.0}), (120, RPM, HEALTHY))


def _overload(minutes: int, retried: float = 0.3) -> tuple[tuple, ...]:
    """A share of first attempts answered 529 for so long, every retry answered: every request ends 200."""
    return ((LEAD, RPM, HEALTHY), (minutes, RPM, 0.0, None, retried), (120, RPM, HEALTHY))


OUTAGE = ((LEAD, RPM, HEALTHY), (60, RPM, 1.0), (120, RPM, HEALTHY))
SMALL = 0.05  # the second model's share of traffic in the per-model scenarios
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
    # The LLM failure modes.
    Scenario("401 storm (key revoked), 1h", _storm("401"), (LEAD, LEAD + 60)),
    Scenario("404 on a model with 5% of traffic, 1h", _one_model("404", 60), (LEAD, LEAD + 60), split=SMALL),
    Scenario("400 storm (prompts too long), 1h", _storm("400"), (LEAD, LEAD + 60)),
    Scenario("3% of requests 400 daily, 2d", ((2 * DAY, RPM, {FAILING: HEALTHY, "400": 0.03}),), None, "quiet"),
    Scenario("500 on a model with 5% of traffic, 6h", _one_model("500", 360), (LEAD, LEAD + 360), split=SMALL),
    Scenario("30% of attempts 529, retries recover, 1h", _overload(60), (LEAD, LEAD + 60), "warn"),
    Scenario("5m overload blip, retries recover", _overload(5), None, "quiet"),
)

# --- timelines ----------------------------------------------------------------------------------

_TIME = re.compile(r"time: ([0-9a-z]+),")
_GOT = re.compile(r"\{([^}]*)\}")
_UNITS = {"y": 525600, "w": 10080, "d": 1440, "h": 60, "m": 1}
Alert = frozenset  # of (label, value): one alert instance


def _minutes(text: str) -> int:
    return sum(int(n) * _UNITS[u] for n, u in re.findall(r"(\d+)([ywdhm])", text))


def timeline(rules: Path, s: Scenario, folder: Path) -> dict[int, set[Alert]]:
    """The alerts firing at every minute of the scenario. The groups are evaluated in the file's order, recordings
    before the alerts that read them: without group_eval_order promtool picks an order at random (a Go map), and an
    alert read a minute late now and then moved a row by a minute from one run to the next."""
    checks = [{"expr": 'ALERTS{alertstate="firing"}', "eval_time": f"{t}m"} for t in range(1, s.minutes)]
    order = [g["name"] for g in yaml.safe_load(rules.read_text())["groups"]]
    test = {"rule_files": [str(rules)], "evaluation_interval": "1m", "group_eval_order": order,
            "tests": [{"interval": "1m", "input_series": series(s), "promql_expr_test": checks}]}
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


def _is_warning(alert: Alert) -> bool:
    """Any other alert below a page: a symptom or failure-mode warning (UpstreamDegraded, ClientErrorSurge's warning)."""
    return not _is_page(alert) and not _is_nodata(alert) and not _is_ticket(alert)


@dataclass
class Result:
    page: int | None = None  # minutes from the fault (or the start) to the first page
    ticket: int | None = None
    warning: int | None = None
    nodata: int | None = None
    raised: int = 0  # alert instances that fired during the scenario
    pages: int = 0  # page notifications (alert instances let through)
    notified: int = 0  # every alert instance let through
    clears: int | None = None  # minutes after the fault ends until no page fires
    false: int = 0  # notifications nobody should get
    budget: float | None = None  # share of the 30-day budget spent before the page
    names: dict[str, int] = field(default_factory=dict)  # "alertname severity": first notified, minutes from the fault


def judge(s: Scenario, firing: dict[int, set[Alert]], through: dict[int, set[Alert]]) -> Result:
    start, end = s.fault or (0, s.minutes)
    r = Result()
    minutes = sorted(firing)
    after = [m for m in minutes if m >= start]
    r.page = next((m - start for m in after if any(_is_page(a) for a in firing[m])), None)
    r.ticket = next((m - start for m in after if any(_is_ticket(a) for a in firing[m])), None)
    r.warning = next((m - start for m in after if any(_is_warning(a) for a in firing[m])), None)
    r.nodata = next((m - start for m in after if any(_is_nodata(a) for a in firing[m])), None)
    r.raised = len(set().union(*firing.values())) if firing else 0
    let_through = set().union(*through.values()) if through else set()
    r.pages = sum(1 for a in let_through if _is_page(a))
    r.notified = len(let_through)
    for minute in sorted(through):
        for a in through[minute]:
            r.names.setdefault(f'{dict(a)["alertname"]} {dict(a).get("severity", "")}'.strip(), minute - start)
    if s.fault and r.page is not None:
        r.clears = next((m - end for m in range(end, s.minutes) if not any(_is_page(a) for a in firing.get(m, ()))), None)
    wanted = {"page": True, "ticket": True, "warn": True, "quiet": False, "nodata": True}[s.expect]
    r.false = sum(
        1 for a in let_through if not wanted or (s.expect == "warn" and _is_page(a)) or (s.fault and _first(through, a) < start)
    )
    if s.fault and r.page is not None:
        bad = slo_bad(s, EXCLUDED)[1:]  # minute by minute from the first, the budget-burning requests of every model
        r.budget = sum(bad[start : start + r.page]) / (BUDGET * RPM * 30 * DAY)
    return r


def _first(through: dict[int, set[Alert]], alert: Alert) -> int:
    return min(m for m, alerts in through.items() if alert in alerts)


def _fmt(value: int | float | None, unit: str = "min") -> str:
    if value is None:
        return "-"
    return f"{value:.2%}" if unit == "%" else f"{value} {unit}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default="", help="run only the scenarios whose name holds this text")
    parser.add_argument("--drop-alert", action="append", default=[], metavar="ALERTNAME", help="remove this alert from slogen's rules (a mutation check)")
    args = parser.parse_args()
    scenarios = [s for s in SCENARIOS if args.only.lower() in s.name.lower()]
    with tempfile.TemporaryDirectory(prefix="slogen-bench-") as tmp:
        folder = Path(tmp)
        slogen, inhibit = slogen_rules(folder, tuple(args.drop_alert))
        rule_sets = {"slogen": (slogen, inhibit), "sloth": (sloth_rules(folder), []), "naive": (naive_rules(folder), [])}
        jobs = [(s, name, rules, inh) for s in scenarios for name, (rules, inh) in rule_sets.items()]
        with ThreadPoolExecutor(max_workers=8) as pool:
            timelines = list(pool.map(lambda j: timeline(j[2], j[0], folder), jobs))
        header = ["scenario", "rules", "page after", "ticket after", "warning after", "no-data after", "budget before page", "page clears",
                  "alerts raised", "pages sent", "notifications", "false"]
        rows, notes = [], []
        for (s, name, _, inh), firing in zip(jobs, timelines, strict=True):
            r = judge(s, firing, notified(firing, inh))
            clears = "-" if r.page is None or not s.fault else (f"{r.clears} min" if r.clears is not None else "still firing")
            rows.append([s.name, name, _fmt(r.page), _fmt(r.ticket), _fmt(r.warning), _fmt(r.nodata), _fmt(r.budget, "%"), clears,
                         str(r.raised), str(r.pages), str(r.notified), str(r.false)])
            if name == "slogen" and r.notified:
                notes.append(f"{s.name}: " + ", ".join(f"{n} {m:+d} min" for n, m in sorted(r.names.items(), key=lambda x: (x[1], x[0]))))
        widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
        print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
        print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
        for row in rows:
            print("| " + " | ".join(c.ljust(w) for c, w in zip(row, widths)) + " |")
        print("\nslogen's notifications (after its inhibit rules), alert and severity, first sent minutes from the fault (or the start):")
        for line in notes:
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
