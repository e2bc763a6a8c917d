"""Measuring symmetry between hidden units (chapter 2; used again in chapter 5).

Hidden unit j of layer l is described by its incoming weight vector ``W[:, j]`` and bias
``b[j]``. Two units are interchangeable (the network is symmetric in them) when those are equal
*and* their outgoing weights ``W_next[j, :]`` are equal too; chapter 2 proves that gradient
descent keeps equal units equal.
"""

from __future__ import annotations

import numpy as np

from . import _checks

__all__ = ["unit_spread"]


def unit_spread(W: np.ndarray, b: np.ndarray | None = None) -> float:
    """Largest difference between any two units' incoming weights (and biases, if given).

    Returns max over inputs i of (max_j W[i, j] − min_j W[i, j]), which is 0.0 exactly when all
    columns of ``W`` are identical (chapter 2, eq. (2.4)). With ``b`` the biases count as one
    more input row.
    """
    W = _checks.float_array(W, "W", ndim=2)
    if b is not None:
        b = _checks.float_array(b, "b", ndim=1)
        if b.shape[0] != W.shape[1]:
            raise ValueError(f"b must have {W.shape[1]} entries to match W, got {b.shape[0]}")
        W = np.vstack([W, b[None, :]])
    return float(np.max(W.max(axis=1) - W.min(axis=1)))
