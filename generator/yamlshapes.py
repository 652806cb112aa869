"""Rule groups and test checks as YAML, line by line: exactly what yamlout writes from render's
dicts for them, without building the dicts or walking them.

They are nearly all of a large bundle's bytes, and the generic walk was a third of its build.
A property test holds each writer to `yamlout` on the dict render builds for the same object.
Each also writes a `Filled` stencil: its text once for all the SLOs of its shape, each SLO's own filled in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TypeVar

from generator import stencil
from generator.ir import AlertCheck, AlertingRule, ExprCheck, Filled, RecordingRule, RuleGroup, Series
from generator.promql import go_text
from generator.yamlout import mapping, scalar, text

T = TypeVar("T")


def _stenciled(write: Callable[[T, int], str]) -> Callable[[T | Filled, int], tuple[str]]:
    """`write` for one item, taught to write a Filled one: one item, or a tuple of them (a shape's checks)."""

    def many(items: Iterable[T], indent: int) -> str:
        return "".join(write(item, indent) for item in items)

    def chunks(item: T | Filled, indent: int) -> tuple[str]:
        if isinstance(item, Filled):
            return (stencil.text(item, many if isinstance(item.stencil, tuple) else write, indent),)
        return (write(item, indent),)

    return chunks


def _group(g: RuleGroup, indent: int) -> str:
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
    return "\n".join(out)


group = _stenciled(_group)  # an item of `groups:` at `indent`


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


def _expr_check(check: ExprCheck, indent: int) -> str:
    return _check(indent, ("expr", check.expr), ("eval_time", check.eval_time), "exp_samples", check.samples, _sample)


def _alert_check(check: AlertCheck, indent: int) -> str:
    return _check(indent, ("eval_time", check.eval_time), ("alertname", check.alertname), "exp_alerts", check.alerts, _alert)


expr_check = _stenciled(_expr_check)  # an item of `promql_expr_test:` at `indent`
alert_check = _stenciled(_alert_check)  # an item of `alert_rule_test:` at `indent`


def _sample(sample: tuple[str, float], pad: str, inner: int, out: list[str]) -> None:
    labels, value = sample
    text(f"{pad}  - labels:", labels, inner, out)
    out.append(f"{pad}    value: {scalar(value)}")


def _alert(alert: tuple[dict[str, str], dict[str, str]], pad: str, inner: int, out: list[str]) -> None:
    labels, notes = alert
    mapping(f"{pad}  - exp_labels:", _sorted(labels), inner, out)
    mapping(f"{pad}    exp_annotations:", notes, inner, out)


def _check(
    indent: int, first: tuple[str, str], second: tuple[str, str], key: str, entries: tuple[T, ...],
    entry: Callable[[T, str, int, list[str]], None],
) -> str:
    """A check at `indent`: two string fields, then `key:` and its entries, each written by `entry`."""
    pad, inner = " " * indent, indent + 4
    out: list[str] = []
    text(f"{pad}- {first[0]}:", first[1], inner, out)
    text(f"{pad}  {second[0]}:", second[1], inner, out)
    if not entries:
        out.append(f"{pad}  {key}: []")
    else:
        out.append(f"{pad}  {key}:")
        for item in entries:
            entry(item, pad, inner + 2, out)
    out.append("")
    return "\n".join(out)


def _sorted(labels: Mapping[str, str]) -> dict[str, str]:
    return dict(sorted(labels.items()))

