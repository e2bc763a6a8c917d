"""The built book in a real browser: headless Chromium (Debian's package) driven by Playwright.

For every HTML page of ``_build/html``, opened from disk (``file://``, as a reader who downloaded
the site would): no console error; every equation typeset by MathJax with no error node; every
image and SVG with non-zero size; every internal link (and its #anchor) resolves; no request
leaves the local site; every exercise-solution toggle opens. At a 1280 px window, the page fits
its column: no code or output block (``pre``) scrolls sideways (its scrollWidth is at most its
clientWidth), no table is wider than its container, and no figure is shrunk below 90 % of its
natural width (a figure drawn wider than the column has unreadably small text). The page has one
search field, and no launch or repository button unless the build was given a repository
(``NNBOOK_REPO_URL``, see ``_ext/launch_buttons.py``). A full-page screenshot of each page, with
its solutions open, is saved under ``_build/screenshots/`` (not committed). A displayed equation
wider than the column is reported as a warning (MathJax cannot break it; its author splits it).

Pages are collected recursively, so a second edition (``_build/html/zh_CN/``) is covered too.
``NNBOOK_SITE=/some/_build/html`` checks a site built elsewhere.

Run after a build (``make test`` does both). Outside CI a missing Chromium skips the test with
instructions; under ``CI=true`` it fails instead.
"""

from __future__ import annotations

import os
import re
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
import pdf as pdf_tool  # noqa: E402

SITE = Path(os.environ.get("NNBOOK_SITE") or ROOT / "_build" / "html")
SHOTS = SITE.parent / "screenshots"
LOCAL_SCHEMES = ("file", "data", "blob", "about")
VIEWPORT = {"width": 1280, "height": 900}
MIN_FIGURE_SCALE = 0.90  # displayed / natural width of every figure
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--allow-file-access-from-files",
]


# Everything on a page that does not fit its column; one line per violation, naming the block
# (its first characters), table or figure (its number and name) and the measured widths.
LAYOUT_JS = """(minScale) => {
  const out = [];
  const label = (el) => {
    const fig = el.closest('figure');
    if (fig) {
      const num = fig.querySelector('.caption-number');
      return 'figure ' + (num ? num.textContent.trim() + ' ' : '') + '#' + (fig.id || '?');
    }
    const cell = el.closest('.cell');
    return (cell && cell.id ? 'cell #' + cell.id + ' ' : '') + 'image';
  };
  document.querySelectorAll('article pre').forEach((pre) => {
    if (pre.offsetParent === null) return;  // hidden (a collapsed toggle)
    if (pre.scrollWidth > pre.clientWidth + 1) {
      const first = pre.textContent.trim().split('\\n')[0].slice(0, 60);
      out.push(`code/output block scrolls sideways (${pre.scrollWidth} > ${pre.clientWidth} px): ` +
               JSON.stringify(first));
    }
  });
  document.querySelectorAll('article table').forEach((t) => {
    if (t.offsetParent === null) return;
    const box = t.parentElement;
    const width = t.getBoundingClientRect().width;
    const room = box.clientWidth;
    if (width > room + 1 || box.scrollWidth > box.clientWidth + 1) {
      const head = t.querySelector('th, td');
      out.push(`table wider than its column (${Math.round(width)} > ${room} px): ` +
               JSON.stringify(head ? head.textContent.trim().slice(0, 40) : ''));
    }
  });
  document.querySelectorAll('article img').forEach((img) => {
    if (img.offsetParent === null || !img.naturalWidth) return;
    const shown = img.getBoundingClientRect().width;
    if (shown < minScale * img.naturalWidth) {
      out.push(`${label(img)} shrunk to ${Math.round(100 * shown / img.naturalWidth)} % ` +
               `(${Math.round(shown)} of ${img.naturalWidth} px): draw it narrower`);
    }
  });
  document.querySelectorAll('article figure svg, article .cell_output svg').forEach((svg) => {
    if (svg.closest('mjx-container, button, a') || svg.parentElement.offsetParent === null) return;
    const natural = svg.width && svg.width.baseVal ? svg.width.baseVal.value : 0;
    const shown = svg.getBoundingClientRect().width;
    if (natural > 0 && shown < minScale * natural) {
      out.push(`${label(svg)} (svg) shrunk to ${Math.round(100 * shown / natural)} %`);
    }
  });
  return out;
}"""


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _chromium() -> str | None:
    return pdf_tool.chromium()  # one lookup of the system Chromium, shared with make pdf


