"""`slogen report slo` against a real Prometheus holding 70 days of backfilled traffic.

The history spans September (30 days, reported in UTC) and October (31 days and one hour, reported
in Europe/Paris, whose clocks go back on the 25th): a counter reset, a 20-minute scrape gap, an
outage in September and a two-day slow burn in October. The expected attainment of each month is
counted here from the same per-minute events, the incidents from the injected faults; the report
must agree within 0.01 percentage points. The ALERTS history comes from promtool's rule backfiller
is the bundle's burn conditions evaluated over those 70 days by the same Prometheus and written back as
blocks (generator.harness.backfill.alerts_history says why not promtool's rule backfiller).
"""

from __future__ import annotations

import csv
import io
import shutil
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from generator import pipeline
from generator.harness import backfill
from generator.tools import calendar, slo_report, slo_report_render
from generator.tools.promapi import Prometheus

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "tests/reports/slo.yaml"
UTC, PARIS = timezone.utc, ZoneInfo("Europe/Paris")
START = datetime(2026, 8, 25, tzinfo=UTC).timestamp()
MINUTES = 70 * 1440
OUTAGE = (datetime(2026, 9, 12, 14, 0, tzinfo=UTC).timestamp(), datetime(2026, 9, 12, 18, 0, tzinfo=UTC).timestamp())
SLOW_BURN = (datetime(2026, 10, 14, tzinfo=UTC).timestamp(), datetime(2026, 10, 16, tzinfo=UTC).timestamp())
RESET = datetime(2026, 9, 20, 3, 17, tzinfo=UTC).timestamp()
GAP = (datetime(2026, 10, 8, 10, 0, tzinfo=UTC).timestamp(), datetime(2026, 10, 8, 10, 20, tzinfo=UTC).timestamp())
INPUT_TOKENS, OUTPUT_TOKENS = 1000, 200
pytestmark = [pytest.mark.e2e, pytest.mark.skipif(shutil.which("promtool") is None or shutil.which("prometheus") is None, reason="make tools")]


def minute(k: int) -> dict[str, int]:
    """Events in the minute ending at START + 60k: requests by status, slow first tokens."""
    t = START + 60 * k
    n = 100 + (k * 37) % 23
    if OUTAGE[0] < t <= OUTAGE[1]:
        errors = round(0.9 * n)
    elif SLOW_BURN[0] < t <= SLOW_BURN[1]:
        errors = 1
    else:
        errors = 1 if k % 10 == 0 else 0
    ok = n - errors
    return {"200": ok, "500": errors, "404": 2, "ttft_slow": 2 + (k % 3 == 0), "ttft_all": ok}


EVENTS = [minute(k) for k in range(1, MINUTES + 1)]


def sample_times() -> list[int]:
    """Minutes with a sample: all but those inside the scrape gap."""
    return [k for k in range(1, MINUTES + 1) if not GAP[0] < START + 60 * k <= GAP[1]]


def series(value_of) -> list[tuple[float, float]]:  # noqa: ANN001
    """A counter's samples: cumulative events, back to zero at the reset, none in the gap."""
    points, value, keep = [], 0.0, set(sample_times())
    for k in range(1, MINUTES + 1):
        t = START + 60 * k
        if t == RESET:
            value = 0.0
        value += value_of(EVENTS[k - 1])
        if k in keep:
            points.append((t, value))
    return points


def openmetrics(path: Path) -> None:
    requests = [("claude_api_requests_total", (("status_code", code),), series(lambda e, c=code: e[c])) for code in ("200", "404", "500")]
    ttft = [
        ("claude_api_ttft_seconds_bucket", (("le", "3.0"),), series(lambda e: e["ttft_all"] - e["ttft_slow"])),
        ("claude_api_ttft_seconds_bucket", (("le", "+Inf"),), series(lambda e: e["ttft_all"])),
        ("claude_api_ttft_seconds_count", (), series(lambda e: e["ttft_all"])),
        ("claude_api_ttft_seconds_sum", (), series(lambda e: e["ttft_all"] * 1.5)),
    ]
    tokens = [("claude_api_tokens_total", (("model", "claude-sonnet-4-6"), ("type", kind)), series(lambda e, n=n: e["200"] * n))
              for kind, n in (("input", INPUT_TOKENS), ("output", OUTPUT_TOKENS))]
    backfill.write_openmetrics(path, {
        "claude_api_requests": ("counter", requests), "claude_api_ttft_seconds": ("histogram", ttft), "claude_api_tokens": ("counter", tokens),
    })


