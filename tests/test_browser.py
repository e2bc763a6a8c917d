"""The built book in a real browser: headless Chromium (Debian's package) driven by Playwright.

For every HTML page of ``_build/html``, opened from disk (``file://``, as a reader who downloaded
the site would): no console error; every equation typeset by MathJax with no error node; every
image and SVG with non-zero size; every internal link (and its #anchor) resolves; no request
leaves the local site; every exercise-solution toggle opens. A full-page screenshot of each page,
with its solutions open, is saved under ``_build/screenshots/`` (not committed).

Run after a build (``make test`` does both). Outside CI a missing Chromium skips the test with
instructions; under ``CI=true`` it fails instead.
"""

from __future__ import annotations

import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[1]
SITE = ROOT / "_build" / "html"
SHOTS = ROOT / "_build" / "screenshots"
LOCAL_SCHEMES = ("file", "data", "blob", "about")
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


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _chromium() -> str | None:
    explicit = os.environ.get("CHROMIUM_PATH")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


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
    page = browser.new_page(viewport={"width": 1280, "height": 900})
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

    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / (rel.replace("/", "__") + ".png")), full_page=True)
    page.close()
    assert not errors, f"{rel}: console errors: {errors}"
    assert not outside, f"{rel}: requests outside the site: {outside}"
