"""Write a notebook from a list of cells (an authoring aid for new chapters).

A chapter script calls ``write(path, cells)`` with cells made by :func:`md` and :func:`code`;
the notebook is then executed by ``make refresh NB=path FORCE=1``. The notebook itself is the
source of truth afterwards: edit it in Jupyter, or regenerate it from your script.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

KERNELSPEC = {"display_name": "Python 3 (From Zero)", "language": "python", "name": "python3"}


def md(text: str) -> nbformat.NotebookNode:
    """A markdown cell from dedented ``text``."""
    return new_markdown_cell(textwrap.dedent(text).strip("\n"))


def code(
    text: str,
    tags: list[str] | None = None,
    figure: dict[str, str] | None = None,
) -> nbformat.NotebookNode:
    """A code cell from dedented ``text``.

    ``tags`` go into the cell metadata. ``figure`` makes the cell's image output a numbered
    figure in the book: ``{"name": "fig-...", "caption": "...", "alt": "..."}`` becomes
    myst-nb's ``mystnb.figure`` (name, caption) and ``mystnb.image`` (alt) metadata.
    """
    cell = new_code_cell(textwrap.dedent(text).strip("\n"))
    if tags:
        cell.metadata["tags"] = list(tags)
    if figure:
        missing = {"name", "caption", "alt"} - set(figure)
        if missing:
            raise ValueError(f"figure needs name, caption and alt; missing {sorted(missing)}")
        cell.metadata["mystnb"] = {
            "figure": {"name": figure["name"], "caption": figure["caption"]},
            "image": {"alt": figure["alt"]},
        }
    return cell


def write(path: str | Path, cells: list[nbformat.NotebookNode]) -> None:
    """Write ``cells`` as a notebook with the book's kernelspec and stable cell ids."""
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = KERNELSPEC
    nb.metadata["language_info"] = {"name": "python"}
    stem = Path(path).stem.split("_", 1)[0]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"c{stem}-{i:03d}"
    nbformat.write(nb, str(path))