def expected(r: calendar.Range) -> dict[str, float]:
    """Attainment (percent) per SLO and USD spent, counted from the events whose minute ends inside the range."""
    lo, hi = r.start.timestamp(), r.end.timestamp()
    inside = [e for k, e in enumerate(EVENTS, start=1) if lo < START + 60 * k <= hi]
    bad, total = sum(e["500"] for e in inside), sum(e["200"] + e["500"] for e in inside)
    slow, all_ = sum(e["ttft_slow"] for e in inside), sum(e["ttft_all"] for e in inside)
    ok = sum(e["200"] for e in inside)
    return {"availability": 100 * (1 - bad / total), "ttft": 100 * (1 - slow / all_), "spend": ok * (INPUT_TOKENS * 3e-06 + OUTPUT_TOKENS * 1.5e-05),
            "availability_events": total}


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    work = tmp_path_factory.mktemp("backfill")
    data = work / "data"
    openmetrics(work / "history.om")
    backfill.create_blocks(work / "history.om", data)
    service = pipeline.load(SPEC)
    with backfill.serving(data) as url:
        # From three days in (the longest window full) to the end of the history.
        alerts = backfill.alerts_history(url, service.slos, START + 3 * 86400, START + 60 * MINUTES)
    backfill.write_openmetrics(work / "alerts.om", {"ALERTS": alerts})
    backfill.create_blocks(work / "alerts.om", data)
    with backfill.serving(data) as url:
        yield url


def report_of(url: str, r: calendar.Range) -> slo_report.Report:
    return slo_report.build(Prometheus(url), [pipeline.load(SPEC)], r)


@pytest.mark.parametrize("month, zone", [("2026-09", "UTC"), ("2026-10", "Europe/Paris")])
def test_monthly_attainment_matches_the_events_sent(prometheus, month, zone):
    r = calendar.month_range(month, zone)
    report = report_of(prometheus, r)
    want = expected(r)
    by_name = {s.slo: s for s in report.slos}
    for name in ("availability", "ttft"):
        got = by_name[name].attainment * 100
        assert abs(got - want[name]) < 0.01, (month, name, got, want[name])
    assert by_name["availability"].total == pytest.approx(want["availability_events"], rel=1e-9)  # exact, not extrapolated
    assert report.spend[0].spent_usd == pytest.approx(want["spend"], rel=1e-6)
    assert report.spend[0].budget_usd == 2000
    # Days cover the month exactly: their events add up to the month's.
    days = by_name["availability"].days
    assert len(days) == (30 if month == "2026-09" else 31)
    assert sum(d.total for d in days) == pytest.approx(by_name["availability"].total, rel=1e-9)


def test_incidents_are_the_injected_faults(prometheus):
    sep = {s.slo: s for s in report_of(prometheus, calendar.month_range("2026-09")).slos}
    pages = [i for i in sep["availability"].incidents if i.severity == "page"]
    tickets = [i for i in sep["availability"].incidents if i.severity == "ticket"]
    assert len(pages) == 1 and len(tickets) == 1, sep["availability"].incidents
    page = pages[0]
    assert OUTAGE[0] <= page.start <= OUTAGE[0] + 600  # paged within 10 minutes of the outage
    assert OUTAGE[1] <= page.end <= OUTAGE[1] + 3600  # resolved within the hour after it ended
    assert OUTAGE[0] <= tickets[0].start <= OUTAGE[1] and tickets[0].end > page.end
    assert sep["ttft"].incidents == ()
    assert sep["availability"].met is False and "MISSED" in sep["availability"].verdict()
    worst = sep["availability"].worst_days(1)[0]
    assert worst.day.isoformat() == "2026-09-12"

    octo = {s.slo: s for s in report_of(prometheus, calendar.month_range("2026-10", "Europe/Paris")).slos}
    assert [i.severity for i in octo["availability"].incidents] == ["ticket"], octo["availability"].incidents
    ticket = octo["availability"].incidents[0]
    assert SLOW_BURN[0] <= ticket.start <= SLOW_BURN[1] and ticket.end > SLOW_BURN[1] - 86400
    assert octo["availability"].met is True
    assert {d.day.isoformat() for d in octo["availability"].worst_days(2)} == {"2026-10-14", "2026-10-15"}


