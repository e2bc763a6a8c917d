"""Repository, Binder and Colab buttons from one setting: ``NNBOOK_REPO_URL``.

The book's repository URL is read from the environment at build time, e.g.

    NNBOOK_REPO_URL=https://github.com/OWNER/REPO make book

With it, the pages get a repository button and, on the chapters (notebooks), Binder and Colab
launch buttons pointing at that repository's ``main`` branch (``NNBOOK_REPO_BRANCH`` overrides
it). Without it, none of them is rendered: a button that leads to a repository that does not
exist is worse than no button. The ``.ipynb`` / source download button never needs a
repository and always stays.
"""

from __future__ import annotations

import os
import re

from sphinx.application import Sphinx
from sphinx.config import Config

ENV_URL = "NNBOOK_REPO_URL"
ENV_BRANCH = "NNBOOK_REPO_BRANCH"
BINDERHUB_URL = "https://mybinder.org"
COLAB_URL = "https://colab.research.google.com"
_URL = re.compile(r"^https://[^\s/]+/[^\s/]+/[^\s/]+?/?$")


def repository_url() -> str | None:
    """The repository URL from ``NNBOOK_REPO_URL`` (None when unset or empty).

    Raises ValueError for a value that is not an ``https://host/owner/repo`` URL, so that a typo
    fails the build instead of rendering broken buttons.
    """
    url = os.environ.get(ENV_URL, "").strip()
    if not url:
        return None
    if not _URL.match(url):
        raise ValueError(f"{ENV_URL} must look like https://github.com/OWNER/REPO, got {url!r}")
    return url.rstrip("/").removesuffix(".git")


def theme_options(base: dict[str, object], url: str | None, branch: str) -> dict[str, object]:
    """``base`` (html_theme_options) with the repository and launch buttons set for ``url``."""
    opts = dict(base)
    launch = dict(opts.get("launch_buttons") or {})  # type: ignore[arg-type]
    for key in ("binderhub_url", "colab_url", "jupyterhub_url", "deepnote_url"):
        launch.pop(key, None)
    launch["thebe"] = False
    if url is None:
        opts["repository_url"] = ""
        for key in ("use_repository_button", "use_issues_button", "use_edit_page_button"):
            opts[key] = False
        opts["use_source_button"] = False
    else:
        opts["repository_url"] = url
        opts["repository_branch"] = branch
        opts["use_repository_button"] = True
        launch["binderhub_url"] = BINDERHUB_URL
        launch["colab_url"] = COLAB_URL
    opts["launch_buttons"] = launch
    opts["use_download_button"] = True
    return opts


def _configure(app: Sphinx, config: Config) -> None:
    branch = os.environ.get(ENV_BRANCH, "").strip() or "main"
    config.html_theme_options = theme_options(
        config.html_theme_options or {}, repository_url(), branch
    )


def setup(app: Sphinx) -> dict[str, object]:
    # priority 900: after jupyter-book and sphinx-book-theme have filled html_theme_options
    app.connect("config-inited", _configure, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True, "version": "1.0"}
