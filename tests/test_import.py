"""Moving over from Sloth and OpenSLO, on Sloth's own examples: what comes along reads the same series."""

import hashlib
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from generator import load
from generator.tools import importers
from generator.cli import app

ROOT = Path(__file__).resolve().parent.parent
SLOTH = ROOT / "tests/data/sloth"  # Sloth v0.16.0's examples, vendored with their licence (NOTICE)
runner = CliRunner()


def _import(tmp_path, kind, source) -> Path:
    out = tmp_path / f"{kind}-{source.stem}.yaml"
    result = runner.invoke(app, ["import", kind, str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.promtool
@pytest.mark.parametrize("example, reads", [
    ("getting-started", {"requests-availability": ('http_request_duration_seconds_count{job="myservice", code=~"(5..|429)"}',
                                                   'http_request_duration_seconds_count{job="myservice"}')}),
    ("kubernetes-apiserver", {"requests-availability": ('apiserver_request_total{code=~"(5..|429)"}', "apiserver_request_total"),
                              "requests-latency": ('apiserver_request_duration_seconds_bucket{le=~"0\\\\.4"}', "apiserver_request_duration_seconds_count")}),
])
@pytest.mark.slow(25)
def test_sloth_examples_import_read_the_same_series_and_pass_promtool(tmp_path, promtool, example, reads):
    spec = _import(tmp_path, "sloth", SLOTH / f"{example}.yml")
    service = load(spec)
    got = {s.name: (str(getattr(s.sli, "bad", None) or s.sli.good), str(s.sli.total)) for s in service.slos}
    assert got == reads
    out = tmp_path / "out"
    assert runner.invoke(app, ["build", str(spec), "--out", str(out)]).exit_code == 0
    for args in (["check", "rules", *map(str, (out / "prometheus/rules").glob("*.yaml"))], ["test", "rules", *map(str, (out / "prometheus/tests").glob("*.yaml"))]):
        result = subprocess.run([promtool, *args], capture_output=True, text=True, check=False, timeout=600)
        assert result.returncode == 0, result.stdout + result.stderr


def test_what_cannot_come_along_is_listed_not_dropped(tmp_path):
    text = _import(tmp_path, "sloth", SLOTH / "kubernetes-apiserver.yml").read_text()
    for note in ('verb!="WATCH" dropped', "label 'category' is set by slogen itself", "alert name 'K8sApiserverLatencyAlert'", "every SLO uses 30d"):
        assert note in text
    wifi = runner.invoke(app, ["import", "sloth", str(SLOTH / "home-wifi.yml"), "--out", str(tmp_path / "wifi.yaml")])
    assert wifi.exit_code == 2 and "good-wifi-client-satisfaction: its queries are neither" in wifi.output
    assert not (tmp_path / "wifi.yaml").exists()
    assert runner.invoke(app, ["import", "sloth", str(ROOT / "slo.yaml")]).exit_code == 2  # not a Sloth spec


def test_the_vendored_examples_are_sloths_own():
    listed = dict((name, digest) for digest, name in re.findall(r"^([0-9a-f]{64})  (\S+)$", (SLOTH / "NOTICE").read_text(), re.M))
    assert set(listed) == {p.name for p in SLOTH.glob("*.yml")} and (SLOTH / "LICENSE").is_file()
    for name, digest in listed.items():
        assert hashlib.sha256((SLOTH / name).read_bytes()).hexdigest() == digest, f"{name} differs from the upstream copy NOTICE names"


def _spec_of(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.mark.parametrize("example", ["getting-started", "kubernetes-apiserver"])
def test_sloth_to_slogen_to_openslo_and_back_round_trips(tmp_path, example):
    spec = _import(tmp_path, "sloth", SLOTH / f"{example}.yml")
    exported = tmp_path / "openslo.yaml"
    assert runner.invoke(app, ["export", "openslo", str(spec), "--out", str(exported)]).exit_code == 0
    docs = list(yaml.safe_load_all(exported.read_text()))
    assert [d["kind"] for d in docs][0] == "Service" and all(d["apiVersion"] == "openslo/v1" for d in docs)
    again = _import(tmp_path, "openslo", exported)
    first, second = _spec_of(spec), _spec_of(again)
    first.pop("labels", None)  # OpenSLO has no service-level alert labels
    assert second == first


def test_the_reference_spec_round_trips_through_openslo(tmp_path):
    exported = tmp_path / "openslo.yaml"
    assert runner.invoke(app, ["export", "openslo", str(ROOT / "slo.yaml"), "--out", str(exported)]).exit_code == 0
    again = load(_import(tmp_path, "openslo", exported))
    original = load(ROOT / "slo.yaml")
    reads = lambda svc: {s.name: (str(getattr(s.sli, "bad", None) or s.sli.good), str(s.sli.total), s.objective, s.period) for s in svc.slos}  # noqa: E731
    assert reads(again) == reads(original)


def test_openslo_that_is_not_a_ratio_is_listed():
    draft = importers.from_openslo([{"apiVersion": "openslo/v1", "kind": "SLO", "metadata": {"name": "x"}, "spec": {"indicator": {"spec": {"thresholdMetric": {}}}}}])
    assert draft.spec["slos"] == [] and any("only ratioMetric" in n for n in draft.notes)
