"""grafana/*: dashboards load in Grafana unchanged and read only series the bundle or the exporter makes."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import jsonschema
import promql_parser

from generator import conventions as conv
from generator.tools.lint.base import Check, Context, Problem, Severity
from generator.profiles import PROMETHEUS_CLIENT

SCHEMA = Path(__file__).resolve().parents[2] / "data" / "grafana" / "dashboard.jsonschema.json"
GRID_WIDTH = 24
# What Grafana substitutes before the query reaches Prometheus; any valid value will do for parsing.
MACROS = (
    (re.compile(r"\$__(rate_interval|interval|range)\b|\$\{__(rate_interval|interval|range)\}"), "5m"),
    (re.compile(r"\$__(range_s|interval_ms)\b"), "300"),
    (re.compile(r"\$\{?\w+(:\w+)?\}?"), "x"),
)


def dashboards(ctx: Context) -> list[tuple[Path, dict]]:
    return [(p, json.loads(p.read_text(encoding="utf-8"))) for p in ctx.files("grafana/dashboards/*.json")]


def panels(board: dict) -> list[dict]:
    top = board.get("panels", [])
    return [*top, *(child for p in top for child in p.get("panels", []))]  # collapsed rows hold their panels


def queries(board: dict) -> list[tuple[str, str]]:
    """(panel title, expression) for every Prometheus target and query variable."""
    out = [(p.get("title", ""), t["expr"]) for p in panels(board) for t in p.get("targets", []) if t.get("expr")]
    for v in board.get("templating", {}).get("list", []):
        query = v.get("query")
        match = re.fullmatch(r"label_values\((.*),\s*\w+\)", query) if isinstance(query, str) else None
        if match:
            out.append((f"variable {v['name']}", match.group(1)))
    return out


def substitute(expr: str) -> str:
    for pattern, value in MACROS:
        expr = pattern.sub(value, expr)
    return expr


@cache
def _validator() -> jsonschema.Draft7Validator:
    return jsonschema.Draft7Validator(json.loads(SCHEMA.read_text(encoding="utf-8")))


class Schema(Check):
    name = "grafana/schema"
    severity = Severity.BUG

    def run(self, ctx: Context) -> list[Problem]:
        return [
            self.problem(f"{path.name}: {'/'.join(map(str, e.absolute_path)) or '(root)'}", e.message)
            for path, board in dashboards(ctx)
            for e in sorted(_validator().iter_errors(board), key=lambda e: list(map(str, e.absolute_path)))
        ]


class Identity(Check):
    name = "grafana/ids"
    severity = Severity.BUG

    def run(self, ctx: Context) -> list[Problem]:
        problems, seen = [], {}
        for path, board in dashboards(ctx):
            uid = board.get("uid", "")
            if not uid or len(uid) > conv.DASHBOARD_UID_MAX:
                problems.append(self.problem(path.name, f"uid {uid!r} must be 1-{conv.DASHBOARD_UID_MAX} characters"))
            if uid in seen:
                problems.append(self.problem(path.name, f"uid {uid!r} is also used by {seen[uid]}"))
            seen[uid] = path.name
            ids = [p.get("id") for p in panels(board)]
            for dup in sorted({i for i in ids if ids.count(i) > 1}, key=str):
                problems.append(self.problem(path.name, f"panel id {dup} is used more than once"))
        return problems


class Grid(Check):
    name = "grafana/grid"
    severity = Severity.WARNING

    def run(self, ctx: Context) -> list[Problem]:
        problems = []
        for path, board in dashboards(ctx):
            boxes = []
            for p in panels(board):
                g = p.get("gridPos", {})
                x, y, w, h = g.get("x", 0), g.get("y", 0), g.get("w", 0), g.get("h", 0)
                if x + w > GRID_WIDTH:
                    problems.append(self.problem(f"{path.name}: {p.get('title')}", f"reaches column {x + w}; the grid has {GRID_WIDTH}"))
                for title, (ox, oy, ow, oh) in boxes:
                    if x < ox + ow and ox < x + w and y < oy + oh and oy < y + h:
                        problems.append(self.problem(f"{path.name}: {p.get('title')}", f"overlaps panel {title!r}"))
                boxes.append((p.get("title"), (x, y, w, h)))
        return problems


class QueryParse(Check):
    name = "grafana/query-parse"
    severity = Severity.FATAL

    def run(self, ctx: Context) -> list[Problem]:
        problems = []
        for path, board in dashboards(ctx):
            for title, expr in queries(board):
                try:
                    promql_parser.parse(substitute(expr))
                except ValueError as exc:
                    problems.append(self.problem(f"{path.name}: {title}", f"does not parse once Grafana's variables are filled in: {exc}"))
        return problems


# Grafana's own syntax for a variable reference: $name, ${name} or ${name:format}, [[name]] (templateSrv's regex).
VARIABLE_REF = re.compile(r"\$(\w+)|\[\[(\w+?)(?::\w+)?\]\]|\$\{(\w+)(?:\.[^:^}]+)?(?::[^}]+)?\}")


def referenced(text: str) -> set[str]:
    """The variables a query or title names; Grafana's globals ($__rate_interval) and regex groups ($1) are not variables."""
    names = {next(g for g in m.groups() if g) for m in VARIABLE_REF.finditer(text)}
    return {n for n in names if not n.startswith("__") and not n.isdigit()}


def defined(board: dict) -> set[str]:
    return {v.get("name", "") for v in board.get("templating", {}).get("list", [])}


class Variables(Check):
    """A query naming a variable its board does not define reaches Prometheus as the literal `$feature` and matches
    nothing: the panel is empty on every data source."""

    name = "grafana/variables"
    severity = Severity.BUG

    def run(self, ctx: Context) -> list[Problem]:
        problems = []
        for path, board in dashboards(ctx):
            known = defined(board)
            uses = [*queries(board), *((f"row {p.get('title')}", f"${p['repeat']}") for p in panels(board) if p.get("repeat"))]
            for title, expr in uses:
                for name in sorted(referenced(expr) - known):
                    problems.append(self.problem(f"{path.name}: {title}", f"reads ${name}, which the dashboard does not define (it has {', '.join(sorted(known))})"))
        return problems


def metric_names(expr: str) -> set[str]:
    names: set[str] = set()

    def visit(node: object) -> None:
        if isinstance(node, promql_parser.VectorSelector):
            names.add(node.name or next((m.value for m in node.matchers.matchers if m.name == "__name__"), ""))

    promql_parser.walk(promql_parser.parse(substitute(expr)), visit)
    return names


class Sources(Check):
    """A panel reading a series nobody writes shows 'No data' forever: a typo or a rule that was switched off."""

    name = "grafana/sources"
    severity = Severity.BUG

    def run(self, ctx: Context) -> list[Problem]:
        recorded = {r["record"] for _, r in ctx.rules() if "record" in r}
        profiles = [s.profile for s in ctx.services] or [PROMETHEUS_CLIENT]
        exported = {n for p in profiles for s in p.signals.values() for n in (s.metric, *s.exported)}
        known = recorded | exported | {conv.ALERTS}
        problems = []
        for path, board in dashboards(ctx):
            for title, expr in queries(board):
                try:
                    missing = sorted(metric_names(expr) - known)
                except ValueError:
                    continue  # grafana/query-parse reports it
                for name in missing:
                    problems.append(self.problem(f"{path.name}: {title}", f"reads {name}, which no rule in the bundle records and the exporter does not export"))
        return problems