def _missing(reason: str) -> None:
    if _in_ci():
        pytest.fail(f"{reason} (CI=true: the browser test may not be skipped)")
    pytest.skip(reason)


def _pages() -> list[Path]:
    return sorted(p for p in SITE.rglob("*.html") if "_static" not in p.parts)


class _Anchors(HTMLParser):
    """Collects the ids and the local link targets of one HTML file."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = dict(attrs)
        if d.get("id"):
            self.ids.add(d["id"])
        if d.get("name") and tag == "a":
            self.ids.add(d["name"])
        if tag == "a" and d.get("href"):
            self.links.append(d["href"])


def _parse(path: Path, cache: dict[Path, _Anchors]) -> _Anchors:
    if path not in cache:
        parser = _Anchors()
        parser.feed(path.read_text(encoding="utf-8"))
        cache[path] = parser
    return cache[path]


@pytest.fixture(scope="module")
def browser():
    if not (SITE / "index.html").is_file():
        _missing(f"no built book at {SITE}: run `make book` (or `make build-check`) first")
    exe = _chromium()
    if exe is None:
        _missing(
            "Chromium not found: install Debian's package (`sudo apt-get install chromium`) "
            "or set CHROMIUM_PATH to a Chromium binary"
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def test_site_has_pages():
    if not (SITE / "index.html").is_file():
        _missing(f"no built book at {SITE}: run `make book` first")
    names = {p.relative_to(SITE).as_posix() for p in _pages()}
    assert {"intro.html", "references.html", "chapters/00_first_network.html"} <= names


def test_internal_links_resolve():
    if not (SITE / "index.html").is_file():
        _missing(f"no built book at {SITE}: run `make book` first")
    cache: dict[Path, _Anchors] = {}
    broken = []
    for page in _pages():
        for href in _parse(page, cache).links:
            parts = urlsplit(href)
            if parts.scheme or href.startswith("//") or href.startswith("mailto:"):
                continue  # external (launch buttons, repository): only followed when clicked
            target = (page.parent / unquote(parts.path)).resolve() if parts.path else page
            if target.is_dir():
                target = target / "index.html"
            if not target.exists():
                broken.append(f"{page.relative_to(SITE)} -> {href} (no file)")
                continue
            if parts.fragment and target.suffix == ".html":
                if unquote(parts.fragment) not in _parse(target, cache).ids:
                    broken.append(f"{page.relative_to(SITE)} -> {href} (no such anchor)")
    assert not broken, "\n".join(broken)


def _page_ids() -> list[str]:
    if not (SITE / "index.html").is_file():
        return ["missing-site"]
    return [p.relative_to(SITE).as_posix() for p in _pages()]


@pytest.mark.parametrize("rel", _page_ids())
def test_page_in_browser(browser, rel):
    path = SITE / rel
    html = path.read_text(encoding="utf-8")
    redirect = re.search(r'http-equiv="refresh" content="\d+;\s*url=([^"]+)"', html, re.I)
    if redirect:  # index.html only forwards to the first page: check the target exists
        assert (path.parent / redirect.group(1)).is_file(), f"{rel}: redirect target missing"
        return
    page = browser.new_page(viewport=VIEWPORT)
    errors: list[str] = []
    outside: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))

    def _request(req) -> None:
        if urlsplit(req.url).scheme not in LOCAL_SCHEMES:
            outside.append(req.url)

    page.on("request", _request)
    page.goto(path.as_uri(), wait_until="load")

    # MathJax: wait for typesetting, then no error nodes; every math element typeset.
    has_math = bool(re.search(r'class="[^"]*\bmath\b', html))
    if has_math:
        page.wait_for_function(
            "() => window.MathJax && MathJax.startup && MathJax.startup.promise", timeout=30_000
        )
        page.evaluate("() => MathJax.startup.promise")
        n_math = page.locator(".math").count()
        n_typeset = page.locator("mjx-container").count()
        assert n_typeset >= n_math > 0, f"{rel}: {n_typeset} typeset of {n_math} math elements"
        assert page.locator("mjx-merror").count() == 0, f"{rel}: MathJax error node"

    # Images and inline SVG figures: loaded and of non-zero size.
    bad_images = page.evaluate(
        """() => [...document.images]
              .filter(i => !(i.complete && i.naturalWidth > 0 && i.naturalHeight > 0))
              .map(i => i.src)"""
    )
    assert not bad_images, f"{rel}: images not loaded: {bad_images}"
    empty_svgs = page.evaluate(
        """() => [...document.querySelectorAll('figure svg, .cell_output svg')]
              .filter(s => { const r = s.getBoundingClientRect();
                             return r.width === 0 || r.height === 0; })
              .length"""
    )
    assert empty_svgs == 0, f"{rel}: {empty_svgs} SVG figures of zero size"

    # Exercise solutions: hidden behind a toggle, and the toggle opens them.
    solutions = page.locator(".solution.dropdown")
    for i in range(solutions.count()):
        sol = solutions.nth(i)
        body = sol.locator("section, p").last
        assert not body.is_visible(), f"{rel}: solution {i} is not hidden before its toggle"
        sol.locator("button.toggle-button").click()
        body.wait_for(state="visible", timeout=5_000)

    layout = page.evaluate(LAYOUT_JS, MIN_FIGURE_SCALE)
    # Displayed equations that scroll sideways: reported (a warning in the summary), not failed:
    # MathJax cannot break a display equation; its author splits it (aligned) where it is wide.
    for eq, wide, room in page.evaluate(
        """() => [...document.querySelectorAll('article mjx-container[display="true"]')]
              .filter(e => e.scrollWidth > e.clientWidth + 1 && e.getClientRects().length)
              .map(e => [(e.closest('[id]') || {}).id || '?', e.scrollWidth, e.clientWidth])"""
    ):
        warnings.warn(f"{rel}: equation #{eq} scrolls sideways ({wide} > {room} px)", stacklevel=1)
    launch = page.evaluate(
        """() => ({
            search: document.querySelectorAll('.search-button-field').length,
            buttons: [...document.querySelectorAll(
                '.article-header-buttons a, .article-header-buttons button')]
              .map(b => (b.getAttribute('href') || '') + ' ' + (b.title || b.textContent))
              .filter(t => /binder|colab|repository|github|gitlab|jupyterhub|deepnote/i.test(t)),
            download: document.querySelectorAll('.dropdown-download-buttons a').length,
        })"""
    )

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / (rel.replace("/", "__") + ".png")), full_page=True)
    page.close()
    assert not errors, f"{rel}: console errors: {errors}"
    assert not outside, f"{rel}: requests outside the site: {outside}"
    assert launch["search"] == 1, f"{rel}: {launch['search']} search fields (one expected)"
    if rel.rsplit("/", 1)[-1] not in ("genindex.html", "search.html"):  # generated, no source
        assert launch["download"] >= 1, f"{rel}: no download button"
    if not os.environ.get("NNBOOK_REPO_URL"):
        assert not launch["buttons"], f"{rel}: launch/repository buttons without a repository"
    problems = [f"{rel}: {v}" for v in layout]
    assert not problems, "page does not fit its column at 1280 px:\n" + "\n".join(problems)
