from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Longest first, each followed by a quick test. `make test` has xdist hand out tests one at a time
    (--maxschedchunk 1), and a worker always holds the test it runs plus the next one; so the minutes-long
    live-stack and promtool tests start at once on different workers, each with a quick one queued behind it,
    instead of one starting late and setting the suite's end."""
    slow = sorted((item for item in items if _seconds(item)), key=lambda item: -_seconds(item))
    quick = [item for item in items if not _seconds(item)]
    order = [item for pair in zip(slow, quick) for item in pair] + slow[len(quick):] + quick[len(slow):]
    items[:] = order


UNMARKED_AFTER = 30.0  # seconds a test may run without a slow(seconds) marker before the summary names it


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:  # noqa: ANN001, ARG001
    """Name the long tests that carry no slow marker: they start wherever collection puts them, and one that starts
    last sets the suite's end. A note, not a failure: how long a test runs depends on the machine."""
    unmarked = sorted(
        (r.duration, r.nodeid) for reports in terminalreporter.stats.values() for r in reports
        if getattr(r, "when", None) == "call" and r.duration > UNMARKED_AFTER and "slow" not in r.keywords
    )
    if unmarked:
        terminalreporter.section("tests without a slow marker")
        for duration, nodeid in reversed(unmarked):
            terminalreporter.write_line(f"{duration:6.0f} s  {nodeid}: add @pytest.mark.slow({round(duration)}) so make test starts it first")


def _seconds(item: pytest.Item) -> float:
    marker = item.get_closest_marker("slow")
    return marker.args[0] if marker else 0.0


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="Rewrite tests/golden/*/expected from the specs.")


@pytest.fixture
def spec_file(tmp_path: Path):
    """Write a spec (dedented) into a temp folder and return its path."""

    def write(text: str, name: str = "slo.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path

    return write


def _tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed: run `make test`, which installs the Debian package {package}")
    return path


@pytest.fixture(scope="session")
def promtool() -> str:
    return _tool("promtool", "prometheus")


@pytest.fixture(scope="session")
def amtool() -> str:
    return _tool("amtool", "prometheus-alertmanager")
