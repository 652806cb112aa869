"""Rule groups and test checks as YAML, line by line: exactly what yamlout writes from render's
dicts for them, without building the dicts or walking them.

They are nearly all of a large bundle's bytes, and the generic walk was a third of its build.
A property test holds each writer to `yamlout` on the dict render builds for the same object.
"""

from __future__ import annotations

from collections.abc import Mapping

from generator.ir import AlertCheck, AlertingRule, ExprCheck, RecordingRule, RuleGroup, Series
from generator.promql import go_text
from generator.yamlout import mapping, scalar, text


def group(g: RuleGroup, indent: int) -> tuple[str]:
    """An item of `groups:` at `indent`."""
    pad = " " * indent
    out: list[str] = []
    text(f"{pad}- name:", g.name, indent + 4, out)
    if g.interval:
        text(f"{pad}  interval:", g.interval, indent + 4, out)
    if not g.rules:
        out.append(f"{pad}  rules: []")
    else:
        out.append(f"{pad}  rules:")
        for rule in g.rules:
            _rule(rule, indent + 2, out)
    out.append("")
    return ("\n".join(out),)


def _alert_labels(rule: AlertingRule) -> dict[str, str]:
    # Prometheus expands alert label values as Go templates too; ours are literal text.
    return {k: go_text(v) for k, v in sorted(rule.labels.items())}


def _rule(rule: RecordingRule | AlertingRule, indent: int, out: list[str]) -> None:
    pad, inner = " " * indent, indent + 4
    if type(rule) is RecordingRule:
        text(f"{pad}- record:", rule.record, inner, out)
        text(f"{pad}  expr:", rule.expr, inner, out)
        if rule.labels:
            mapping(f"{pad}  labels:", rule.labels, inner, out)
        return
    text(f"{pad}- alert:", rule.alert, inner, out)
    text(f"{pad}  expr:", rule.expr, inner, out)
    if rule.for_:
        text(f"{pad}  for:", rule.for_, inner, out)
    mapping(f"{pad}  labels:", _alert_labels(rule), inner, out)
    mapping(f"{pad}  annotations:", rule.annotations, inner, out)


def series(s: Series, indent: int) -> tuple[str]:
    """An item of `input_series:` at `indent`."""
    pad = " " * indent
    out: list[str] = []
    text(f"{pad}- series:", s.series, indent + 4, out)
    text(f"{pad}  values:", s.values, indent + 4, out)
    out.append("")
    return ("\n".join(out),)


def expr_check(check: ExprCheck, indent: int) -> tuple[str]:
    """An item of `promql_expr_test:` at `indent`."""
    pad, inner = " " * indent, indent + 4
    out: list[str] = []
    text(f"{pad}- expr:", check.expr, inner, out)
    text(f"{pad}  eval_time:", check.eval_time, inner, out)
    if not check.samples:
        out.append(f"{pad}  exp_samples: []")
    else:
        out.append(f"{pad}  exp_samples:")
        for labels, value in check.samples:
            text(f"{pad}  - labels:", labels, inner + 2, out)
            out.append(f"{pad}    value: {scalar(value)}")
    out.append("")
    return ("\n".join(out),)


def alert_check(check: AlertCheck, indent: int) -> tuple[str]:
    """An item of `alert_rule_test:` at `indent`."""
    pad, inner = " " * indent, indent + 4
    out: list[str] = []
    text(f"{pad}- eval_time:", check.eval_time, inner, out)
    text(f"{pad}  alertname:", check.alertname, inner, out)
    if not check.alerts:
        out.append(f"{pad}  exp_alerts: []")
    else:
        out.append(f"{pad}  exp_alerts:")
        for labels, notes in check.alerts:
            mapping(f"{pad}  - exp_labels:", _sorted(labels), inner + 2, out)
            mapping(f"{pad}    exp_annotations:", notes, inner + 2, out)
    out.append("")
    return ("\n".join(out),)


def _sorted(labels: Mapping[str, str]) -> dict[str, str]:
    return dict(sorted(labels.items()))

