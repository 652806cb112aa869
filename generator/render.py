"""Bundle -> bytes: the only serialiser. Stable key order, a DO-NOT-EDIT header, no timestamps."""

from __future__ import annotations

from functools import cache
from pathlib import Path, PurePosixPath

import jinja2
import yaml

from generator import conventions as conv
from generator.promql import go_text
from generator.ir import AlertCheck, AlertingRule, Bundle, Document, ExprCheck, RecordingRule, RuleFile, RuleTestFile, Runbook, StaticFile, TestCase, YamlDoc

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line strings, so PromQL reads as written."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value and not any(ch in value for ch in "\r\t") and value == value.strip() and "\x85" not in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _str)


def _yaml(data: object) -> bytes:
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100000, default_flow_style=False)
    return f"# {conv.HEADER}\n{body}".encode()


def _rule(rule: RecordingRule | AlertingRule) -> dict:
    if isinstance(rule, RecordingRule):
        out: dict = {"record": rule.record, "expr": rule.expr}
        if rule.labels:
            out["labels"] = dict(rule.labels)
        return out
    out = {"alert": rule.alert, "expr": rule.expr}
    if rule.for_:
        out["for"] = rule.for_
    # Prometheus expands alert label values as Go templates too; ours are literal text.
    out["labels"] = {k: go_text(v) for k, v in sorted(rule.labels.items())}
    out["annotations"] = dict(rule.annotations)
    return out


def _rule_file(doc: RuleFile) -> dict:
    groups = []
    for group in doc.groups:
        g: dict = {"name": group.name}
        if group.interval:
            g["interval"] = group.interval
        g["rules"] = [_rule(r) for r in group.rules]
        groups.append(g)
    return {"groups": groups}


def _expr_check(check: ExprCheck) -> dict:
    return {
        "expr": check.expr,
        "eval_time": check.eval_time,
        "exp_samples": [{"labels": labels, "value": value} for labels, value in check.samples],
    }


def _alert_check(check: AlertCheck) -> dict:
    return {
        "eval_time": check.eval_time,
        "alertname": check.alertname,
        "exp_alerts": [
            {"exp_labels": dict(sorted(labels.items())), "exp_annotations": dict(annotations)} for labels, annotations in check.alerts
        ],
    }


def _test_case(case: TestCase) -> dict:
    out: dict = {"name": case.name, "interval": case.interval}
    out["input_series"] = [{"series": s.series, "values": s.values} for s in case.series]
    if case.alerts:
        out["alert_rule_test"] = [_alert_check(c) for c in case.alerts]
    if case.exprs:
        out["promql_expr_test"] = [_expr_check(c) for c in case.exprs]
    return out


def _test_file(doc: RuleTestFile) -> dict:
    return {
        "rule_files": list(doc.rule_files),
        "evaluation_interval": doc.evaluation_interval,
        "tests": [_test_case(t) for t in doc.tests],
    }


@cache
def _jinja() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def _runbook(doc: Runbook) -> bytes:
    text = _jinja().get_template(doc.template).render(header=conv.HEADER, **doc.context)
    return text.encode()


def render_document(doc: Document) -> bytes:
    if isinstance(doc, RuleFile):
        return _yaml(_rule_file(doc))
    if isinstance(doc, RuleTestFile):
        return _yaml(_test_file(doc))
    if isinstance(doc, Runbook):
        return _runbook(doc)
    if isinstance(doc, YamlDoc):
        return _yaml(doc.data)
    if isinstance(doc, StaticFile):
        return (TEMPLATES / doc.source).read_bytes()
    raise TypeError(f"no renderer for {type(doc).__name__}")


def render_bundle(bundle: Bundle) -> dict[PurePosixPath, bytes]:
    return {path: render_document(doc) for path, doc in sorted(bundle.files.items())}
