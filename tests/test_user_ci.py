"""The GitHub workflow and pre-commit hooks shipped for users call commands that exist and work."""

import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
SLOGEN = [sys.executable, "-m", "generator"]


def test_the_workflow_gates_on_drift_and_lint():
    workflow = yaml.safe_load((ROOT / ".github/workflows/slo.yml").read_text())
    runs = [step.get("run", "") for step in workflow["jobs"]["lint"]["steps"]]
    assert any("slogen build slo.yaml --out out --check" in r for r in runs)
    assert any(r.strip() == "slogen lint slo.yaml --out out" for r in runs)
    assert any("prometheus prometheus-alertmanager" in r for r in runs)


def test_pre_commit_hooks_run(tmp_path):
    hooks = {h["id"]: h for h in yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"slogen-build", "slogen-check", "slogen-lint"}
    shutil.copy(ROOT / "slo.yaml", tmp_path / "slo.yaml")
    shutil.copytree(ROOT / "out", tmp_path / "out")

    def hook(name: str) -> subprocess.CompletedProcess:
        entry = shlex.split(hooks[name]["entry"])
        assert entry[0] == "slogen"
        return subprocess.run([*SLOGEN, *entry[1:], *hooks[name]["args"]], cwd=tmp_path, capture_output=True, text=True, check=False)

    assert hook("slogen-check").returncode == 0
    spec = tmp_path / "slo.yaml"
    spec.write_text(spec.read_text().replace("objective: 99.5", "objective: 99.9"))
    assert hook("slogen-check").returncode != 0  # out/ is now stale
    assert hook("slogen-build").returncode == 0
    assert hook("slogen-check").returncode == 0
