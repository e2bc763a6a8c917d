"""Serve MathJax 3 from the built site instead of a CDN (the book works offline).

MathJax comes from a registry package pinned in requirements.txt (``django-static-mathjax``,
which ships MathJax 3.2.2's ``es5`` bundle as package data). At build time its ``es5`` folder is
copied to ``_build/html/_static/mathjax/`` and Sphinx's ``mathjax_path`` points there, so no page
loads anything from outside the site.
"""

from __future__ import annotations

import shutil
from importlib.resources import files
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.config import Config

TARGET = "mathjax"  # under _static/
ENTRY = "tex-mml-chtml.js"


def _es5_dir() -> Path:
    root = Path(str(files("mathjax"))) / "static" / "mathjax" / "es5"
    if not (root / ENTRY).is_file():
        raise RuntimeError(
            f"MathJax's es5 bundle was not found at {root}; install requirements.txt "
            "(django-static-mathjax) into the build environment"
        )
    return root


def _set_path(app: Sphinx, config: Config) -> None:
    _es5_dir()  # fail early, with a clear message, if the package is missing
    config.mathjax_path = f"{TARGET}/{ENTRY}"


def _copy(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    dest = Path(app.outdir) / "_static" / TARGET
    if not (dest / ENTRY).is_file():
        shutil.copytree(_es5_dir(), dest, dirs_exist_ok=True)


def setup(app: Sphinx) -> dict[str, object]:
    app.connect("config-inited", _set_path)
    app.connect("build-finished", _copy)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
