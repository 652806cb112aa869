"""The layout holds: no module of the package or the instrumentation library grows past 400 lines."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LIMIT = 400


def test_no_module_is_over_400_lines():
    sizes = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for d in ("generator", "slogen") for p in (ROOT / d).rglob("*.py")}
    assert len(sizes) > 50  # the walk found the package
    assert {path: n for path, n in sizes.items() if n > LIMIT} == {}
