"""Small fixes to the HTML that Jupyter Book 1.0.4 writes, found by the browser test.

* sphinx-thebe registers its inline configuration script twice (it is set up both by Jupyter
  Book and by sphinx-book-theme), and the second ``const THEBE_JS_URL`` is a console error on
  every page. Identical scripts are kept once.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


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


def setup(app: Sphinx) -> dict[str, object]:
    # priority 1: run before any handler that returns a template name and so ends the event
    app.connect("html-page-context", _dedupe_scripts, priority=1)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
