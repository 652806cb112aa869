"""The loader's bounds: alias expansion, nesting, file size, encodings; a clear error, never a
traceback or a runaway process."""

import resource
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from generator.cli import app
from test_spec_errors import GOOD

ROOT = Path(__file__).resolve().parent.parent


def laughs(levels: int, width: int = 9) -> str:
    lines = ["version: 1", "service: x", f"l0: &l0 [{', '.join(['lol'] * width)}]"]
    for i in range(1, levels):
        lines.append(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * width)}]")
    return "\n".join(lines + [f"slos: *l{levels - 1}", ""])


def refused(tmp_path: Path, text: str | bytes, *fragments: str) -> str:
    spec = tmp_path / "slo.yaml"
    spec.write_bytes(text if isinstance(text, bytes) else text.encode())
    result = CliRunner().invoke(app, ["build", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    for fragment in fragments:
        assert fragment in result.output, result.output
    assert not (tmp_path / "out").exists()
    return result.output


def test_a_billion_laughs_is_refused_within_bounded_memory(tmp_path):
    """Run with 1 GB of address space: the unbounded loader needed 17 GB for this file."""
    spec = tmp_path / "slo.yaml"
    spec.write_text(laughs(10))

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))

    result = subprocess.run([sys.executable, "-m", "generator", "build", str(spec), "--out", str(tmp_path / "out")],
                            cwd=ROOT, capture_output=True, text=True, preexec_fn=limit, timeout=120)
    assert result.returncode == 2, result.stderr
    assert "too many values" in result.stderr and "aliases" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("levels", [3, 6])
def test_modest_alias_use_is_fine_and_more_is_refused_by_count(tmp_path, levels):
    # 9**3 values load (and fail on content); 9**6 is past the budget of a 1,000-SLO file.
    output = refused(tmp_path, laughs(levels))
    assert ("too many values" in output) == (levels == 6)


def test_deep_nesting_and_self_reference_are_errors(tmp_path):
    deep = "version: 1\nservice: x\nslos:\n" + "".join(" " * (2 * i + 2) + "-\n" for i in range(500))
    refused(tmp_path, deep, "nested more than 32 levels deep", "slo.yaml:")
    flow = "version: 1\nservice: x\nslos: " + "[" * 5000 + "]" * 5000 + "\n"
    refused(tmp_path, flow, "slo.yaml")
    chain = "version: 1\nservice: x\n" + "".join(f"a{i}: &a{i} [{'*a' + str(i - 1) if i else 0}]\n" for i in range(200)) + "slos: *a199\n"
    refused(tmp_path, chain, "nested more than 32 levels deep")


def test_a_file_past_the_size_bound_is_refused_before_it_is_read(tmp_path):
    spec = tmp_path / "slo.yaml"
    with open(spec, "wb") as f:
        f.truncate(64 * 1024 * 1024)  # sparse: no disk used, never read
    result = CliRunner().invoke(app, ["build", str(spec), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "67,108,864 bytes" in result.output and "split it" in result.output


@pytest.mark.parametrize("text, fragment", [
    (b"version: 1\nservice: caf\xe9\n", "slo.yaml:2: byte 23 is not UTF-8"),
    (b"\xef\xbb\xbfversion: 2\n", "got 2"),  # a BOM is fine; the content is what is wrong
    (GOOD.encode() + b"? [a, b]\n: c\n", "a key must be plain text"),
    (GOOD.encode() + b"pricing: {as_of: 2024-02-30, models: {}}\n", "YAML value error"),
    (GOOD.encode() + b"x: !!python/object:os.system {}\n", "YAML"),
    (GOOD.encode() + b"\x00\n", "YAML syntax error"),
])
def test_odd_bytes_and_tags_are_clean_errors(tmp_path, text, fragment):
    refused(tmp_path, text, fragment)


def test_shared_notifications_are_read_under_the_same_bounds(tmp_path):
    folder = tmp_path / "slos"
    folder.mkdir()
    (folder / "svc.yaml").write_text(GOOD)
    (folder / "notifications.yaml").write_bytes(b"receivers:\n  team: {slack: {channel: '#caf\xe9'}}\n")
    result = CliRunner().invoke(app, ["build", str(folder), "--out", str(tmp_path / "out")])
    assert result.exit_code == 2 and "notifications.yaml" in result.output and "not UTF-8" in result.output, result.output
