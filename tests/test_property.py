"""Property tests: every valid spec compiles to rules promtool accepts; no input makes the loader crash."""

import re
import subprocess

import promql_parser
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import conventions as conv
from generator.compile import compile_bundle
from generator.errors import SpecError
from generator.ir import AlertCheck, AlertingRule, ExprCheck, RecordingRule, RuleFile, RuleGroup, Series
from generator.pipeline import load
from generator.profiles import PROMETHEUS_CLIENT
from generator import promql as q
from generator import stencil
from generator.promql import go_text
from generator.render import render_bundle
from generator.resolve import resolve
from generator.spec.models import Spec

names = st.from_regex(r"[a-z0-9]([a-z0-9_.-]{0,10}[a-z0-9])?", fullmatch=True)
label_keys = (st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True) | st.just("qqslotlabelaa")).filter(lambda k: k not in conv.RESERVED_LABELS)
any_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=40)


@st.composite
def slis(draw):
    if draw(st.booleans()):
        codes = draw(st.lists(st.sampled_from(["400", "401", "403", "404", "413", "422", "4.9"]), max_size=4))
        return {"availability": {"exclude_status": codes}}
    signal = draw(st.sampled_from(["ttft", "duration"]))
    bound = draw(st.sampled_from(PROMETHEUS_CLIENT.signals[signal].buckets))
    return {"latency": {"signal": signal, "threshold": f"{bound:g}s"}}


@st.composite
def specs(draw):
    slo_names = draw(st.lists(names, min_size=1, max_size=3, unique_by=lambda n: re.sub(r"[^a-z0-9]", "", n)))  # alert names keep letters and digits
    return {
        "version": 1,
        "service": draw(names),
        "description": draw(any_text),
        "labels": draw(st.dictionaries(label_keys, any_text, max_size=3)),
        "metrics": {"selector": draw(st.dictionaries(label_keys, any_text, max_size=2))},
        "slos": [
            {
                "name": n,
                "description": draw(any_text),
                "objective": draw(st.sampled_from([90, 95, 98.5, 99, 99.5, 99.9, 99.95, 99.99])),
                "window": draw(st.sampled_from(["7d", "28d", "30d"])),
                "sli": draw(slis()),
                "labels": draw(st.dictionaries(label_keys, any_text, max_size=2)),
                "alerting": {"min_events": draw(st.integers(0, 50))},
                "group_by": draw(st.sampled_from([[], [], ["model"], ["feature"], ["model", "feature"]])),
            }
            for n in slo_names
        ],
    }


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(specs())
def test_every_valid_spec_compiles_to_rules_promtool_accepts(tmp_path_factory, promtool, data):
    bundle = compile_bundle(resolve(Spec.model_validate(data)))
    rendered = render_bundle(bundle)
    rules_path = next(p for p in rendered if p.parts[1] == "rules")
    doc = yaml.safe_load(rendered[rules_path])
    ir = bundle.files[rules_path]
    assert isinstance(ir, RuleFile)
    expected = [r for g in map(stencil.unfold, ir.groups) for r in g.rules]
    got = [r for g in doc["groups"] for r in g["rules"]]
    assert len(got) == len(expected)
    for rule, original in zip(got, expected, strict=True):
        promql_parser.parse(rule["expr"])
        assert not {q.IDENTITY_MATCHERS, q.ALERTNAME} & set(rule["expr"])  # every shape's placeholder filled
        assert rule["expr"] == original.expr  # YAML carries every character through
    folder = tmp_path_factory.mktemp("rules")
    path = folder / "rules.yaml"
    path.write_bytes(rendered[rules_path])
    result = subprocess.run([promtool, "check", "rules", "--lint=all", "--lint-fatal", str(path)], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


yaml_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | any_text,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(any_text | st.sampled_from(["version", "slos", "sli", "objective", "service", "name"]), children, max_size=4),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.one_of(yaml_values.map(lambda v: yaml.safe_dump(v, allow_unicode=True)), any_text, specs().map(yaml.safe_dump)))
def test_the_loader_never_crashes(tmp_path, text):
    spec = tmp_path / "fuzz.yaml"
    spec.write_text(text, encoding="utf-8")
    try:
        load(spec)
    except SpecError as exc:
        assert str(spec) in str(exc)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(specs(), st.sampled_from(["objective", "window", "sli", "name"]), yaml_values)
