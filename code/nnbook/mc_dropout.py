"""Monte-Carlo dropout inference (chapter 5, eq-do-mc).

At test time a dropout network is usually run once with dropout off, which with inverted
dropout is the dropout paper's *weight-scaling* rule. The alternative the paper compares it
with (Srivastava et al., 2014, Fig. 11) samples k thinned networks, i.e. k training-mode forward
passes with fresh masks, and averages their predictions:

p̂_k(y | x) = (1/k) Σ_{s=1..k} softmax(f(x; m_s))        (``average="proba"``)

or, with ``average="logits"``, softmax((1/k) Σ_s f(x; m_s)). Averaging probabilities
estimates the arithmetic mean of the subnetworks' predictions; averaging logits estimates
their normalised geometric mean (chapter 5, eq-do-geo; :mod:`nnbook.ensembles`), which the
weight-scaling rule computes exactly when one dropout layer feeds a linear output layer.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _checks
from .losses import softmax

__all__ = ["mc_predict_proba", "sample_outputs"]


def _check_model(model: Any) -> None:
    if not hasattr(model, "forward") or not hasattr(model, "dropouts"):
        raise TypeError(f"model must be an nnbook.MLP, got {type(model).__name__}")
    if not model.dropouts:
        raise ValueError("model has no dropout layers (keep_prob is None): nothing to sample")
    if any(d.frozen for d in model.dropouts):
        raise ValueError("model's dropout masks are frozen: call model.unfreeze_dropout() first")


def sample_outputs(model: Any, X: np.ndarray, k: int) -> np.ndarray:
    """Outputs of ``k`` training-mode forward passes, each with fresh masks: shape (k, N, C).

    The masks come from the model's own generator (``model.rng``), so a model built with
    ``np.random.default_rng(seed)`` gives the same samples on every run.
    """
    _check_model(model)
    k = _checks.positive_int(k, "k")
    X = _checks.float_array(X, "X", ndim=2)
    first = model.forward(X, train=True)
    out = np.empty((k, *first.shape), dtype=first.dtype)
    out[0] = first
    for s in range(1, k):
        out[s] = model.forward(X, train=True)
    return out


def mc_predict_proba(model: Any, X: np.ndarray, k: int, average: str = "proba") -> np.ndarray:
    """Class probabilities averaged over ``k`` sampled dropout masks (eq-do-mc), shape (N, C).

    ``average="proba"`` averages the softmax probabilities of the k passes; ``"logits"``
    takes the softmax of the averaged logits. The model's outputs must be logits (the
    default ``output_activation="linear"``).
    """
    if average not in ("proba", "logits"):
        raise ValueError(f"average must be 'proba' or 'logits', got {average!r}")
    samples = sample_outputs(model, X, k)
    if average == "logits":
        return softmax(samples.mean(axis=0))
    return np.mean([softmax(s) for s in samples], axis=0)
