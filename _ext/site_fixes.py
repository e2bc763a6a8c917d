"""Small fixes to the HTML that Jupyter Book 1.0.4 writes, found by the browser test.

* sphinx-thebe registers its inline configuration script twice (it is set up both by Jupyter
  Book and by sphinx-book-theme), and the second ``const THEBE_JS_URL`` is a console error on
  every page. Identical scripts are kept once.
* ``static/nnbook.css`` (added to every page): code and output blocks wrap instead of scrolling
  sideways, tables keep to the column, and print rules for the PDF edition (``make pdf``).
* The theme renders two search fields (the sidebar's and one in the top bar); the top bar's is
  removed, so a page has one search box (Ctrl+K still opens the search dialog).
* For the single-page build behind the PDF (``make pdf``): an extension that registers its
  own ``singlehtml`` node handlers hides the ``html`` ones that myst-nb registered (Sphinx looks
  up a builder's name before its format), so myst-nb's hidden-cell nodes had no HTML writer
  there. The ``html`` handlers are copied to ``singlehtml`` where it lacks them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sphinx.application import Sphinx
from sphinx.config import Config

STATIC = Path(__file__).resolve().parent / "static"
CSS = "nnbook.css"


def _dedupe_scripts(
    app: Sphinx, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    scripts = context.get("script_files")
    if not scripts:
        return
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    unique = []
    for js in scripts:
        attrs = getattr(js, "attributes", {}) or {}
        # The duplicate differs only in filename None vs "" (both: an inline script).
        name = str(getattr(js, "filename", js) or "")
        key = (name, tuple(sorted((k, str(v)) for k, v in attrs.items())))
        if key not in seen:
            seen.add(key)
            unique.append(js)
    scripts[:] = unique


def _configure(app: Sphinx, config: Config) -> None:
    if str(STATIC) not in config.html_static_path:
        config.html_static_path.append(str(STATIC))
    # pydata-sphinx-theme's header search field ("navbar_persistent") repeats the sidebar's.
    config.html_theme_options = {**(config.html_theme_options or {}), "navbar_persistent": []}


def _singlehtml_handlers(app: Sphinx) -> None:
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for node, pair in handlers.get("html", {}).items():
        single.setdefault(node, pair)


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("builder-inited", _singlehtml_handlers)
    app.connect("config-inited", _configure)
    app.add_css_file(CSS)
    # priority 1: run before any handler that returns a template name and so ends the event
    app.connect("html-page-context", _dedupe_scripts, priority=1)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