def test_cli_writes_markdown_csv_and_html(prometheus, tmp_path):
    outputs = {}
    for fmt in slo_report_render.FORMATS:
        out = tmp_path / f"report.{fmt}"
        result = subprocess.run([sys.executable, "-m", "generator", "report", "slo", str(SPEC), "--prometheus", prometheus, "--month", "2026-09",
                                 "--format", fmt, "--out", str(out)], capture_output=True, text=True, timeout=120, check=False)
        assert result.returncode == 0, result.stderr
        outputs[fmt] = out.read_text(encoding="utf-8")
    rows = {r["slo"]: r for r in csv.DictReader(io.StringIO(outputs["csv"]))}
    want = expected(calendar.month_range("2026-09"))
    assert abs(float(rows["availability"]["attainment_percent"]) - want["availability"]) < 0.01
    assert rows["availability"]["met"] == "false" and rows["availability"]["pages"] == "1"
    assert "| chat/availability | 99.5% |" in outputs["md"] and "Incidents:" in outputs["md"]
    assert "<script src" not in outputs["html"] and "uPlot" in outputs["html"]


def test_a_month_without_data_says_so(prometheus):
    report = report_of(prometheus, calendar.month_range("2026-06"))
    assert all(s.attainment is None and s.verdict().startswith("no data") for s in report.slos)


def _chromium(*args: str, profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run([shutil.which("chromium") or "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                           "--disable-component-update", "--no-first-run", f"--user-data-dir={profile}", *args],
                          capture_output=True, text=True, timeout=120, check=False)


@pytest.mark.skipif(shutil.which("chromium") is None, reason="make tools installs Debian's chromium")
def test_html_report_renders_a_chart_per_slo_with_the_markdown_numbers(prometheus, tmp_path, request):
    import re

    report = report_of(prometheus, calendar.month_range("2026-09"))
    page = tmp_path / "report.html"
    page.write_text(slo_report_render.html_page(report), encoding="utf-8")
    dom = _chromium("--dump-dom", page.as_uri(), profile=tmp_path / "profile").stdout
    # uPlot turns each chart's div into a canvas of its own: one daily SLI and one burn-down per SLO.
    for kind in ("sli", "burndown"):
        charts = re.findall(rf"<div class=\"chart {kind}\" data-slo=\"(\d+)\"><div class=\"uplot[^\"]*\"", dom)
        assert sorted(charts) == [str(i) for i in range(len(report.slos))], (kind, charts)
    assert dom.count("<canvas") == 2 * len(report.slos)
    # Every number of the Markdown summary is on the page.
    markdown = slo_report_render.markdown(report)
    numbers = set(re.findall(r"\d[\d,]*\.\d+%|\d{1,3}(?:,\d{3})+", markdown))
    assert numbers and all(n in dom for n in numbers), sorted(n for n in numbers if n not in dom)
    shot = tmp_path / "report.png"
    _chromium("--window-size=1280,1500", "--hide-scrollbars", f"--screenshot={shot}", page.as_uri(), profile=tmp_path / "profile2")
    assert shot.stat().st_size > 20_000  # a page with charts, not a blank one
    if request.config.getoption("--update-golden"):
        (ROOT / "docs/img").mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, ROOT / "docs/img/slo-report.png")


@pytest.fixture(scope="module")
def victoriametrics(tmp_path_factory):
    """The same history imported into victoria-metrics (Prometheus text with millisecond timestamps)."""
    import urllib.request

    from generator.harness.stack import HOST, _get, _stop, free_port, wait_for

    binary = shutil.which("victoria-metrics")
    if binary is None:
        pytest.skip("make tools installs Debian's victoria-metrics")
    work = tmp_path_factory.mktemp("vm")
    openmetrics(work / "history.om")
    port = free_port()
    with (work / "vm.log").open("w") as log:
        proc = subprocess.Popen([binary, f"-httpListenAddr={HOST}:{port}", f"-storageDataPath={work / 'data'}", "-retentionPeriod=100y",
                                 "-search.latencyOffset=0s"], stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://{HOST}:{port}"
            wait_for(lambda: _get(f"{url}/health") is not None, 30, "victoria-metrics ready", every=0.2)
            with (work / "history.om").open(encoding="utf-8") as lines:
                body = "".join(f"{head} {int(ts) * 1000}\n" for line in lines if not line.startswith("#") for head, ts in [line.rsplit(" ", 1)])
            urllib.request.urlopen(urllib.request.Request(f"{url}/api/v1/import/prometheus", data=body.encode()), timeout=120).read()
            _get(f"{url}/internal/force_flush")
            yield url
        finally:
            _stop(proc)


def test_victoriametrics_gives_the_same_attainment(victoriametrics):
    r = calendar.month_range("2026-09")
    want = expected(r)
    report = {s.slo: s for s in report_of(victoriametrics, r).slos}
    for name in ("availability", "ttft"):
        assert abs(report[name].attainment * 100 - want[name]) < 0.01, (name, report[name].attainment * 100, want[name])
    assert len(report["availability"].days) == 30