def test_a_corrupted_field_is_an_error_or_a_valid_spec(tmp_path, data, field, value):
    data["slos"][0][field] = value
    spec = tmp_path / "slo.yaml"
    spec.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    try:
        load(spec)
    except SpecError as exc:
        assert "slos[0]" in str(exc)


# Any text, and text made of YAML's indicators, digits and keywords' letters, where quoting decisions are hard.
yaml_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=30) | st.text(
    st.sampled_from(list(":-#{}[] ,'\"&*!|>%@`?0123456789.eE+_aTNy~<=\n\t")), max_size=8
)
yaml_keys = yaml_text
plain_data = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | yaml_text,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(yaml_keys, inner, max_size=4),
    max_leaves=25,
)


@settings(max_examples=1000, deadline=None)
@given(plain_data)
def test_the_yaml_writer_round_trips_any_plain_data(data):
    from generator.yamlout import dump

    assert yaml.safe_load(dump(data)) == data


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(yaml_keys, plain_data, max_size=3), yaml_keys, st.lists(plain_data, max_size=4), st.lists(plain_data, max_size=3))
def test_yaml_written_in_pieces_is_the_yaml_written_whole(head, key, items, inner):
    """Rule and test files are streamed an item (a test case's checks an item) at a time: they must read as one dump."""
    from generator.yamlout import dump, item_chunks, sequence_chunks

    assert "".join(sequence_chunks(key, items)) == dump({key: items})
    case = {"name": "case", **{k: v for k, v in head.items() if k not in ("name", key)}}
    in_pieces = sequence_chunks("tests", [case, case], 0, lambda c, indent: item_chunks(c, [(key, inner, None)], indent))
    assert "".join(in_pieces) == dump({"tests": [{**case, key: inner}] * 2})


_label_maps = st.dictionaries(yaml_keys, yaml_text, max_size=3)
_recording = st.builds(RecordingRule, yaml_text, yaml_text, _label_maps)
_alerting = st.builds(AlertingRule, yaml_text, yaml_text, _label_maps, _label_maps, st.none() | yaml_text)
_groups = st.builds(RuleGroup, yaml_text, st.lists(_recording | _alerting, max_size=3).map(tuple), st.none() | yaml_text)
_samples = st.lists(st.tuples(yaml_text, st.floats(allow_nan=False)), max_size=2).map(tuple)
_expr_checks = st.builds(ExprCheck, yaml_text, yaml_text, _samples)
_alert_checks = st.builds(AlertCheck, yaml_text, yaml_text, st.lists(st.tuples(_label_maps, _label_maps), max_size=2).map(tuple))


def _rule_data(rule):
    if isinstance(rule, RecordingRule):
        return {"record": rule.record, "expr": rule.expr, **({"labels": rule.labels} if rule.labels else {})}
    head = {"alert": rule.alert, "expr": rule.expr, **({"for": rule.for_} if rule.for_ else {})}
    return {**head, "labels": {k: go_text(v) for k, v in sorted(rule.labels.items())}, "annotations": rule.annotations}


def _group_data(g):
    return {"name": g.name, **({"interval": g.interval} if g.interval else {}), "rules": [_rule_data(r) for r in g.rules]}


@settings(max_examples=500, deadline=None)
@given(_groups, _expr_checks, _alert_checks, st.lists(yaml_text, min_size=2, max_size=2))
def test_rules_and_checks_written_line_by_line_are_their_data_written_whole(group, expr, alert, series):
    """yamlshapes writes the bulk of a bundle without building its dicts: it must be yamlout's dump of them."""
    from generator import yamlshapes
    from generator.yamlout import dump

    assert "groups:\n" + "".join(yamlshapes.group(group, 0)) == dump({"groups": [_group_data(group)]})
    assert "spec:\n  groups:\n" + "".join(yamlshapes.group(group, 2)) == dump({"spec": {"groups": [_group_data(group)]}})
    checks = {
        "input_series": ([{"series": series[0], "values": series[1]}], yamlshapes.series(Series(*series), 2)),
        "promql_expr_test": (
            [{"expr": expr.expr, "eval_time": expr.eval_time, "exp_samples": [{"labels": k, "value": v} for k, v in expr.samples]}],
            yamlshapes.expr_check(expr, 2),
        ),
        "alert_rule_test": (
            [{"eval_time": alert.eval_time, "alertname": alert.alertname, "exp_alerts": [{"exp_labels": dict(sorted(k.items())), "exp_annotations": a} for k, a in alert.alerts]}],
            yamlshapes.alert_check(alert, 2),
        ),
    }
    for key, (data, written) in checks.items():
        assert f"- {key}:\n" + "".join(written) == dump([{key: data}])
        assert yaml.safe_load(f"- {key}:\n" + "".join(written)) == [{key: data}]


