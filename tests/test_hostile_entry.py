"""Every entry point a user's file reaches, fed random and adversarial input: the only outcomes
allowed are success or a clean error (exit 2, a message, no traceback). An import that succeeds
writes a spec the build accepts."""

from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from generator.cli import app
from test_spec_errors import GOOD

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
runner = CliRunner()

# Scalars chosen to break things: non-finite and huge numbers, odd text, wrong types.
odd_scalars = st.sampled_from([
    None, True, 0, -1, 10, 1e308, -1e308, float("nan"), float("inf"), 10**30, "", " ", "{{ .x }}", "25:99", "a\nb", "\x85", "é" * 300,
    "https://hooks.slack.com/services/T/B/X", "5..|(", "99.9%", "nan%", "-5", "1e308", "10m", "99999999d", "model-name", "llm.requests",
])
odd_keys = st.sampled_from(["version", "service", "slos", "name", "objective", "sli", "availability", "latency", "signal", "threshold",
                            "notifications", "receivers", "routes", "match", "group_by", "smtp", "smarthost", "time_intervals", "times",
                            "metrics", "signals", "buckets", "budgets", "cost", "monthly_usd", "pricing", "labels", "links", "grafana",
                            "spec", "kind", "apiVersion", "objectives", "target", "ratioMetric", "sli_name", "x"])
values = st.recursive(odd_scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(odd_keys, inner, max_size=4), max_leaves=20)

SLOTH = {"version": "prometheus/v1", "service": "svc", "slos": [{"name": "avail", "objective": 99.5, "sli": {"events": {
    "error_query": 'sum(rate(http_requests_total{code=~"5.."}[{{.window}}]))', "total_query": "sum(rate(http_requests_total[{{.window}}]))"}}}]}
OPENSLO = {"apiVersion": "openslo/v1", "kind": "SLO", "metadata": {"name": "avail"}, "spec": {"service": "svc", "budgetingMethod": "Occurrences",
           "timeWindow": [{"duration": "30d", "isRolling": True}], "objectives": [{"target": 0.995}], "indicator": {"spec": {"ratioMetric": {
               "bad": {"metricSource": {"type": "Prometheus", "spec": {"query": 'sum(rate(http_requests_total{code=~"5.."}[5m]))'}}},
               "total": {"metricSource": {"type": "Prometheus", "spec": {"query": "sum(rate(http_requests_total[5m]))"}}}}}}}}


def clean(result, *allowed: int) -> None:  # noqa: ANN001
    assert result.exit_code in allowed, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    if result.exit_code:
        assert result.output.strip()


def graft(doc: object, path: list, value: object) -> object:
    """`doc` with the node at `path` (indices taken modulo each container's size) replaced by `value`."""
    if not path or not isinstance(doc, dict | list) or not doc:
        return value
    if isinstance(doc, dict):
        key = sorted(doc)[path[0] % len(doc)]
        return {**doc, key: graft(doc[key], path[1:], value)}
    i = path[0] % len(doc)
    return [*doc[:i], graft(doc[i], path[1:], value), *doc[i + 1:]]


def dump(data: object) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


@SETTINGS
@given(path=st.lists(st.integers(0, 50), max_size=5), value=values)
def test_a_spec_with_any_part_replaced_builds_or_is_refused_cleanly(tmp_path_factory, path, value):
    folder = tmp_path_factory.mktemp("spec")
    base = yaml.safe_load(GOOD + "notifications: {receivers: {t: {email: {to: [a@example.com]}}}, smtp: {smarthost: 'h:25', from: a@example.com}}\n")
    (folder / "slo.yaml").write_text(dump(graft(base, path, value)), encoding="utf-8")
    clean(runner.invoke(app, ["build", str(folder / "slo.yaml"), "--out", str(folder / "out")]), 0, 2)


