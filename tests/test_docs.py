"""Every link and repository path the README and docs/ name exists in the repository itself.

A user who has only a clone must be able to follow each one: no link to a file that lives beside the
repository, no path a move left behind.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

# Paths the README names that are not in a clean tree: a former layout, and the scratch folder of a swap in progress.
FORMER = {"out/grafana/configmaps/", "out/.slogen-swap/"}

_FENCE = re.compile(r"^```.*?^```", re.S | re.M)
_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)")
_CODE = re.compile(r"`([^`\s]+)`")
_MARKDOWN_FILE = re.compile(r"(?<![\w/.:-])([\w.-]+(?:/[\w.-]+)*\.md)\b")
_PLACEHOLDER = re.compile(r"<[^>/]+>")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def _anchors(doc: Path) -> set[str]:
    text = _FENCE.sub("", doc.read_text())
    return {_slug(m) for m in re.findall(r"^#{1,6} (.+)$", text, re.M)}


def _top_level(root: Path) -> set[str]:
    return {p.name for p in root.iterdir() if p.name not in {".git", ".venv"}}


def _exists(root: Path, base: Path, path: str) -> bool:
    """A path, relative to the repository or to the document; `<name>` and `*` stand for any name."""
    pattern = _PLACEHOLDER.sub("*", path).rstrip("/")
    for start in (root, base):
        if "*" in pattern:
            if any(start.glob(pattern)):
                return True
        elif (start / pattern).exists():
            return True
    return False


def broken(doc: Path, root: Path = ROOT) -> list[str]:
    """What in `doc` does not resolve: relative links (with their anchors), backticked paths under a
    top-level entry of the repository, and any Markdown file named in the text."""
    text = doc.read_text()
    prose = _FENCE.sub("", text)
    top = _top_level(root)
    problems = []
    for target in _LINK.findall(prose):
        if re.match(r"[a-z][a-z0-9+.-]*:", target):  # https:, mailto:
            continue
        path, _, anchor = target.partition("#")
        linked = (doc.parent / path).resolve() if path else doc
        if not linked.exists():
            problems.append(f"link {target}")
        elif anchor and linked.suffix == ".md" and anchor not in _anchors(linked):
            problems.append(f"link {target}: no heading #{anchor}")
    for token in _CODE.findall(prose):
        path = token.split("#")[0]
        if path in FORMER or path.startswith(("/", "~", "http")) or "://" in path:
            continue
        first = path.split("/")[0]
        if (first in top and ("/" in path or "." in path)) or path.endswith(".md"):
            if not _exists(root, doc.parent, path):
                problems.append(f"path `{token}`")
    for name in _MARKDOWN_FILE.findall(_CODE.sub("", _LINK.sub("", prose))):
        if not _exists(root, doc.parent, name):
            problems.append(f"file {name}")
    return problems


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_link_and_path_resolves_inside_the_repository(doc):
    assert broken(doc) == []


def test_the_design_and_the_cited_research_are_in_the_repository():
    readme = (ROOT / "README.md").read_text()
    assert "docs/design.md" in readme and "docs/research/fast-page.md" in readme
    assert "DESIGN.md" not in readme and "](research/" not in readme


def test_the_check_finds_what_a_clone_would_miss(tmp_path):
    (tmp_path / "generator").mkdir()
    (tmp_path / "generator" / "cli.py").write_text("")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "design.md").write_text("# The spec\n")
    doc = tmp_path / "README.md"
    doc.write_text(
        "See [the design](docs/design.md#the-spec), [gone](docs/missing.md), [bad anchor](docs/design.md#nope),\n"
        "`generator/cli.py`, `generator/old.py`, `generator/*.py`, `tests/<case>/`, `research/fast-page.md`,\n"
        "`promql/parse` (a check name, not a path) and DESIGN.md in prose.\n"
        "```\nDESIGN.md inside a code block is an example\n```\n"
    )
    assert broken(doc, tmp_path) == [
        "link docs/missing.md",
        "link docs/design.md#nope: no heading #nope",
        "path `generator/old.py`",
        "path `research/fast-page.md`",
        "file DESIGN.md",
    ]
