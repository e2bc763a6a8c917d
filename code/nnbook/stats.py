"""Per-layer statistics of a network's signals (chapter 3, eq-ws-forward to eq-ws-he; chapter 4).

Weight-scale questions are answered by watching how the spread of the forward signal (the
pre-activations z^(l) and activations a^(l)) and of the backward signal (δ^(l) = ∂J/∂z^(l))
changes from layer to layer. The building blocks here work on *lists of arrays*, one per
layer, of any shape (dense ``(N, units)`` or convolutional ``(N, H, W, C)`` alike), so they do
not care which network produced them:

* :func:`stds`, :func:`rms` — one number per layer;
* :func:`log_slope` — the per-layer rate at which such numbers grow or shrink (chapter 3
  compares it with ``-½ ln 2`` for ReLU under Xavier's init);
* :func:`saturated_fraction` — the share of values beyond a threshold (tanh saturation);
* :func:`histograms` — per-layer histograms on common bins (Glorot & Bengio's Figs. 6-7),
  drawn one small panel per layer by :func:`plot_layer_histograms`;
* :func:`dead_fraction` — the share of ReLU units that are zero on every example;
* :func:`update_ratio` — std(ΔW) / std(W) per layer, the update-to-data ratio of training;
* :func:`steps_to_target` — the first step at which a loss curve falls below a target;
* :func:`curvature` — the second derivative of a function along a direction.

:func:`layer_stats` collects them from an :class:`nnbook.MLP` after one forward and backward
pass; :func:`tf_layer_stats` computes the same numbers with TensorFlow's ``GradientTape``
(the chapter's TensorFlow twin; TensorFlow is imported only when it is called).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any, NamedTuple

import numpy as np

from . import _checks

__all__ = [
    "LayerStats",
    "curvature",
    "dead_fraction",
    "histograms",
    "layer_stats",
    "log_slope",
    "plot_layer_histograms",
    "rms",
    "saturated_fraction",
    "stds",
    "steps_to_target",
    "tf_layer_stats",
    "update_ratio",
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
    ``-½ ln 2 ≈ -0.347`` (chapter 3, eq-ws-he). Needs at least two positive values.
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


def dead_fraction(arrays: Sequence[np.ndarray]) -> np.ndarray:
    """Share of units (last axis) that are exactly 0 on every example (all other axes).

    For ReLU activations ``(N, units)`` these are the "dead" units of a mini-batch: no
    example switches them on, so no gradient reaches their incoming weights (chapter 3).
    """
    out = []
    for a in _arrays(arrays, "arrays"):
        flat = a.reshape(-1, a.shape[-1]) if a.ndim > 1 else a.reshape(-1, 1)
        out.append(float(np.mean(np.all(flat == 0, axis=0))))
    return np.array(out)


def update_ratio(before: Sequence[np.ndarray], after: Sequence[np.ndarray]) -> np.ndarray:
    """std(after − before) / std(before) per layer: how much one update changed each W.

    The update-to-data ratio (chapter 3): around 1e-3 per step is a healthy rate for SGD, far
    below means the layer hardly learns, far above that it is being rewritten every step.
    A layer whose ``before`` has zero spread gets ``inf`` (or 0 if it did not change).
    """
    b, a = _arrays(before, "before"), _arrays(after, "after")
    if len(a) != len(b):
        raise ValueError(f"before and after must have as many layers, got {len(b)}, {len(a)}")
    out = []
    for i, (x, y) in enumerate(zip(b, a, strict=True)):
        if x.shape != y.shape:
            raise ValueError(f"after[{i}] has shape {y.shape}, before[{i}] {x.shape}")
        num = float(np.std(y.astype(np.float64) - x))
        den = float(np.std(x, dtype=np.float64))
        out.append(num / den if den > 0 else (0.0 if num == 0 else math.inf))
    return np.array(out)


def steps_to_target(losses: Any, target: float) -> np.ndarray:
    """Index of the first entry below ``target`` along the last axis, or -1 (never reached).

    ``losses`` is one curve ``(T,)`` or many ``(..., T)``; NaN counts as not reached.
    """
    arr = _checks.float_array(losses, "losses", finite=False)
    target = _checks.real(target, "target")
    below = np.nan_to_num(arr, nan=np.inf) < target
    first = np.argmax(below, axis=-1)
    return np.where(below.any(axis=-1), first, -1).astype(np.int64)


def curvature(f: Any, x: np.ndarray, direction: np.ndarray, h: float = 1e-3) -> float:
    """Second derivative of ``f`` at ``x`` along the unit vector of ``direction``.

    The centred difference (f(x + h u) − 2 f(x) + f(x − h u)) / h² with u = direction/|direction|
    (chapter 2's saddle, chapter 3's origin of a deep linear net). Negative: f curves down.
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {type(f).__name__}")
    x = _checks.float_array(x, "x")
    d = _checks.float_array(direction, "direction")
    if d.shape != x.shape:
        raise ValueError(f"direction must have the shape of x {x.shape}, got {d.shape}")
    norm = float(np.linalg.norm(d))
    if norm == 0:
        raise ValueError("direction must not be zero")
    h = _checks.positive(h, "h")
    u = d / norm
    return (float(f(x + h * u)) - 2.0 * float(f(x)) + float(f(x - h * u))) / h**2


def plot_layer_histograms(
    axes_row: Sequence[Any],
    arrays: Sequence[np.ndarray],
    limit: float,
    label: str,
    bins: int = 60,
    color: str = "C0",
) -> np.ndarray:
    """Draw one small histogram per layer into ``axes_row`` (matplotlib axes), return them.

    The histograms are :func:`histograms` on common bins over ``[-limit, limit]``; the
    returned ``fractions[l, k]`` are the numbers behind the picture (chapter 3's figures).
    """
    fractions, edges = histograms(arrays, bins=bins, limit=limit)
    if len(axes_row) != fractions.shape[0]:
        raise ValueError(f"need one axis per layer ({fractions.shape[0]}), got {len(axes_row)}")
    centres = (edges[:-1] + edges[1:]) / 2
    for j, ax in enumerate(axes_row):
        ax.fill_between(centres, fractions[j], step="mid", color=color, alpha=0.7)
        ax.set_yticks([])
        ax.set_xticks([-limit, 0, limit])
        ax.grid(False)
        if j == 0:
            ax.set_ylabel(label)
    return fractions


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
