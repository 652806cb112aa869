"""Bundle -> bytes: the only serialiser. Stable key order, a DO-NOT-EDIT header, no timestamps."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path, PurePosixPath

import jinja2
import orjson

from generator import conventions as conv
from generator import yamlout
from generator.promql import go_text
from generator.ir import (
    AlertCheck,
    AlertingRule,
    Bundle,
    DashboardConfigMap,
    Document,
    ExprCheck,
    JsonDoc,
    RecordingRule,
    PrometheusRule,
    RuleFile,
    RuleGroup,
    RuleTestFile,
    Runbook,
    TemplatedFile,
    StaticFile,
    TestCase,
    YamlDoc,
)

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"


def _yaml(data: object) -> bytes:
    return f"# {conv.HEADER}\n{yamlout.dump(data)}".encode()


def _yaml_chunks(chunks: Iterable[str]) -> Iterator[bytes]:
    """A document whose bulk is one long list, in pieces as they render, headed and encoded: it is
    never in memory whole. Small pieces are gathered into writes of about 64 KB."""
    batch, size = [f"# {conv.HEADER}\n"], 0
    for chunk in chunks:
        batch.append(chunk)
        size += len(chunk)
        if size >= 1 << 16:
            yield "".join(batch).encode()
            batch, size = [], 0
    yield "".join(batch).encode()


def _json(data: object) -> str:
    # json.dumps' layout (two-space indent, sorted keys, UTF-8 as is); the stdlib's indenting encoder is pure Python.
    return orjson.dumps(data, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE).decode()


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


def _group(group: RuleGroup) -> dict:
    g: dict = {"name": group.name}
    if group.interval:
        g["interval"] = group.interval
    g["rules"] = [_rule(r) for r in group.rules]
    return g


def _rule_file(doc: RuleFile) -> dict:
    return {"groups": [_group(g) for g in doc.groups]}


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


def _test_case(case: TestCase, indent: int) -> Iterator[str]:
    """One test case in pieces: a case that packs thousands of SLOs is never one string."""
    sequences: list[tuple[str, Iterable[object]]] = [("input_series", ({"series": s.series, "values": s.values} for s in case.series))]
    if case.alerts:
        sequences.append(("alert_rule_test", map(_alert_check, case.alerts)))
    if case.exprs:
        sequences.append(("promql_expr_test", map(_expr_check, case.exprs)))
    return yamlout.item_chunks({"name": case.name, "interval": case.interval}, sequences, indent)


@cache
def _jinja() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def _templated(doc: Runbook | TemplatedFile) -> bytes:
    text = _jinja().get_template(doc.template).render(header=conv.HEADER, **doc.context)
    return text.encode()


def rule_file_chunks(groups: Iterable[RuleGroup]) -> Iterator[bytes]:
    """A rule file's bytes a group at a time, as the groups come: a large build never holds them all."""
    return _yaml_chunks(yamlout.sequence_chunks("groups", map(_group, groups)))


def render_chunks(doc: Document) -> Iterator[bytes]:
    """The document's bytes in pieces: the rule and test files a group or a test case at a time."""
    if isinstance(doc, RuleFile):
        return rule_file_chunks(doc.groups)
    if isinstance(doc, RuleTestFile):
        head = yamlout.dump({"rule_files": list(doc.rule_files), "evaluation_interval": doc.evaluation_interval})
        return _yaml_chunks(itertools.chain((head,), yamlout.sequence_chunks("tests", doc.tests, 0, _test_case)))
    return iter((render_document(doc),))


def render_document(doc: Document) -> bytes:
    if isinstance(doc, RuleFile | RuleTestFile):
        return b"".join(render_chunks(doc))
    if isinstance(doc, Runbook | TemplatedFile):
        return _templated(doc)
    if isinstance(doc, YamlDoc):
        return _yaml(doc.data)
    if isinstance(doc, StaticFile):
        return (TEMPLATES / doc.source).read_bytes()
    if isinstance(doc, JsonDoc):
        return _json(doc.data).encode()
    if isinstance(doc, PrometheusRule):
        api, kind = conv.PROMETHEUS_RULE
        body = {"apiVersion": api, "kind": kind, "metadata": doc.metadata, "spec": _rule_file(doc.rules)}
        return _yaml(body)
    if isinstance(doc, DashboardConfigMap):
        return _yaml({"apiVersion": "v1", "kind": "ConfigMap", "metadata": doc.metadata, "data": {doc.filename: _json(doc.dashboard)}})
    raise TypeError(f"no renderer for {type(doc).__name__}")


def render_bundle(bundle: Bundle) -> dict[PurePosixPath, bytes]:
    return {path: render_document(doc) for path, doc in sorted(bundle.files.items())}
