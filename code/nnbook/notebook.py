"""What every chapter runs first, and small helpers for printing checked numbers.

:func:`setup` makes a notebook's outputs reproducible: TensorFlow's log level and oneDNN
switch are set before anything can import TensorFlow, NumPy prints a fixed number of digits,
and matplotlib writes figures without timestamps or random ids.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

__all__ = ["SCALE_ENV", "format_table", "paper_scale", "print_table", "setup"]

#: Environment variable that switches every chapter from its small CI default to a
#: larger, closer-to-the-paper run: ``NNBOOK_SCALE=paper make refresh`` (never in CI).
SCALE_ENV = "NNBOOK_SCALE"


def paper_scale() -> bool:
    """True when ``NNBOOK_SCALE=paper`` asks for the larger experiments."""
    value = os.environ.get(SCALE_ENV, "small").strip().lower()
    if value not in ("small", "paper"):
        raise ValueError(f"{SCALE_ENV} must be 'small' or 'paper', got {value!r}")
    return value == "paper"


def setup(precision: int = 6) -> None:
    """Prepare a chapter notebook (call it in the first code cell, before importing TensorFlow)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    os.environ.setdefault("SOURCE_DATE_EPOCH", "0")
    np.set_printoptions(precision=precision, suppress=True)
    try:
        import matplotlib as mpl
    except ImportError:  # pragma: no cover - matplotlib is in requirements.txt
        return
    mpl.rcParams.update(
        {
            "svg.hashsalt": "nnbook",
            "figure.dpi": 100,
            "figure.figsize": (6.4, 4.0),
            "axes.grid": True,
            "grid.alpha": 0.3,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.size": 10,
        }
    )


def _cell(value: Any, floatfmt: str) -> str:
    if isinstance(value, (float, np.floating)):
        return format(float(value), floatfmt)
    return str(value)


def format_table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], floatfmt: str = ".3g"
) -> str:
    """A plain-text table with right-aligned columns; floats formatted with ``floatfmt``."""
    body = [[_cell(v, floatfmt) for v in row] for row in rows]
    cols = [list(headers), *body]
    widths = [max(len(r[i]) for r in cols) for i in range(len(headers))]
    lines = ["  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in body]
    return "\n".join(lines)


def print_table(
    headers: Sequence[str], rows: Iterable[Sequence[Any]], floatfmt: str = ".3g"
) -> None:
    """Print :func:`format_table`."""
    print(format_table(headers, rows, floatfmt))
