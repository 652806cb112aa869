"""A `Report` as Markdown, CSV or one self-contained HTML page. Pure: the same report, the same bytes.

The page inlines uPlot (MIT, vendored under generator/data/uplot by scripts/vendor-uplot.sh) and
each SLO's numbers as JSON, so it opens from a mail attachment or a wiki with nothing to fetch.
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
from datetime import datetime, timezone
from importlib import resources
from zoneinfo import ZoneInfo

from generator.tools.slo_report import Incident, Report, SLOReport, Spend

FORMATS = ("md", "csv", "html")


def _pct(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value * 100:.{digits}f}%"


def _when(ts: float, zone: str) -> str:
    return datetime.fromtimestamp(ts, tz=timezone.utc).astimezone(ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M")


def _length(seconds: float) -> str:
    minutes = round(seconds / 60)
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    parts = [f"{days}d" if days else "", f"{hours}h" if hours else "", f"{mins}m" if mins or not (days or hours) else ""]
    return " ".join(p for p in parts if p)


def _incident_row(i: Incident, zone: str) -> tuple[str, str, str, str, str]:
    start = _when(i.start, zone) + (" (before the range)" if i.open_start else "")
    end = _when(i.end, zone) + (" (still firing)" if i.open_end else "")
    return i.severity, start, end, _length(i.seconds), ", ".join(i.tiers) or "-"


def _spend_text(s: Spend) -> str:
    if s.spent_usd is None:
        return f"{s.service}: no cost data in the range (budget ${s.budget_usd:,.2f})"
    share = s.spent_usd / s.budget_usd if s.budget_usd else math.inf
    word = "over" if share > 1 else "within"
    return f"{s.service}: ${s.spent_usd:,.2f} spent of a ${s.budget_usd:,.2f} budget ({share * 100:.1f}%, {word} budget)"


def markdown(report: Report) -> str:
    r = report.range
    lines = [f"# SLO report: {r.label}", "", f"From {r.start.strftime('%Y-%m-%d %H:%M')} to {r.end.strftime('%Y-%m-%d %H:%M')} ({r.zone}), "
             f"counted from the raw counters over exactly this range.", ""]
    if not report.slos:
        return "\n".join([*lines, "The spec has no SLOs.", ""])
    lines += ["| SLO | objective | attainment | events | bad events | budget spent | incidents | verdict |", "|---|---:|---:|---:|---:|---:|---:|---|"]
    for s in report.slos:
        lines.append(f"| {s.service}/{s.slo} | {s.objective:g}% | {_pct(s.attainment)} | {s.total:,.0f} | {s.bad:,.0f} | "
                     f"{_pct(s.budget_spent, 1)} | {len(s.incidents)} | {s.verdict()} |")
    if report.spend:
        lines += ["", "## Spend", "", *(f"- {_spend_text(s)}" for s in report.spend)]
    for s in report.slos:
        lines += ["", f"## {s.service}/{s.slo}", "", s.description, "", f"**{s.verdict()}**", ""] if s.description else \
                 ["", f"## {s.service}/{s.slo}", "", f"**{s.verdict()}**", ""]
        worst = s.worst_days()
        if worst:
            lines += ["Worst days:", "", "| day | attainment | bad events | events |", "|---|---:|---:|---:|"]
            lines += [f"| {d.day.isoformat()} | {_pct(d.attainment)} | {d.bad:,.0f} | {d.total:,.0f} |" for d in worst]
            lines.append("")
        if s.incidents:
            lines += ["Incidents:", "", "| alert | start | end | duration | burn-rate tier |", "|---|---|---|---|---|"]
            lines += ["| " + " | ".join(_incident_row(i, report.range.zone)) + " |" for i in s.incidents]
        else:
            lines.append("No page or ticket fired.")
    return "\n".join(lines) + "\n"


CSV_HEADER = ("service", "slo", "range", "objective_percent", "attainment_percent", "events", "bad_events", "budget_spent_percent",
              "pages", "tickets", "incident_minutes", "met", "verdict")


def csv_text(report: Report) -> str:
    buffer = io.StringIO()
    out = csv.writer(buffer, lineterminator="\n")
    out.writerow(CSV_HEADER)
    for s in report.slos:
        a, spent = s.attainment, s.budget_spent
        out.writerow([
            s.service, s.slo, report.range.label, f"{s.objective:g}", "" if a is None else f"{a * 100:.6f}", f"{s.total:.0f}", f"{s.bad:.0f}",
            "" if spent is None else f"{spent * 100:.4f}", sum(i.severity == "page" for i in s.incidents),
            sum(i.severity == "ticket" for i in s.incidents), f"{sum(i.seconds for i in s.incidents) / 60:.0f}",
            "" if s.met is None else str(s.met).lower(), s.verdict(),
        ])
    return buffer.getvalue()


def _asset(name: str) -> str:
    return resources.files("generator").joinpath("data", "uplot", name).read_text(encoding="utf-8")


def _chart_data(s: SLOReport) -> dict:
    days = [d.day.isoformat() for d in s.days]
    return {
        "days": days,
        "sli": [None if d.attainment is None else round(d.attainment * 100, 6) for d in s.days],
        "objective": s.objective,
        "left": [None if math.isinf(v) else round(v * 100, 4) for _, v in s.burn_down()],
    }


def _script_json(value: object) -> str:
    return json.dumps(value, sort_keys=True).replace("</", "<\\/")


def html_page(report: Report) -> str:
    e = html.escape
    r = report.range
    parts = [f"<h1>SLO report: {e(r.label)}</h1>",
             f"<p>From {e(r.start.strftime('%Y-%m-%d %H:%M'))} to {e(r.end.strftime('%Y-%m-%d %H:%M'))} ({e(r.zone)}), counted from the raw counters over exactly this range.</p>"]
    rows = "".join(
        f"<tr class='{'met' if s.met else 'missed' if s.met is False else 'nodata'}'><td>{e(s.service)}/{e(s.slo)}</td><td>{s.objective:g}%</td>"
        f"<td>{_pct(s.attainment)}</td><td>{s.total:,.0f}</td><td>{s.bad:,.0f}</td><td>{_pct(s.budget_spent, 1)}</td><td>{len(s.incidents)}</td>"
        f"<td>{e(s.verdict())}</td></tr>"
        for s in report.slos
    )
    parts.append("<table class='summary'><thead><tr><th>SLO</th><th>objective</th><th>attainment</th><th>events</th><th>bad events</th>"
                 f"<th>budget spent</th><th>incidents</th><th>verdict</th></tr></thead><tbody>{rows}</tbody></table>")
    if report.spend:
        parts.append("<h2>Spend</h2><ul>" + "".join(f"<li>{e(_spend_text(s))}</li>" for s in report.spend) + "</ul>")
    for i, s in enumerate(report.slos):
        parts.append(f"<section class='slo' id='slo-{i}'><h2>{e(s.service)}/{e(s.slo)}</h2><p class='verdict'>{e(s.verdict())}</p>")
        parts.append(f"<div class='charts'><div class='chart sli' data-slo='{i}'></div><div class='chart burndown' data-slo='{i}'></div></div>")
        worst = s.worst_days()
        if worst:
            parts.append("<h3>Worst days</h3><table><tr><th>day</th><th>attainment</th><th>bad events</th><th>events</th></tr>" + "".join(
                f"<tr><td>{d.day.isoformat()}</td><td>{_pct(d.attainment)}</td><td>{d.bad:,.0f}</td><td>{d.total:,.0f}</td></tr>" for d in worst) + "</table>")
        if s.incidents:
            parts.append("<h3>Incidents</h3><table><tr><th>alert</th><th>start</th><th>end</th><th>duration</th><th>burn-rate tier</th></tr>" + "".join(
                "<tr>" + "".join(f"<td>{e(c)}</td>" for c in _incident_row(inc, r.zone)) + "</tr>" for inc in s.incidents) + "</table>")
        else:
            parts.append("<p>No page or ticket fired.</p>")
        parts.append("</section>")
    data = _script_json([_chart_data(s) for s in report.slos])
    return _PAGE.format(title=e(f"SLO report {r.label}"), css=_asset("uPlot.min.css"), uplot=_asset("uPlot.iife.min.js"), body="\n".join(parts), data=data)


# Charts are uPlot's; this script only hands it each SLO's series.
_DRAW = """
const DATA = JSON.parse(document.getElementById('slo-data').textContent);
const day = s => Date.parse(s + 'T12:00:00Z') / 1000;
function draw(el, title, x, series, yLabel) {
  new uPlot({title, width: 560, height: 240, scales: {x: {time: true}}, axes: [{}, {label: yLabel, size: 70}],
             series: [{}].concat(series.map(s => ({label: s.label, stroke: s.color, width: 2, dash: s.dash, spanGaps: false,
                                                    value: (u, v) => v == null ? '-' : v.toFixed(3) + '%'})))},
            [x].concat(series.map(s => s.values)), el);
}
document.querySelectorAll('.chart.sli').forEach(el => {
  const d = DATA[+el.dataset.slo], x = d.days.map(day);
  draw(el, 'Daily SLI against the objective', x, [
    {label: 'SLI', color: '#1f77b4', values: d.sli},
    {label: 'objective', color: '#d62728', dash: [6, 4], values: d.days.map(() => d.objective)}], 'good events %');
});
document.querySelectorAll('.chart.burndown').forEach(el => {
  const d = DATA[+el.dataset.slo], x = d.days.map(day);
  draw(el, 'Error budget left through the range', x, [
    {label: 'budget left', color: '#2ca02c', values: d.left},
    {label: 'exhausted', color: '#7f7f7f', dash: [6, 4], values: d.days.map(() => 0)}], 'budget left %');
});
"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{css}</style>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em; color: #222; }}
table {{ border-collapse: collapse; margin: .5em 0 1em; }}
th, td {{ border: 1px solid #ccc; padding: .25em .6em; text-align: left; }}
tr.missed td {{ background: #fde2e1; }} tr.met td {{ background: #e6f4ea; }}
.charts {{ display: flex; flex-wrap: wrap; gap: 1em; }}
.verdict {{ font-weight: bold; }}
</style></head>
<body>
{body}
<script id="slo-data" type="application/json">{data}</script>
<script>{uplot}</script>
<script>{draw}</script>
</body></html>
""".replace("{draw}", _DRAW.replace("{", "{{").replace("}", "}}"))


def render(report: Report, fmt: str) -> str:
    return {"md": markdown, "csv": csv_text, "html": html_page}[fmt](report)
