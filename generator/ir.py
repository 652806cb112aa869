"""The bundle as data: what the compile stages return and the renderer serialises."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Generic, TypeVar

T = TypeVar("T")
Slots = tuple[tuple[str, str], ...]  # a stand-in's placeholder, and an SLO's own text for it


@dataclass(frozen=True)
class RecordingRule:
    record: str
    expr: str
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AlertingRule:
    alert: str
    expr: str
    labels: dict[str, str]
    annotations: dict[str, str]
    for_: str | None = None


Rule = RecordingRule | AlertingRule


@dataclass(frozen=True)
class RuleGroup:
    name: str
    rules: tuple[Rule, ...]
    interval: str | None = None


@dataclass(frozen=True)
class RuleFile:
    groups: tuple[RuleGroup | Filled[RuleGroup], ...]


@dataclass(frozen=True)
class Series:
    series: str
    values: str


@dataclass(frozen=True)
class ExprCheck:
    """A promql_expr_test: `expr` at `eval_time` returns exactly `samples` (label text -> value)."""

    expr: str
    eval_time: str
    samples: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class AlertCheck:
    """An alert_rule_test: exactly these alerts (labels, annotations) fire at `eval_time`."""

    alertname: str
    eval_time: str
    alerts: tuple[tuple[dict[str, str], dict[str, str]], ...] = ()


@dataclass(frozen=True)
class TestCase:
    name: str
    series: tuple[Series, ...]
    exprs: tuple[ExprCheck | Filled[tuple[ExprCheck, ...]], ...] = ()
    alerts: tuple[AlertCheck | Filled[tuple[AlertCheck, ...]], ...] = ()
    interval: str = "1m"


@dataclass(frozen=True)
class RuleTestFile:
    rule_files: tuple[str, ...]
    tests: tuple[TestCase, ...]
    evaluation_interval: str = "1m"


@dataclass(frozen=True)
class Runbook:
    """Content of out/runbooks/<alert>.md; the template decides the layout."""

    alert: str
    template: str
    context: dict[str, object]


@dataclass(frozen=True)
class TemplatedFile:
    """A text file from a Jinja2 template under templates/ (configuration for other tools)."""

    template: str
    context: dict[str, object]


@dataclass(frozen=True)
class YamlDoc:
    """A YAML document built as plain data (Alertmanager configuration, routing tests)."""

    data: dict


@dataclass(frozen=True)
class StaticFile:
    """A file copied verbatim from templates/ (Go-template text that must never pass through Jinja)."""

    source: str


@dataclass(frozen=True)
class JsonDoc:
    """A JSON document built as plain data (a Grafana dashboard)."""

    data: dict


@dataclass(frozen=True)
class DashboardConfigMap:
    """A Kubernetes ConfigMap carrying one dashboard as JSON text, for Grafana's sidecar."""

    metadata: dict
    filename: str
    dashboard: dict


@dataclass(frozen=True)
class Filled(Generic[T]):
    """`stencil`, compiled for the stand-in of an SLO's shape, written with the SLO's own text in
    place of the stand-in's placeholders (`slots`): see generator.stencil."""

    stencil: T
    slots: Slots


@dataclass(frozen=True)
class PrometheusRule:
    """The rule file's groups as a prometheus-operator PrometheusRule (monitoring.coreos.com/v1)."""

    metadata: dict
    rules: RuleFile


Document = RuleFile | RuleTestFile | Runbook | Filled | TemplatedFile | YamlDoc | StaticFile | JsonDoc | DashboardConfigMap | PrometheusRule


@dataclass(frozen=True)
class Bundle:
    """Every file of out/, by path relative to it; plus what the build wants the user to know."""

    files: dict[PurePosixPath, Document]
    warnings: tuple[str, ...] = ()
