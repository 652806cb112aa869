"""Whole bundles compared both ways with tests/golden/<case>/expected. Update: `make update-golden`."""

import shutil
from pathlib import Path

import pytest

from generator import build
from generator.write import write

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if (p / "slo.yaml").is_file())


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES)
def test_bundle_matches_golden(case, tmp_path, request):
    _, rendered = build(GOLDEN / case / "slo.yaml")
    write(tmp_path, rendered)
    expected = GOLDEN / case / "expected"
    if request.config.getoption("--update-golden"):
        shutil.rmtree(expected, ignore_errors=True)
        shutil.copytree(tmp_path, expected)
        return
    got, want = tree(tmp_path), tree(expected)
    assert sorted(got) == sorted(want), "file lists differ; run `make update-golden` if the change is intended"
    for name in got:
        assert got[name] == want[name], f"{name} differs; run `make update-golden` if the change is intended"


def test_reference_golden_is_the_committed_out():
    """The repository's own out/ is the reference case built from the same spec."""
    root = Path(__file__).resolve().parent.parent
    _, from_repo = build(root / "slo.yaml")
    _, from_golden = build(GOLDEN / "reference" / "slo.yaml")
    assert from_repo == from_golden
