"""Bundle -> bytes: the only serialiser. Stable key order, a DO-NOT-EDIT header, no timestamps."""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

import orjson

from generator import conventions as conv
from generator import stencil, yamlout, yamlshapes
from generator.ir import (
    Bundle,
    DashboardConfigMap,
    Document,
    Filled,
    JsonDoc,
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

if TYPE_CHECKING:
    import jinja2

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


def _test_case(case: TestCase, indent: int) -> Iterator[str]:
    """One test case in pieces: a case that packs thousands of SLOs is never one string."""
    sequences: list[tuple[str, Iterable[object], yamlout.Chunks]] = [("input_series", case.series, yamlshapes.series)]
    if case.alerts:
        sequences.append(("alert_rule_test", case.alerts, yamlshapes.alert_check))
    if case.exprs:
        sequences.append(("promql_expr_test", case.exprs, yamlshapes.expr_check))
    return yamlout.item_chunks({"name": case.name, "interval": case.interval}, sequences, indent)


@cache
def _jinja() -> jinja2.Environment:
    import jinja2  # here, not at the top: a large build imports it after forking, in the processes that render templates

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def _templated(doc: Runbook | TemplatedFile, _indent: int = 0) -> str:
    return _jinja().get_template(doc.template).render(header=conv.HEADER, **doc.context)


def rule_file_chunks(groups: Iterable[RuleGroup]) -> Iterator[bytes]:
    """A rule file's bytes a group at a time, as the groups come: a large build never holds them all."""
    return _yaml_chunks(_groups(groups, 0))


def _groups(groups: Iterable[RuleGroup], indent: int) -> Iterator[str]:
    return yamlout.sequence_chunks("groups", groups, indent, yamlshapes.group)


# Bytes of groups in one PrometheusRule. `kubectl apply` (and Argo CD, by default) keeps the whole object in the
# last-applied-configuration annotation, and an object's annotations hold 256 KiB at most: a service with more
# groups gets more objects, `<name>-2`, `<name>-3`, ..., in the same file, each group whole and in order.
OBJECT_BYTES = 200_000


def _prometheus_rules(doc: PrometheusRule) -> Iterator[str]:
    api, kind = conv.PROMETHEUS_RULE
    objects: list[list[str]] = [[]]
    size = 0
    for group in doc.rules.groups:
        text = "".join(yamlshapes.group(group, 2))
        length = len(text.encode())
        if objects[-1] and size + length > OBJECT_BYTES:
            objects.append([])
            size = 0
        objects[-1].append(text)
        size += length
    for i, groups in enumerate(objects):
        name = doc.metadata["name"] if i == 0 else conv.kubernetes_name(doc.metadata["name"], suffix=f"-{i + 1}")
        yield (conv.OBJECT_SEPARATOR if i else "") + yamlout.dump({"apiVersion": api, "kind": kind, "metadata": {**doc.metadata, "name": name}})
        yield "spec:\n"
        yield "  groups:\n" if groups else "  groups: []\n"
        yield from groups


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
        return _templated(doc).encode()
    if isinstance(doc, Filled):  # a runbook of an SLO of a shared shape
        return stencil.text(doc, _templated).encode()
    if isinstance(doc, YamlDoc):
        return _yaml(doc.data)
    if isinstance(doc, StaticFile):
        return (TEMPLATES / doc.source).read_bytes()
    if isinstance(doc, JsonDoc):
        return _json(doc.data).encode()
    if isinstance(doc, PrometheusRule):
        return b"".join(_yaml_chunks(_prometheus_rules(doc)))
    if isinstance(doc, DashboardConfigMap):
        return _yaml({"apiVersion": "v1", "kind": "ConfigMap", "metadata": doc.metadata, "data": {doc.filename: _json(doc.dashboard)}})
    raise TypeError(f"no renderer for {type(doc).__name__}")


def render_bundle(bundle: Bundle) -> dict[PurePosixPath, bytes]:
    return {path: render_document(doc) for path, doc in sorted(bundle.files.items())}
