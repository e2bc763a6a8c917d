"""Dropout as an ensemble: the subnetworks, their means, and how good a prediction is (chapter 5).

A dropout network with s droppable units is an ensemble of 2^s *subnetworks* (one per mask
m), sharing weights; mask m has probability π(m) = Π_j p^{m_j} (1 − p)^{1 − m_j}. Two ways
to combine the subnetworks' class probabilities P_m(y | x):

* the arithmetic mean Σ_m π(m) P_m(y | x), which Monte-Carlo dropout estimates
  (chapter 5, eq-do-mc);
* the normalised weighted geometric mean (chapter 5, eq-do-geo)

      G(y | x) = Π_m P_m(y | x)^{π(m)} / Σ_{y'} Π_m P_m(y' | x)^{π(m)}.

Because log P_m(y) = z_m(y) − log Σ_{y'} exp z_m(y'), the second factor does not depend on
y and G = softmax(Σ_m π(m) z_m): the softmax of the mean logits. With one dropout layer
feeding a linear output layer, the mean logits are the logits of the test-mode network
(chapter 5, eq-do-expect), so the weight-scaling rule computes G *exactly*; with two or more
dropout layers (or a nonlinearity after the masked layer) it is an approximation.

:func:`enumerate_subnetworks` lists every subnetwork of a small :class:`nnbook.MLP`, so
both means can be computed exactly and compared. The scores at the end rate a predictive
distribution: :func:`nll` (mean negative log-likelihood), :func:`ece` (expected calibration
error), :func:`predictive_entropy` and :func:`mutual_information` (the part of the entropy
that comes from disagreement between masks, Monte-Carlo dropout's uncertainty estimate).
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from . import _checks

__all__ = [
    "all_masks",
    "arithmetic_mean",
    "calibration_bins",
    "ece",
    "enumerate_subnetworks",
    "geometric_mean",
    "mask_probabilities",
    "mutual_information",
    "nll",
    "predictive_entropy",
]

#: The most subnetworks :func:`enumerate_subnetworks` will list (2^16 masks).
MAX_SUBNETWORKS = 2**16


def all_masks(n_units: int) -> np.ndarray:
    """Every keep/drop pattern of ``n_units`` units, shape ``(2**n_units, n_units)``, bool."""
    n_units = _checks.positive_int(n_units, "n_units")
    if 2**n_units > MAX_SUBNETWORKS:
        raise ValueError(f"n_units must be at most 16 (2^16 masks), got {n_units}")
    return np.array(list(itertools.product([False, True], repeat=n_units)), dtype=bool)


def mask_probabilities(masks: np.ndarray, keep_prob: float) -> np.ndarray:
    """π(m) = p^k (1 − p)^(s − k) for each row m of ``masks`` with k kept of s units."""
    masks = _checks.bool_mask(masks)
    if masks.ndim != 2:
        raise ValueError(f"masks must be 2-dimensional (K, s), got shape {masks.shape}")
    p = _checks.probability(keep_prob, "keep_prob")
    k = masks.sum(axis=1)
    return p**k * (1.0 - p) ** (masks.shape[1] - k)


def enumerate_subnetworks(model: Any, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Outputs of every subnetwork of a dropout :class:`nnbook.MLP` on ``X``, and their weights.

    Returns ``(outputs, pi)``: ``outputs[k]`` is the training-mode output (logits) with the
    k-th combination of masks, the same mask for every row of ``X``; ``pi[k]`` its
    probability. The combinations run over all masks of all dropout layers (at most
    2^16 in total). The model's dropout layers are unfrozen afterwards.
    """
    if not hasattr(model, "dropouts") or not hasattr(model, "forward"):
        raise TypeError(f"model must be an nnbook.MLP, got {type(model).__name__}")
    if not model.dropouts:
        raise ValueError("model has no dropout layers (keep_prob is None): one subnetwork")
    X = _checks.float_array(X, "X", ndim=2)
    widths = [model.layer_sizes[i + 1] for i in range(len(model.dropouts))]
    if 2 ** sum(widths) > MAX_SUBNETWORKS:
        raise ValueError(
            f"the dropout layers have {sum(widths)} units: 2^{sum(widths)} subnetworks is "
            "more than 2^16"
        )
    per_layer = [all_masks(w) for w in widths]
    probs = [mask_probabilities(m, model.keep_prob) for m in per_layer]
    outputs, pi = [], []
    try:
        for combo in itertools.product(*[range(len(m)) for m in per_layer]):
            for d, masks, i in zip(model.dropouts, per_layer, combo, strict=True):
                d.freeze(np.broadcast_to(masks[i], (X.shape[0], masks.shape[1])).copy())
            outputs.append(np.array(model.forward(X, train=True)))
            pi.append(np.prod([p[i] for p, i in zip(probs, combo, strict=True)]))
    finally:
        model.unfreeze_dropout()
    return np.stack(outputs), np.array(pi)


