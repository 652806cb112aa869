import os
from pathlib import Path, PurePosixPath

import pytest
from typer.testing import CliRunner

from generator import build
from generator.cli import app
from generator.errors import OutputError, SlogenError
from generator.write import drift, write

ROOT = Path(__file__).resolve().parent.parent


def files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_stale_files_go_and_foreign_files_stay(tmp_path):
    (tmp_path / "runbooks").mkdir()
    (tmp_path / "runbooks" / "OldAlert.md").write_text("renamed SLO\n")
    (tmp_path / "README.md").write_text("the team's own notes\n")
    write(tmp_path, build(ROOT / "slo.yaml")[1])
    assert not (tmp_path / "runbooks" / "OldAlert.md").exists()
    assert (tmp_path / "README.md").read_text() == "the team's own notes\n"
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".slogen-")]


def test_a_rebuild_links_what_did_not_change_and_writes_what_did(tmp_path):
    out = tmp_path / "out"
    write(out, build(ROOT / "slo.yaml")[1])
    runbooks = sorted((out / "runbooks").glob("*.md"))
    before = {p.name: p.stat().st_ino for p in runbooks}
    changed = runbooks[0]
    changed.write_text("edited by hand\n")
    write(out, build(ROOT / "slo.yaml")[1])
    after = {p.name: p.stat().st_ino for p in sorted((out / "runbooks").glob("*.md"))}
    assert after.keys() == before.keys()
    assert [n for n in after if after[n] != before[n]] == [changed.name]  # rewritten; the rest are the same files
    assert files(out) == files(_fresh(tmp_path / "fresh"))
    assert all(p.stat().st_nlink == 1 for p in (out / "runbooks").glob("*.md"))  # the old names are gone


def _fresh(out: Path) -> Path:
    write(out, build(ROOT / "slo.yaml")[1])
    return out


def test_a_failed_write_leaves_the_previous_bundle(tmp_path, monkeypatch):
    _, rendered = build(ROOT / "slo.yaml")
    write(tmp_path, rendered)
    before = files(tmp_path)
    calls = {"n": 0}
    real = os.replace

    def flaky(src, dst):
        calls["n"] += 1
        if calls["n"] == 3:  # fail half-way through the swap
            raise OSError("disk full")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", flaky)
    changed = {k: v + b"# changed\n" for k, v in rendered.items()}
    with pytest.raises(OutputError, match="previous bundle is unchanged"):
        write(tmp_path, changed)
    assert files(tmp_path) == before


def test_refuses_paths_outside_its_folders(tmp_path):
    with pytest.raises(OutputError):
        write(tmp_path, {PurePosixPath("../escape.yaml"): b"x"})
    with pytest.raises(OutputError):
        write(tmp_path, {PurePosixPath("etc/passwd"): b"x"})
    with pytest.raises(OutputError, match="nothing to write"):
        write(tmp_path, {})


def test_drift_lists_changed_missing_and_stale_files(tmp_path):
    _, rendered = build(ROOT / "slo.yaml")
    write(tmp_path, rendered)
    assert drift(tmp_path, rendered) == []
    rules = next(p for p in rendered if p.parts[0] == "prometheus" and p.parts[1] == "rules")
    (tmp_path / rules).write_text((tmp_path / rules).read_text().replace("14.4", "15"))
    (tmp_path / "runbooks" / "Stale.md").write_text("x")
    runbook = next(p for p in rendered if p.parts[0] == "runbooks")
    (tmp_path / runbook).unlink()
    lines = drift(tmp_path, rendered)
    assert any(line.startswith("-") and "> 15" in line for line in lines)
    assert any(line.startswith("+") and "> 14.4" in line for line in lines)
    assert "stale (no longer generated): runbooks/Stale.md" in lines
    assert f"missing: {runbook}" in lines


def test_build_check_is_a_drift_gate(tmp_path):
    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(app, ["build", str(ROOT / "slo.yaml"), "--out", str(out)]).exit_code == 0
    ok = runner.invoke(app, ["build", str(ROOT / "slo.yaml"), "--out", str(out), "--check"])
    assert ok.exit_code == 0, ok.output
    rules = next((out / "prometheus" / "rules").iterdir())
    rules.write_text(rules.read_text().replace("severity: critical", "severity: page", 1))
    stale = runner.invoke(app, ["build", str(ROOT / "slo.yaml"), "--out", str(out), "--check"])
    assert stale.exit_code == 1
    assert "severity: page" in stale.output and "is stale" in stale.output
    assert "severity: page" in rules.read_text()  # --check writes nothing


def test_an_unusable_out_folder_is_a_clear_error(tmp_path):
    blocker = tmp_path / "out"
    blocker.write_text("a file where the folder should be")
    result = CliRunner().invoke(app, ["build", str(ROOT / "slo.yaml"), "--out", str(blocker)])
    assert result.exit_code == 1
    assert "cannot write the bundle" in result.output and "Traceback" not in result.output


def test_lint_on_a_missing_bundle_reports_and_fails(tmp_path):
    result = CliRunner().invoke(app, ["lint", str(ROOT / "slo.yaml"), "--out", str(tmp_path / "none")])
    assert result.exit_code == 1
    assert "build/drift" in result.output and "bug" in result.output
    assert "checks," in result.output.splitlines()[-1]


def _fleet_spec(tmp_path: Path, n: int) -> Path:
    """n SLOs of both kinds, so the packed tests merge across SLOs."""
    import yaml

    slos = [
        {"name": f"s{i}", "objective": 99.5, "sli": {"availability": {}}} if i % 2 == 0
        else {"name": f"s{i}", "objective": 95, "sli": {"latency": {"signal": "ttft", "threshold": "2s"}}}
        for i in range(n)
    ]
    path = tmp_path / "slo.yaml"
    path.write_text(yaml.safe_dump({"version": 1, "service": "fleet", "slos": slos}))
    return path


def test_tests_compiled_beside_the_rest_write_the_same_bundle(tmp_path):
    from generator import pipeline

    spec = _fleet_spec(tmp_path, 6)
    write(tmp_path / "one", build(spec)[1])
    _, count = pipeline.write_bundle(pipeline.load(spec), tmp_path / "two", parallel_from=2)
    assert files(tmp_path / "two") == files(tmp_path / "one")
    assert count == len(files(tmp_path / "one"))


def test_a_failure_beside_the_build_leaves_the_previous_bundle(tmp_path, monkeypatch):
    from generator import pipeline
    from generator.compile.rule_tests import ScenarioError

    spec = _fleet_spec(tmp_path, 4)
    out = tmp_path / "out"
    write(out, build(spec)[1])
    before = files(out)

    def broken(service):
        raise ScenarioError("SLO s1: the page tier did not fire")

    monkeypatch.setattr(pipeline, "compile_tests", broken)  # the forked process inherits it
    with pytest.raises(SlogenError, match="did not fire") as caught:
        pipeline.write_bundle(pipeline.load(spec), out, parallel_from=2)
    assert caught.value.exit_code == ScenarioError.exit_code
    assert files(out) == before
    assert not [p for p in out.iterdir() if p.name.startswith(".slogen-")]
