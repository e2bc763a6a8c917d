"""Launch buttons from one setting (``NNBOOK_REPO_URL``, read by ``_ext/launch_buttons.py``).

A tiny book (one notebook page) is built twice with the book's theme and extension: without
the setting no repository, Binder or Colab button is rendered; with it, all three point at the
given repository; the download (.ipynb) button is there both times.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "_ext"))
import launch_buttons  # noqa: E402

REPO = "https://github.com/example-owner/example-book"

CONF = f"""
import sys
sys.path.insert(0, {str(ROOT / "_ext")!r})
extensions = ["myst_nb", "sphinx_book_theme", "launch_buttons"]
html_theme = "sphinx_book_theme"
html_theme_options = {{
    "repository_url": "https://github.com/placeholder/never-rendered",
    "use_repository_button": True,
    "use_download_button": True,
    "launch_buttons": {{"binderhub_url": "https://mybinder.org", "colab_url": "https://x.org"}},
}}
nb_execution_mode = "off"
exclude_patterns = ["_build"]
"""


def _build(tmp: Path, monkeypatch, url: str | None) -> str:
    from sphinx.application import Sphinx

    src = tmp / "src"
    src.mkdir()
    (src / "conf.py").write_text(CONF)
    nb = {
        "cells": [
            {"cell_type": "markdown", "id": "a1", "metadata": {}, "source": "# Page"},
            {
                "cell_type": "code",
                "id": "a2",
                "metadata": {},
                "execution_count": 1,
                "source": "1 + 1",
                "outputs": [],
            },
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    (src / "index.ipynb").write_text(json.dumps(nb))
    if url is None:
        monkeypatch.delenv(launch_buttons.ENV_URL, raising=False)
    else:
        monkeypatch.setenv(launch_buttons.ENV_URL, url)
    out = tmp / "html"
    app = Sphinx(str(src), str(src), str(out), str(tmp / "doctrees"), "html", status=None)
    app.build()
    return (out / "index.html").read_text(encoding="utf-8")


def test_no_repository_no_launch_buttons(tmp_path, monkeypatch):
    html = _build(tmp_path, monkeypatch, None)
    for word in ("mybinder.org", "colab", "x.org", "placeholder/never-rendered"):
        assert word not in html, f"{word} rendered without {launch_buttons.ENV_URL}"
    assert "btn-download-source-button" in html or "dropdown-download-buttons" in html


def test_repository_url_gives_all_three_buttons(tmp_path, monkeypatch):
    html = _build(tmp_path, monkeypatch, REPO + "/")
    assert "https://mybinder.org/v2/gh/example-owner/example-book/main" in html
    assert "colab.research.google.com/github/example-owner/example-book/blob/main" in html
    assert f'href="{REPO}"' in html
    assert "placeholder/never-rendered" not in html
    assert "dropdown-download-buttons" in html


def test_a_malformed_url_fails_the_build(monkeypatch):
    monkeypatch.setenv(launch_buttons.ENV_URL, "github.com/owner")
    with pytest.raises(ValueError, match=launch_buttons.ENV_URL):
        launch_buttons.repository_url()