def _proba_stack(proba: Any, name: str = "proba") -> np.ndarray:
    P = _checks.float_array(proba, name)
    if P.ndim < 2:
        raise ValueError(f"{name} must have a leading member axis and a class axis, got {P.shape}")
    if np.any(P < 0) or not np.allclose(P.sum(axis=-1), 1.0, rtol=0, atol=1e-6):
        raise ValueError(f"{name} must hold probabilities that sum to 1 over the last axis")
    return P


def _weights(weights: Any, k: int) -> np.ndarray:
    if weights is None:
        return np.full(k, 1.0 / k)
    w = _checks.float_array(weights, "weights", ndim=1)
    if w.shape != (k,) or np.any(w < 0) or not np.isclose(w.sum(), 1.0, rtol=0, atol=1e-9):
        raise ValueError(f"weights must be {k} non-negative numbers summing to 1")
    return w


def arithmetic_mean(proba: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Σ_k w_k P_k over the leading axis (uniform weights by default)."""
    P = _proba_stack(proba)
    w = _weights(weights, P.shape[0])
    return np.tensordot(w, P, axes=1)


def geometric_mean(proba: np.ndarray, weights: np.ndarray | None = None) -> np.ndarray:
    """Normalised weighted geometric mean Π_k P_k^{w_k} / Σ_y Π_k P_k^{w_k} (eq-do-geo).

    Computed from logarithms, over the leading axis (uniform weights by default); a
    probability of exactly 0 in any member gives that class probability 0.
    """
    P = _proba_stack(proba)
    w = _weights(weights, P.shape[0])
    with np.errstate(divide="ignore"):
        logs = np.log(P)
    s = np.tensordot(w, np.where(w.reshape((-1,) + (1,) * (P.ndim - 1)) > 0, logs, 0.0), axes=1)
    s = s - s.max(axis=-1, keepdims=True)
    e = np.exp(s)
    return e / e.sum(axis=-1, keepdims=True)


def _proba_labels(proba: Any, y: Any) -> tuple[np.ndarray, np.ndarray]:
    P = _checks.float_array(proba, "proba", ndim=2)
    if np.any(P < 0) or not np.allclose(P.sum(axis=1), 1.0, rtol=0, atol=1e-6):
        raise ValueError("proba must hold probabilities (N, C) that sum to 1 per row")
    return P, _checks.labels(y, "y", P.shape[0], P.shape[1])


def nll(proba: np.ndarray, y: np.ndarray) -> float:
    """Mean negative log-likelihood −(1/N) Σ_n log P(y_n | x_n) (the test cross-entropy)."""
    P, y = _proba_labels(proba, y)
    picked = P[np.arange(len(y)), y]
    return float(-np.mean(np.log(np.maximum(picked, np.finfo(np.float64).tiny))))


def calibration_bins(
    proba: np.ndarray, y: np.ndarray, n_bins: int = 10
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Reliability table: mean confidence, accuracy and count per confidence bin.

    The confidence of a prediction is its largest class probability; bins split [0, 1]
    into ``n_bins`` equal intervals (right-closed). Empty bins report NaN.
    """
    P, y = _proba_labels(proba, y)
    n_bins = _checks.positive_int(n_bins, "n_bins")
    conf = P.max(axis=1)
    correct = P.argmax(axis=1) == y
    which = np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)
    count = np.bincount(which, minlength=n_bins)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_conf = np.bincount(which, conf, n_bins) / count
        acc = np.bincount(which, correct.astype(float), n_bins) / count
    return mean_conf, acc, count


def ece(proba: np.ndarray, y: np.ndarray, n_bins: int = 10) -> float:
    """Expected calibration error Σ_b (n_b / N) |accuracy_b − confidence_b| (Guo et al. 2017)."""
    conf, acc, count = calibration_bins(proba, y, n_bins)
    used = count > 0
    return float(np.sum(count[used] * np.abs(acc[used] - conf[used])) / count.sum())


def predictive_entropy(proba: np.ndarray) -> np.ndarray:
    """H[P] = −Σ_y P(y) log P(y) over the last axis (0 log 0 = 0)."""
    P = _checks.float_array(proba, "proba")
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(P > 0, P * np.log(P), 0.0)
    return -terms.sum(axis=-1)


def mutual_information(samples: np.ndarray) -> np.ndarray:
    """H[mean_k P_k] − mean_k H[P_k] for sampled probabilities ``(k, ..., C)``: ≥ 0.

    Zero when every sampled subnetwork predicts the same distribution; large when they
    disagree. Monte-Carlo dropout's estimate of the model's own uncertainty (Gal and
    Ghahramani 2016), which a single weight-scaled pass cannot give.
    """
    P = _proba_stack(samples, "samples")
    return predictive_entropy(P.mean(axis=0)) - predictive_entropy(P).mean(axis=0)