def test_line_break_characters_survive_into_promql_and_yaml():
    from generator.promql import Matcher, Selector

    hostile = "a\x85b\u2028c\u2029d\x1fe\x7f"
    expr = str(Selector("m", (Matcher("l", "=", hostile),)))
    from generator.yamlout import dump

    assert yaml.safe_load(dump({"expr": expr}))["expr"] == expr
    parsed = promql_parser.parse(expr)
    assert parsed.matchers.matchers[0].value == hostile


# SLO names as the spec allows them: mostly ones written as is, with the ones YAML would read as
# something else (numbers, bools, null, dates) and ones that hold a stand-in's placeholders mixed in.
any_names = st.one_of(
    *[st.from_regex(r"[a-z][a-z0-9-]{0,8}[a-z0-9]", fullmatch=True)] * 3,
    st.from_regex(conv.NAME_PATTERN.replace("{0,61}", "{0,12}"), fullmatch=True),
    st.sampled_from(["1", "1e3", "0x1f", "true", "No", "null", "2026-01-01", "1.5", "a", "Z", "qqslotname", "aqqslotname", "Qqslotname-2", "A_b.c-D"]),
)
# An SLO's own text (description, label values): mostly what the writers leave alone, sometimes anything.
writers_leave_alone = st.from_regex(r"[a-zA-Z][a-zA-Z0-9 _.-]{0,10}", fullmatch=True) | st.text(
    st.sampled_from("aZ09 -_.:#,;()!?'/*&|>%@=+~<[]`$\t"), max_size=12
)
own_text = st.one_of(
    *[writers_leave_alone] * 4, st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=20), any_text,
    st.sampled_from(["qqslotdescription", "x qqslotlabelaa", "true", "1", "- a", "a: b"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(specs(), st.lists(any_names, min_size=2, max_size=6, unique_by=str.lower), st.data())
def test_slos_of_one_shape_filled_in_are_the_slos_compiled_one_by_one(tmp_path, data, slo_names, draw):
    """generator.stencil: the bundle with shared shapes filled in is byte for byte the bundle compiled SLO by SLO."""
    shapes = data["slos"]
    data["slos"] = []
    for name in slo_names:
        shape = draw.draw(st.sampled_from(shapes))
        own = {k: draw.draw(own_text) for k in shape["labels"]}
        data["slos"].append({**shape, "name": name, "description": draw.draw(own_text), "labels": own})
    data["labels"] = {k: draw.draw(own_text) for k in data["labels"]}  # the service's, on every SLO's alerts
    data["links"] = draw.draw(st.sampled_from([{}, {"runbooks": "https://runbooks.example/x", "grafana": "https://grafana.example"}]))
    if draw.draw(st.booleans()):
        data["kubernetes"] = {"namespace": "monitoring", "rule_labels": {"release": "prom"}}
    spec = tmp_path / "slo.yaml"
    spec.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    service = load(spec)
    filled_bundle = compile_bundle(service)
    stencil.ENABLED = False
    try:
        alone_bundle = compile_bundle(service)
    finally:
        stencil.ENABLED = True
    filled, alone = render_bundle(filled_bundle), render_bundle(alone_bundle)
    assert filled.keys() == alone.keys()
    for path in filled:
        assert filled[path] == alone[path], path
    # Read as objects, a filled group is the group compiled on its own.
    rules = [next(d for d in b.files.values() if isinstance(d, RuleFile)) for b in (filled_bundle, alone_bundle)]
    assert [stencil.unfold(g) for g in rules[0].groups] == list(rules[1].groups)
