# The docs cite code as `path:line` (docs/idioms.md sets one feature beside another across the
# impls that way). A citation that points past the end of its file, or at a file that is gone,
# is caught here; whether the line still says what the prose claims is for a reviewer.
"""Every `path:line` citation in docs/ names an existing file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CITATION = re.compile(r"\b((?:impls|harness|tests|benchmarks)/[\w/.-]+\.py):(\d+)\b")
CITATIONS = sorted(
    {
        (doc.name, path, int(line))
        for doc in (ROOT / "docs").glob("*.md")
        for path, line in CITATION.findall(doc.read_text(encoding="utf-8"))
    }
)


def test_the_docs_cite_code() -> None:
    assert CITATIONS, "no citation found: the pattern or the docs changed"


@pytest.mark.parametrize(("doc", "path", "line"), CITATIONS, ids=str)
def test_citation_points_at_a_line(doc: str, path: str, line: int) -> None:
    source = ROOT / path
    assert source.is_file(), f"{doc} cites {path}, which does not exist"
    lines = source.read_text(encoding="utf-8").splitlines()
    assert 1 <= line <= len(lines), f"{doc} cites {path}:{line}, past its {len(lines)} lines"
    assert lines[line - 1].strip(), f"{doc} cites {path}:{line}, a blank line"
