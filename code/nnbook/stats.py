"""Per-layer statistics of a network's signals (chapter 3, eqs. (3.1)-(3.6); chapter 4 reuses them).

Weight-scale questions are answered by watching how the spread of the forward signal (the
pre-activations z^(l) and activations a^(l)) and of the backward signal (δ^(l) = ∂J/∂z^(l))
changes from layer to layer. The building blocks here work on *lists of arrays*, one per
layer, of any shape (dense ``(N, units)`` or convolutional ``(N, H, W, C)`` alike), so they do
not care which network produced them:

* :func:`stds`, :func:`rms` — one number per layer;
* :func:`log_slope` — the per-layer rate at which such numbers grow or shrink (chapter 3
  compares it with ``-½ ln 2`` for ReLU under Xavier's init);
* :func:`saturated_fraction` — the share of values beyond a threshold (tanh saturation);
* :func:`histograms` — per-layer histograms on common bins (Glorot & Bengio's Figs. 6-7).

:func:`layer_stats` collects them from an :class:`nnbook.MLP` after one forward and backward
pass; :func:`tf_layer_stats` computes the same numbers with TensorFlow's ``GradientTape``
(the chapter's TensorFlow twin; TensorFlow is imported only when it is called).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from . import _checks

__all__ = [
    "LayerStats",
    "histograms",
    "layer_stats",
    "log_slope",
    "rms",
    "saturated_fraction",
    "stds",
    "tf_layer_stats",
]


def _arrays(arrays: Any, name: str) -> list[np.ndarray]:
    if (
        isinstance(arrays, np.ndarray)
        or not isinstance(arrays, Sequence)
        or isinstance(arrays, (str, bytes))
    ):
        raise TypeError(f"{name} must be a list of arrays (one per layer), got {type(arrays)!r}")
    if len(arrays) == 0:
        raise ValueError(f"{name} must contain at least one array, got an empty list")
    return [_checks.float_array(a, f"{name}[{i}]") for i, a in enumerate(arrays)]


def stds(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """Standard deviation (over all entries, ``ddof=0``) of each array: one value per layer."""
    return np.array([float(np.std(a, dtype=np.float64)) for a in _arrays(arrays, "arrays")])


def rms(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """Root mean square sqrt(E[x²]) of each array (the second moment He et al. propagate)."""
    return np.array(
        [float(np.sqrt(np.mean(np.square(a, dtype=np.float64)))) for a in _arrays(arrays, "arrays")]
    )


def log_slope(values: Sequence[float] | np.ndarray) -> float:
    """Least-squares slope of ``ln(values[l])`` against the layer index ``l``.

    ``exp(log_slope(v))`` is the average factor by which ``v`` changes per layer; for the
    activation stds of a ReLU net with Var(w) = 1/n it is 2^(-1/2), i.e. a slope of
    ``-½ ln 2 ≈ -0.347`` (chapter 3, eq. (3.6)). Needs at least two positive values.
    """
    v = _checks.float_array(values, "values", ndim=1)
    if v.size < 2:
        raise ValueError(f"values needs at least two entries, got {v.size}")
    if np.any(v <= 0):
        raise ValueError("values must all be positive to take their logarithm")
    x = np.arange(v.size, dtype=np.float64)
    slope = np.polyfit(x, np.log(v.astype(np.float64)), 1)[0]
    return float(slope)


def saturated_fraction(arrays: Sequence[np.ndarray], threshold: float) -> np.ndarray:
    """Fraction of entries with ``|x| > threshold`` in each array (e.g. tanh units beyond 0.99)."""
    threshold = _checks.nonnegative(threshold, "threshold")
    return np.array([float(np.mean(np.abs(a) > threshold)) for a in _arrays(arrays, "arrays")])


def histograms(
    arrays: Sequence[np.ndarray], bins: int, limit: float
) -> tuple[np.ndarray, np.ndarray]:
    """Histograms of every array on the same ``bins`` equal bins over ``[-limit, limit]``.

    Returns ``(fractions, edges)``: ``fractions[l, k]`` is the share of layer l's entries that
    fall in bin k (entries outside the range are not counted, so a row sums to at most 1), and
    ``edges`` has ``bins + 1`` entries.
    """
    bins = _checks.positive_int(bins, "bins")
    limit = _checks.positive(limit, "limit")
    arrs = _arrays(arrays, "arrays")
    edges = np.linspace(-limit, limit, bins + 1)
    rows = [np.histogram(a, bins=edges)[0] / a.size for a in arrs]
    return np.vstack(rows), edges


class LayerStats(NamedTuple):
    """Per-layer spreads of one forward/backward pass, index 0 = layer 1 (chapter 3).

    ``z_std[l]`` and ``a_std[l]`` are the stds of the pre-activations and activations of layer
    l+1; ``delta_std[l]`` the std of δ^(l+1) = ∂J/∂z^(l+1); ``grad_std[l]`` the std of
    ∂J/∂W^(l+1).
    """

    z_std: np.ndarray
    a_std: np.ndarray
    delta_std: np.ndarray
    grad_std: np.ndarray


def layer_stats(model: Any, X: np.ndarray, y: np.ndarray) -> LayerStats:
    """Run ``model.loss_and_grads(X, y)`` once and return the per-layer :class:`LayerStats`.

    ``model`` is an :class:`nnbook.MLP` (it records ``z``, ``a`` and ``deltas``); the pass is
    in training mode, so a model with dropout uses fresh masks. Parameters are not changed.
    """
    for attr in ("loss_and_grads", "z", "a", "deltas", "n_layers"):
        if not hasattr(model, attr):
            raise TypeError(f"model must be an nnbook.MLP, got {type(model).__name__}")
    model.loss_and_grads(X, y)
    return LayerStats(
        z_std=stds(model.z),
        a_std=stds(model.a[1:]),
        delta_std=stds(model.deltas),
        grad_std=stds([model.grads[f"W{i}"] for i in range(1, model.n_layers + 1)]),
    )


def tf_layer_stats(model: Any, X: np.ndarray, y: np.ndarray) -> LayerStats:
    """The TensorFlow twin of :func:`layer_stats`: same arrays, ``tf`` ops and ``GradientTape``.

    The δ's are ``tape.gradient(loss, z)`` for every intermediate tensor ``z`` of the forward
    pass. Models with dropout are refused (the two passes could not share masks).
    """
    from . import tf_twins

    if getattr(model, "keep_prob", None) is not None:
        raise ValueError("tf_layer_stats needs a model without dropout (keep_prob=None)")
    X = _checks.float_array(X, "X", ndim=2)
    twin = tf_twins.TFMLP(model)
    tf = twin.tf
    variables = twin.variables
    n = twin.n_layers
    with tf.GradientTape() as tape:
        h = tf.convert_to_tensor(X, dtype=twin.dtype)
        zs, acts = [], []
        for i in range(1, n + 1):
            z = tf.matmul(h, variables[f"W{i}"]) + variables[f"b{i}"]
            name = model.output_activation if i == n else model.activation
            h = tf_twins._activation(tf, name)(z)
            zs.append(z)
            acts.append(h)
        loss = twin.loss(h, y)
    weights = [variables[f"W{i}"] for i in range(1, n + 1)]
    grads = tape.gradient(loss, zs + weights)
    return LayerStats(
        z_std=stds([z.numpy() for z in zs]),
        a_std=stds([a.numpy() for a in acts]),
        delta_std=stds([g.numpy() for g in grads[:n]]),
        grad_std=stds([g.numpy() for g in grads[n:]]),
    )