@SETTINGS
@given(data=st.binary(max_size=300) | st.text(max_size=300).map(str.encode))
def test_any_bytes_as_a_spec_or_shared_notifications_are_refused_cleanly(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("bytes")
    (folder / "slo.yaml").write_bytes(data)
    clean(runner.invoke(app, ["build", str(folder / "slo.yaml"), "--out", str(folder / "out")]), 2)
    repo = folder / "repo"
    repo.mkdir()
    (repo / "svc.yaml").write_text(GOOD)
    (repo / "notifications.yaml").write_bytes(data)
    clean(runner.invoke(app, ["build", str(repo), "--out", str(folder / "out2")]), 0, 2)


@SETTINGS
@given(path=st.lists(st.integers(0, 50), max_size=7), value=values)
def test_notifications_yaml_with_any_part_replaced_is_refused_cleanly(tmp_path_factory, path, value):
    repo = tmp_path_factory.mktemp("repo")
    (repo / "svc.yml").write_text(GOOD)
    base = {"receivers": {"t": {"webhook": {"url": "https://h.example.com/x"}}}, "routes": [{"receivers": ["t"], "match": {"severity": "critical"}}],
            "time_intervals": {"w": [{"times": [{"start_time": "09:00", "end_time": "17:00"}], "location": "UTC"}]}}
    (repo / "notifications.yaml").write_text(dump(graft(base, path, value)))
    clean(runner.invoke(app, ["build", str(repo), "--out", str(repo / "out")]), 0, 2)


@SETTINGS
@given(kind=st.sampled_from(["sloth", "openslo"]), path=st.lists(st.integers(0, 50), max_size=8), value=values)
def test_an_import_of_any_shape_is_clean_and_what_it_writes_builds(tmp_path_factory, kind, path, value):
    folder = tmp_path_factory.mktemp("import")
    source = folder / "in.yaml"
    source.write_text(dump(graft(SLOTH if kind == "sloth" else OPENSLO, path, value)))
    out = folder / "slo.yaml"
    result = runner.invoke(app, ["import", kind, str(source), "--out", str(out)])
    clean(result, 0, 2)
    if result.exit_code == 0:
        clean(runner.invoke(app, ["build", str(out), "--out", str(folder / "out")]), 0)
    else:
        assert not out.exists()


def test_the_unaltered_imports_go_through(tmp_path):
    """The graft tests above start from inputs that import and build, so they test more than refusal."""
    for kind, doc in (("sloth", SLOTH), ("openslo", OPENSLO)):
        source = tmp_path / f"{kind}.yaml"
        source.write_text(dump(doc))
        result = runner.invoke(app, ["import", kind, str(source), "--out", str(tmp_path / f"{kind}-slo.yaml")])
        assert result.exit_code == 0, result.output
        assert runner.invoke(app, ["build", str(tmp_path / f"{kind}-slo.yaml"), "--out", str(tmp_path / kind)]).exit_code == 0


def test_an_import_the_build_would_refuse_writes_nothing(tmp_path):
    source = tmp_path / "sloth.yaml"
    source.write_text(dump({**SLOTH, "slos": [{**SLOTH["slos"][0], "objective": 10}]}))
    out = tmp_path / "slo.yaml"
    result = runner.invoke(app, ["import", "sloth", str(source), "--out", str(out)])
    assert result.exit_code == 2 and "would not build, so nothing was written" in result.output and "objective" in result.output
    assert not out.exists()


def test_specs_named_yml_in_a_folder_are_built(tmp_path):
    repo = tmp_path / "slos"
    repo.mkdir()
    (repo / "one.yaml").write_text(GOOD)
    (repo / "two.yml").write_text(GOOD.replace("service: svc", "service: two"))
    result = runner.invoke(app, ["build", str(repo), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in (tmp_path / "out" / "prometheus" / "rules").iterdir()) == ["svc.yaml", "two.yaml"]
    (repo / "one.yml").write_text(GOOD)
    clash = runner.invoke(app, ["build", str(repo), "--out", str(tmp_path / "out")])
    assert clash.exit_code == 2 and "keep one of them" in clash.output
