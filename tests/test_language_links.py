"""Every page of the built site, in every edition, links to the same page in the other
editions, and the link resolves to a file on disk (the site is read from disk, file://).

A plain file-system check of ``_build/html`` (no browser), marked ``browser`` so that it runs
with the browser test, after the build. Outside CI a missing build skips it; under CI it fails.
"""

from __future__ import annotations

import json
import os
import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("NNBOOK_SITE", ROOT / "_build" / "html"))
sys.path.insert(0, str(ROOT / "_ext"))

import book_i18n  # noqa: E402

EDITIONS = book_i18n.editions(ROOT)
SKIP_DIRS = {"_static", "_sources", "_images"}


class _LanguageLinks(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (hreflang, href)
        self.html_lang = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = dict(attrs)
        if tag == "html":
            self.html_lang = d.get("lang") or ""
        if tag == "a" and "book-language-link" in (d.get("class") or "").split():
            self.links.append((d.get("hreflang") or "", d.get("href") or ""))


def _edition_of(page: Path) -> tuple[str, Path]:
    rel = page.relative_to(SITE)
    if rel.parts[0] in EDITIONS:
        return rel.parts[0], Path(*rel.parts[1:])
    return book_i18n.SOURCE_LANGUAGE, rel


def _pages() -> list[Path]:
    if not SITE.is_dir():
        return []
    return sorted(
        p
        for p in SITE.rglob("*.html")
        if not SKIP_DIRS & set(p.relative_to(SITE).parts)
        # Jupyter Book's index.html is a bare redirect to the root page, not a page
        and p.relative_to(SITE).parts[-1:] != ("index.html",)
    )


def _require_site() -> None:
    if SITE.is_dir():
        return
    reason = f"{SITE} is missing: run make book (or make build-check) first"
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(reason)
    pytest.skip(reason)


def test_every_edition_was_built() -> None:
    _require_site()
    assert EDITIONS, "no translated edition configured (locale/<code>/LC_MESSAGES)"
    for code in EDITIONS:
        assert (SITE / code / "intro.html").is_file(), f"edition {code} is not in {SITE / code}"


def test_every_page_links_to_itself_in_every_other_edition() -> None:
    _require_site()
    pages = _pages()
    assert pages, f"no pages under {SITE}"
    everyone = [book_i18n.SOURCE_LANGUAGE, *EDITIONS]
    failures = []
    for page in pages:
        code, rel = _edition_of(page)
        parser = _LanguageLinks()
        parser.feed(page.read_text(encoding="utf-8"))
        got = {lang: href for lang, href in parser.links}
        want = {c.replace("_", "-") for c in everyone if c != code}
        if set(got) != want:
            failures.append(
                f"{page.relative_to(SITE)}: language links {sorted(got)}, want {sorted(want)}"
            )
            continue
        for lang, href in got.items():
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or href.startswith("/"):
                failures.append(f"{page.relative_to(SITE)}: {href} is not a relative link")
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            other = lang.replace("-", "_")
            expected = SITE / rel if other == book_i18n.SOURCE_LANGUAGE else SITE / other / rel
            if not target.is_file():
                failures.append(f"{page.relative_to(SITE)}: {href} does not exist")
            elif target != expected.resolve():
                failures.append(f"{page.relative_to(SITE)}: {href} is not the same page")
        if code != book_i18n.SOURCE_LANGUAGE and parser.html_lang != code.replace("_", "-"):
            failures.append(f"{page.relative_to(SITE)}: <html lang={parser.html_lang!r}>")
    assert not failures, "\n".join(failures)


def test_the_chinese_search_index_keeps_the_glossary_terms_whole() -> None:
    """Sphinx segments Chinese with jieba; the glossary's terms (given to jieba by
    locale/zh_CN/search-words.txt, which tests/test_i18n.py ties to the glossary) must be whole
    words of the index, or a search for 反向传播 finds nothing (the query is not segmented)."""
    _require_site()
    if "zh_CN" not in EDITIONS:
        pytest.skip("no Chinese edition configured")
    text = (SITE / "zh_CN" / "searchindex.js").read_text(encoding="utf-8")
    index = json.loads(text[text.index("(") + 1 : text.rindex(")")])
    terms = set()  # the Chinese column of the glossary, which the glossary page itself shows
    for line in (ROOT / "glossary.md").read_text("utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and cells[1] != "中文":
            parts = re.split(r"[,，、（）()\s]+", cells[1])
            terms |= {t for t in parts if re.fullmatch("[\u4e00-\u9fff]{2,}", t)}
    assert terms, "no Chinese terms found in glossary.md"
    glossary = index["docnames"].index("glossary")
    missing = sorted(t for t in terms if t not in index["terms"])
    assert not missing, f"not whole words of the Chinese search index: {missing}"
    found = index["terms"]["反向传播"]
    assert glossary in (found if isinstance(found, list) else [found])
