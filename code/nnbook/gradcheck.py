"""Numerical gradient checks (chapter 1, eqs. (1.14)-(1.16)).

Central differences approximate ∂f/∂x_i by (f(x + h e_i) − f(x − h e_i)) / 2h with error
O(h²) from truncation plus O(ε/h) from round-off, so h ≈ ε^(1/3) balances the two
(about 6e-6 in float64).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import _checks

__all__ = ["check_gradients", "numerical_gradient", "relative_error"]


def _scalar(value: Any, what: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{what} must return a real scalar, got {value!r}") from err
    if not np.isfinite(out):
        raise ValueError(f"{what} returned a non-finite value {out}")
    return out


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5, order: int = 2
) -> np.ndarray:
    """Central-difference gradient of the scalar function ``f`` at ``x`` (eq. (1.14)).

    ``x`` is perturbed *in place*, one entry at a time, and restored, so ``x`` may be a
    parameter array that ``f`` reads through a model (``f`` is then called with ``x`` but
    may ignore its argument). Returns an array of ``x``'s shape and dtype.

    ``order=2`` is the two-point formula (f(x+h) − f(x−h)) / 2h, truncation error O(h²);
    ``order=4`` the five-point stencil (8[f(x+h) − f(x−h)] − [f(x+2h) − f(x−2h)]) / 12h,
    truncation error O(h⁴), which lets a larger h cut round-off (chapter 1, exercise).
    """
    if not callable(f):
        raise TypeError(f"f must be callable, got {f!r}")
    if not isinstance(x, np.ndarray):
        raise TypeError(
            f"x must be a numpy array (it is perturbed in place), got {type(x).__name__}"
        )
    if x.dtype not in _checks.FLOAT_DTYPES:
        raise TypeError(f"x must hold floating-point numbers, got dtype {x.dtype}")
    _checks.float_array(x, "x", allow_empty=True)  # refuses NaN and inf
    h = _checks.positive(h, "h")
    if order not in (2, 4):
        raise ValueError(f"order must be 2 or 4, got {order!r}")

    def diff(i: tuple[int, ...], step: float) -> float:
        old = x[i]
        x[i] = old + step
        f_plus = _scalar(f(x), "f")
        x[i] = old - step
        f_minus = _scalar(f(x), "f")
        x[i] = old
        return f_plus - f_minus

    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):  # works for any memory layout; x is modified in place
        if order == 2:
            grad[i] = diff(i, h) / (2.0 * h)
        else:
            grad[i] = (8.0 * diff(i, h) - diff(i, 2.0 * h)) / (12.0 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """‖a − b‖ / max(‖a‖, ‖b‖), and 0.0 when both are zero (eq. (1.15)).

    A norm-wise error: one tiny entry that differs in its last digits does not dominate,
    as it can in the entrywise max of |a_i − b_i| / max(|a_i|, |b_i|).
    """
    a = _checks.float_array(a, "a", allow_empty=True)
    b = _checks.float_array(b, "b", allow_empty=True)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    denom = max(float(np.linalg.norm(a64)), float(np.linalg.norm(b64)))
    if denom == 0.0:
        return 0.0
    return float(np.linalg.norm(a64 - b64) / denom)


def check_gradients(
    model: Any, X: np.ndarray, y: np.ndarray, h: float = 1e-5, order: int = 2
) -> dict[str, float]:
    """Compare ``model``'s backprop gradients with central differences (eq. (1.16)).

    ``model`` needs ``params``, ``loss_and_grads(X, y)`` and ``loss(X, y, train=True)``
    (an :class:`nnbook.MLP` has them). Dropout masks are frozen for the duration of the check
    and unfrozen afterwards. ``h`` and ``order`` are passed to :func:`numerical_gradient`.
    Returns ``{parameter name: relative error}``.
    """
    for attr in ("params", "loss_and_grads", "loss"):
        if not hasattr(model, attr):
            raise TypeError(
                f"model must have {attr!r} (an nnbook.MLP does), got {type(model).__name__}"
            )
    h = _checks.positive(h, "h")
    X = _checks.float_array(X, "X")
    _, grads = model.loss_and_grads(X, y)
    analytic = {name: g.copy() for name, g in grads.items()}
    freeze = getattr(model, "freeze_dropout", None)
    if freeze is not None:
        freeze()
    try:
        errors = {}
        for name, param in model.params.items():
            numeric = numerical_gradient(lambda _p: model.loss(X, y, train=True), param, h, order)
            errors[name] = relative_error(analytic[name], numeric)
    finally:
        unfreeze = getattr(model, "unfreeze_dropout", None)
        if unfreeze is not None:
            unfreeze()
    return errors
