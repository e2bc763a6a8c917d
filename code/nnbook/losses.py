"""Losses, each returning ``(loss, dpred)`` (chapter 1, eq-bp-loss and eq-bp-softmax-ce).

Both average over the examples (rows) of a mini-batch, so ``dpred`` already carries the
factor 1/N and a mini-batch gradient is the mean of per-example gradients (chapter 5).
Non-finite or empty inputs raise ``ValueError`` naming the argument.
"""

from __future__ import annotations

import numpy as np

from . import _checks

__all__ = ["mse", "softmax", "softmax_cross_entropy"]


def softmax(logits: np.ndarray) -> np.ndarray:
    """Row-wise softmax, shifted by the row maximum so that exp never overflows."""
    logits = _checks.float_array(logits, "logits", ndim=2)
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def softmax_cross_entropy(logits: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean cross-entropy of softmax(logits) against integer labels ``y`` (eq-bp-softmax-ce).

    J = -(1/N) Σ_n log softmax(logits_n)[y_n];  ∂J/∂logits = (softmax(logits) − onehot(y)) / N,
    chapter 1's δ^(L) for this loss. Shapes: logits (N, K), y (N,), ∂J/∂logits (N, K).
    """
    logits = _checks.float_array(logits, "logits", ndim=2)
    n, k = logits.shape
    y = _checks.labels(y, "y", n, k)
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_norm = np.log(np.exp(shifted).sum(axis=1))
    rows = np.arange(n)
    loss = float(np.mean(log_norm - shifted[rows, y]))
    p = np.exp(shifted - log_norm[:, None])  # softmax(logits), rows summing to 1
    p[rows, y] -= 1  # − onehot(y)
    return loss, p / n


def mse(pred: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray]:
    """Half squared error averaged over examples: J = (1/N) Σ_n ½‖pred_n − target_n‖² (eq-bp-loss).

    For one example this is chapter 1's J(W, b; x, y) = ½‖h − y‖²; ∂J/∂pred = (pred − target)/N.
    """
    pred = _checks.float_array(pred, "pred")
    target = _checks.float_array(target, "target")
    if target.shape != pred.shape:
        if pred.ndim == 2 and pred.shape[1] == 1 and target.shape == (pred.shape[0],):
            target = target[:, None]
        else:
            raise ValueError(f"target must have pred's shape {pred.shape}, got {target.shape}")
    n = pred.shape[0] if pred.ndim else 1
    diff = pred - target.astype(pred.dtype, copy=False)
    loss = float(0.5 * np.sum(diff * diff) / n)
    return loss, diff / n
