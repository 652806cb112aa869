"""Many services in one repository: a folder of specs builds into one bundle (tests/fleet)."""

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from generator import build, repo
from generator.cli import app

ROOT = Path(__file__).resolve().parent.parent
FLEET = ROOT / "tests/fleet"
SHARED = {"alertmanager/alertmanager.yml", "alertmanager/routing-tests.yaml", "kubernetes/kustomization.yaml"}


def _fleet(tmp_path) -> Path:
    folder = tmp_path / "slos"
    shutil.copytree(FLEET, folder)
    return folder


def test_every_service_gets_exactly_the_files_its_spec_builds_alone(tmp_path):
    _, merged = repo.build_all(FLEET)
    own = tmp_path / "gateway.yaml"  # the spec alone, with the shared notifications written into it
    shared = yaml.safe_load((FLEET / "notifications.yaml").read_text())
    own.write_text((FLEET / "gateway.yaml").read_text() + yaml.safe_dump({"notifications": shared}))
    _, alone = build(own)
    for path, data in alone.items():
        if str(path) in SHARED or str(path) == "alertmanager/fragment.yml":
            continue
        assert merged[path] == data, path
    assert "alertmanager/fragments/gateway.yml" in {str(p) for p in merged}


def test_a_change_to_one_spec_leaves_the_other_services_byte_identical(tmp_path):
    folder = _fleet(tmp_path)
    _, before = repo.build_all(folder)
    spec = folder / "gateway.yaml"
    spec.write_text(spec.read_text().replace("objective: 99.9", "objective: 99.5"))
    _, after = repo.build_all(folder)
    changed = {str(p) for p in before.keys() | after.keys() if before.get(p) != after.get(p)}
    assert changed and all("gateway" in p.lower() or p in SHARED for p in changed), changed
    assert "prometheus/rules/gateway.yaml" in changed


def test_one_alertmanager_routes_each_service_to_its_own_receivers(tmp_path, amtool):
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["build", str(FLEET), "--out", str(out)])
    assert result.exit_code == 0, result.output
    config = out / "alertmanager/alertmanager.yml"
    doc = yaml.safe_load(config.read_text())
    assert [r["matchers"] for r in doc["route"]["routes"]] == [['service="assistant"'], ['service="gateway"'], ['service="search"']]
    for labels, told in (
        ("service=search severity=critical", "search-oncall"),
        ("service=assistant severity=critical", "slack-alerts,oncall"),
        ("service=gateway severity=warning", "slack-alerts"),
    ):
        run = subprocess.run([amtool, "config", "routes", "test", f"--config.file={config}", f"--verify.receivers={told}", *labels.split()],
                             capture_output=True, text=True, check=False)
        assert run.returncode == 0, (labels, run.stdout, run.stderr)


@pytest.mark.promtool
@pytest.mark.slow(40)
def test_the_whole_gate_passes_on_a_folder(tmp_path):
    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(app, ["build", str(FLEET), "--out", str(out)]).exit_code == 0
    assert runner.invoke(app, ["build", str(FLEET), "--out", str(out), "--check"]).exit_code == 0
    lint = runner.invoke(app, ["lint", str(FLEET), "--out", str(out)])
    assert lint.exit_code == 0, lint.output
    assert "23 checks" in lint.output  # CRD schemas, promtool, amtool, vmalert -dryRun, dashboard variables, the secret scan and object sizes among them
    assert lint.output.count(" SLOs proved by ") == 3  # every service's SLOs, proved shape by shape
    explain = runner.invoke(app, ["explain", str(FLEET)])
    assert explain.exit_code == 0 and all(f"service {s}" in explain.output.lower() or s in explain.output for s in ("assistant", "gateway", "search"))


@pytest.mark.parametrize("edit, message", [
    (lambda f: (f / "twin.yaml").write_text((f / "gateway.yaml").read_text()), "is also the service of"),
    (lambda f: (f / "search.yaml").write_text((f / "search.yaml").read_text().replace('channel: "#llm-alerts"', 'channel: "#search"')),
     "receiver 'slack-alerts' is defined differently"),
    (lambda f: ((f / "a-b.yaml").write_text("version: 1\nservice: a-b\nslos: [{name: c, objective: 99, sli: {availability: {}}}]\n"),
                (f / "a.yaml").write_text("version: 1\nservice: a\nslos: [{name: b-c, objective: 99, sli: {availability: {}}}]\n")),
     "alert ABCErrorBudgetBurn is also an alert of service"),
    (lambda f: [p.unlink() for p in f.glob("*.yaml")], "no *.yaml spec in this folder"),
])
def test_clashes_are_spec_errors_and_out_is_untouched(tmp_path, edit, message):
    folder = _fleet(tmp_path)
    out = tmp_path / "out"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    edit(folder)
    result = CliRunner().invoke(app, ["build", str(folder), "--out", str(out)])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output, result.output
    assert [p.name for p in out.iterdir()] == ["keep.txt"]
