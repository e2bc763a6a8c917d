"""Mini-batch SGD with momentum (chapter 5, eq-do-batch).

Update for every parameter θ with gradient g (the mini-batch mean of per-example gradients):
v ← μ v − η g,  θ ← θ + v  (μ = ``momentum``, η = ``lr``; μ = 0 is plain SGD).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from . import _checks

__all__ = ["DivergenceError", "History", "sgd", "sgd_update"]


class DivergenceError(FloatingPointError):
    """Training produced a non-finite loss; the message names the epoch and step."""


@dataclass
class History:
    """Per-epoch records of a training run (mean mini-batch loss; accuracies in test mode)."""

    loss: list[float] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    steps: int = 0


def sgd_update(
    params: dict[str, np.ndarray],
    grads: dict[str, np.ndarray],
    lr: float,
    velocity: dict[str, np.ndarray] | None = None,
    momentum: float = 0.0,
) -> None:
    """Apply one (momentum) SGD step to ``params`` in place (chapter 5, eq-do-batch).

    θ ← θ − η g, or with momentum μ: v ← μ v − η g, θ ← θ + v. η is taken in each
    parameter's dtype, so a float32 network is updated in float32. ``grads`` is not changed.
    """
    lr = _checks.nonnegative(lr, "lr")
    momentum = _checks.nonnegative(momentum, "momentum")
    if momentum >= 1.0:
        raise ValueError(f"momentum must be below 1, got {momentum}")
    for name, p in params.items():
        step = p.dtype.type(lr) * np.asarray(grads[name])  # η g
        if momentum == 0.0 or velocity is None:
            p -= step
        else:
            v = velocity[name]
            v *= momentum
            v -= step
            p += v


def _is_interactive() -> bool:
    return bool(getattr(sys.stderr, "isatty", lambda: False)())


def sgd(
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    epochs: int,
    lr: float,
    batch_size: int,
    rng: np.random.Generator,
    momentum: float = 0.0,
    X_val: np.ndarray | None = None,
    y_val: np.ndarray | None = None,
    *,
    callback: Callable[[int, int, Any], None] | None = None,
    progress: bool | None = None,
) -> History:
    """Train ``model`` by mini-batch SGD, shuffling with ``rng`` every epoch.

    ``model`` needs ``params``, ``loss_and_grads(X, y)`` and, for the accuracies,
    ``accuracy(X, y)`` (an :class:`nnbook.MLP` has them; accuracy is recorded only for
    classification models). ``callback(epoch, step, model)`` runs after every update.
    A progress line is written to stderr only when it is a terminal (``progress=None``),
    never inside a notebook unless ``progress=True``. A non-finite loss stops training with
    :class:`DivergenceError` naming the epoch and step.
    """
    epochs = _checks.nonnegative_int(epochs, "epochs")
    lr = _checks.nonnegative(lr, "lr")
    batch_size = _checks.positive_int(batch_size, "batch_size")
    rng = _checks.rng(rng)
    momentum = _checks.nonnegative(momentum, "momentum")
    if momentum >= 1.0:
        raise ValueError(f"momentum must be below 1, got {momentum}")
    X = _checks.float_array(X, "X", ndim=2)
    y = np.asarray(y)
    if y.shape[0] != X.shape[0]:
        raise ValueError(f"y has {y.shape[0]} rows but X has {X.shape[0]} examples")
    if (X_val is None) != (y_val is None):
        raise ValueError("X_val and y_val must be given together")
    show = _is_interactive() if progress is None else bool(progress)
    classify = getattr(model, "loss_name", "softmax_cross_entropy") == "softmax_cross_entropy"
    velocity = {k: np.zeros_like(p) for k, p in model.params.items()} if momentum else None
    history = History()
    n = X.shape[0]
    n_batches = -(-n // batch_size)
    for epoch in range(1, epochs + 1):
        order = rng.permutation(n)
        total = 0.0
        for step in range(1, n_batches + 1):
            idx = order[(step - 1) * batch_size : step * batch_size]
            # Overflow is reported here, with the epoch and step, not as a NumPy warning.
            try:
                with np.errstate(over="ignore", invalid="ignore"):
                    loss, grads = model.loss_and_grads(X[idx], y[idx])
            except FloatingPointError as err:
                raise DivergenceError(
                    f"training diverged at epoch {epoch}, step {step} (lr={lr}, "
                    f"momentum={momentum}): {err}"
                ) from err
            if not np.isfinite(loss):
                raise DivergenceError(
                    f"training diverged: the loss became {loss} at epoch {epoch}, step {step} "
                    f"(lr={lr}, momentum={momentum}); lower lr or check the initialization"
                )
            sgd_update(model.params, grads, lr, velocity, momentum)
            history.steps += 1
            total += loss * len(idx)
            if callback is not None:
                callback(epoch, step, model)
        history.loss.append(total / n)
        if classify:
            history.accuracy.append(model.accuracy(X, y))
        if X_val is not None:
            history.val_loss.append(model.loss(X_val, y_val, train=False))
            if classify:
                history.val_accuracy.append(model.accuracy(X_val, y_val))
        if show:
            print(
                f"\repoch {epoch}/{epochs}  loss {history.loss[-1]:.4f}",
                end="" if epoch < epochs else "\n",
                file=sys.stderr,
                flush=True,
            )
    return history
