"""The PDF edition (`make pdf`, tools/pdf.py): the whole book, typeset, with its figures.

Reads ``_build/pdf/from-zero.pdf`` (``NNBOOK_PDF`` overrides) with pypdf, a pure-Python
reader pinned in requirements.txt, and checks:

* every document of ``_toc.yml`` is there: its title in the text, chapters of the numbered
  part with their number ("3. Weight scale ..."), and a bookmark in the PDF's outline;
* the table of contents on the first page lists every title with the page it starts on;
* no raw TeX is left (``\\frac``, ``$$``, ``\\begin{``): MathJax typeset every equation;
* every figure of the single-page build it was printed from is embedded as an image;
* the page count is plausible for the book (not a truncated print, not a blown-up layout).

Run by `make pdf-check` (part of `make test`) after `make pdf`. Without Chromium, or without
the PDF, the test is skipped outside CI and fails under ``CI=true``.
"""

from __future__ import annotations

import os
import re
import sys
import unicodedata
from html.parser import HTMLParser
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
PDF = Path(os.environ.get("NNBOOK_PDF") or ROOT / "_build" / "pdf" / "from-zero.pdf")
SINGLE = PDF.parent.parent / "singlehtml" / "intro.html"
sys.path.insert(0, str(ROOT / "tools"))
import pdf as pdftool  # noqa: E402

RAW_TEX = ("\\frac", "$$", "\\begin{", "\\end{", "\\mathcal", "\\sum_", "\\left(")


def _squash(text: str) -> str:
    """Without whitespace (wrapped headings) and ligatures ("ﬁ" -> "fi")."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text))


@pytest.fixture(scope="module")
def reader():
    if not PDF.is_file():
        msg = f"no PDF at {PDF}: run `make pdf` (needs Chromium)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(msg + " (CI=true: the PDF check may not be skipped)")
        pytest.skip(msg)
    from pypdf import PdfReader

    return PdfReader(PDF)


@pytest.fixture(scope="module")
def texts(reader) -> list[str]:
    return [page.extract_text() or "" for page in reader.pages]


@pytest.fixture(scope="module")
def starts(reader) -> list[int | None]:
    """The page each document after the first starts on (from the PDF's outline)."""
    return pdftool.start_pages(PDF, [str(e["title"]) for e in pdftool.toc_entries()[1:]])


def test_every_document_title_is_in_the_text(texts):
    whole = _squash("".join(texts))
    missing = []
    for e in pdftool.toc_entries():
        if _squash(str(e["title"])) not in whole:
            missing.append(e["title"])
    assert not missing, f"titles not in the PDF's text: {missing}"


def test_chapters_are_numbered_and_bookmarked(texts, starts):
    numbered = [e for e in pdftool.toc_entries() if e["numbered"]]
    assert numbered, "_toc.yml has no numbered part"
    whole = _squash("".join(texts))
    for k, e in enumerate(numbered, start=1):
        assert _squash(f"{k}. {e['title']}") in whole, f"chapter {k} not numbered: {e['title']}"
    entries, pages = pdftool.toc_entries(), starts
    unmarked = [e["title"] for e, p in zip(entries[1:], pages, strict=True) if p is None]
    assert not unmarked, f"no bookmark for: {unmarked}"
    assert pages == sorted(pages), f"documents out of order: {pages}"


def test_table_of_contents_with_page_numbers(texts, starts):
    entries, pages = pdftool.toc_entries(), starts
    front = "\n".join(texts[: max(1, (pages[0] or 2) - 1)])  # the pages before the first chapter
    assert "Contents" in front
    lines = [_squash(line) for line in front.splitlines()]
    for e, p in zip(entries[1:], pages, strict=True):
        title = _squash(str(e["title"]))
        hit = [line for line in lines if title in line]
        assert hit, f"{e['title']!r} not in the table of contents"
        assert any(line.endswith(str(p)) for line in hit), f"{e['title']!r}: page {p} not shown"


def test_no_raw_tex(texts):
    found = {}
    for i, text in enumerate(texts, start=1):
        for pat in RAW_TEX:
            if pat in text:
                found.setdefault(pat, []).append(i)
    assert not found, f"raw TeX left in the PDF (pattern: pages): {found}"


class _Images(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.in_article = 0
        self.srcs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = dict(attrs)
        if tag == "article":
            self.in_article += 1
        if tag == "img" and self.in_article and d.get("src"):
            self.srcs.append(d["src"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "article":
            self.in_article -= 1


def test_every_figure_is_embedded(reader):
    if not SINGLE.is_file():
        pytest.fail(f"{SINGLE} missing: the PDF is printed from it (run `make pdf`)")
    parser = _Images()
    parser.feed(SINGLE.read_text(encoding="utf-8"))
    expected = len(set(parser.srcs))
    assert expected > 0, "the single-page build has no figures"
    embedded = sum(len(page.images) for page in reader.pages)
    assert embedded >= expected, f"{embedded} images in the PDF, {expected} figures in the book"


def test_page_count_is_plausible(reader):
    n_docs = len(pdftool.toc_entries())
    n = len(reader.pages)
    assert 3 * n_docs <= n <= 600, f"{n} pages for {n_docs} documents"
