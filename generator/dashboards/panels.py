"""Panel builders on grafana-foundation-sdk, and a board that places them on Grafana's 24-column grid.

Every panel reads the `datasource` variable; ids and positions come from the board, in the
order panels are added, so a dashboard is the same JSON on every build.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import gauge, stat, table, text, timeseries
from grafana_foundation_sdk.builders import prometheus as prom
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models import dashboard as dm
from grafana_foundation_sdk.models import text as tm

GRID_WIDTH = 24
DATASOURCE = dm.DataSourceRef(type_val="prometheus", uid="${datasource}")


@dataclass(frozen=True)
class Query:
    expr: str
    legend: str = ""
    instant: bool = False
    exemplar: bool = False  # ask for exemplars: a slow bucket's dot links to its trace (slogen.instrument sets the trace id)


@dataclass(frozen=True)
class Line:
    """A threshold step: from `value` upwards the panel turns `color`."""

    value: float
    color: str


def legend(*labels: str | None) -> str:
    """A series name in Grafana's legend syntax, from label names; a label the exporter lacks (None) is left out."""
    return " ".join("{{%s}}" % label for label in labels if label)


def _target(q: Query, ref: str) -> prom.Dataquery:
    t = prom.Dataquery().expr(q.expr).ref_id(ref).datasource(DATASOURCE).legend_format(q.legend or "__auto")
    if q.exemplar:
        t = t.exemplar(True)
    return t.instant() if q.instant else t.range()


def _thresholds(lines: tuple[Line, ...], base: str) -> db.ThresholdsConfig:
    steps = [dm.Threshold(value=None, color=base), *(dm.Threshold(value=line.value, color=line.color) for line in lines)]
    return db.ThresholdsConfig().mode(dm.ThresholdsMode.ABSOLUTE).steps(steps)


def _common(panel, title: str, description: str, queries: tuple[Query, ...], unit: str, lines: tuple[Line, ...], base: str = "green"):
    panel = panel.title(title).description(description).datasource(DATASOURCE).unit(unit).thresholds(_thresholds(lines, base))
    for i, q in enumerate(queries):
        panel = panel.with_target(_target(q, chr(ord("A") + i)))
    return panel


def graph(title: str, description: str, *queries: Query, unit: str = "short", lines: tuple[Line, ...] = (), stack: bool = False):
    panel = timeseries.Panel().fill_opacity(10).line_width(1).legend(
        cb.VizLegendOptions().display_mode(common.LegendDisplayMode.LIST).placement(common.LegendPlacement.BOTTOM).show_legend(True)
    )
    if lines:
        panel = panel.thresholds_style(cb.GraphThresholdsStyleConfig().mode(common.GraphThresholdsStyleMode.LINE))
    if stack:
        panel = panel.stacking(cb.StackingConfig().mode(common.StackingMode.NORMAL))
    return _common(panel, title, description, queries, unit, lines)


def single(title: str, description: str, query: Query, unit: str = "short", lines: tuple[Line, ...] = (), base: str = "green"):
    panel = stat.Panel().graph_mode(common.BigValueGraphMode.AREA).color_mode(common.BigValueColorMode.VALUE)
    panel = panel.reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    return _common(panel, title, description, (query,), unit, lines, base)


def dial(title: str, description: str, query: Query, lines: tuple[Line, ...]):
    panel = gauge.Panel().show_threshold_markers(True).show_threshold_labels(False).min(0).max(1)
    panel = panel.reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).values(False))
    return _common(panel, title, description, (query,), "percentunit", lines)


def listing(title: str, description: str, query: Query):
    return _common(table.Panel(), title, description, (Query(query.expr, query.legend, instant=True),), "short", ())


def choice(name: str, label: str, query: str):
    """A multi-value `label_values` variable, all values chosen by default."""
    return (
        db.QueryVariable(name)
        .label(label)
        .datasource(DATASOURCE)
        .query(query)
        .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED)
        .sort(dm.VariableSort.ALPHABETICAL_ASC)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(dm.VariableOption(selected=True, text="All", value="$__all"))
    )


def note(title: str, markdown: str):
    return text.Panel().title(title).content(markdown).mode(tm.TextMode.MARKDOWN)


@dataclass
class Board:
    """Places panels left to right, wrapping at 24 columns; rows start on a line of their own."""

    items: list[tuple[bool, cogbuilder.Builder]] = field(default_factory=list)  # (is a row, builder)
    x: int = 0
    y: int = 0
    line_height: int = 0
    next_id: int = 1
    variables: list = field(default_factory=list)  # template variables the board's panels read beyond the dashboard's own
    notes: list[str] = field(default_factory=list)  # panels left out because they could show no data, and why

    def add(self, panel, width: int = 8, height: int = 8) -> Board:
        if self.x + width > GRID_WIDTH:
            self._newline()
        panel = panel.id(self.next_id).grid_pos(dm.GridPos(h=height, w=width, x=self.x, y=self.y))
        self.items.append((False, panel))
        self.next_id += 1
        self.x += width
        self.line_height = max(self.line_height, height)
        return self

    def leave_out(self, title: str, why: str) -> Board:
        self.notes.append(f"{title!r}: {why}")
        return self

    def row(self, title: str, repeat: str | None = None) -> Board:
        self._newline()
        row = db.Row(title).id(self.next_id).grid_pos(dm.GridPos(h=1, w=GRID_WIDTH, x=0, y=self.y))
        self.items.append((True, row.repeat(repeat) if repeat else row))
        self.next_id += 1
        self.y += 1
        return self

    def onto(self, dashboard: db.Dashboard) -> db.Dashboard:
        for is_row, item in self.items:
            dashboard = dashboard.with_row(item) if is_row else dashboard.with_panel(item)
        return dashboard

    def _newline(self) -> None:
        if self.x:
            self.y += self.line_height
        self.x, self.line_height = 0, 0
