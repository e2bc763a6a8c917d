"""Numerical gradient checks (chapter 1, eq-bp-central, eq-bp-relerr, eq-bp-error-model).

Central differences approximate ∂f/∂x_i by (f(x + h e_i) − f(x − h e_i)) / 2h with error
O(h²) from truncation plus O(ε/h) from round-off, so h ≈ ε^(1/3) balances the two
(about 6e-6 in float64; chapter 1, eq-bp-error-model).

The module holds the practice of a gradient check as chapter 1 teaches it (after CS231n):

- :func:`numerical_gradient`, :func:`numerical_grads` and :func:`check_gradients` (dropout
  frozen while the loss is differenced);
- two relative errors: :func:`relative_error` (norm-wise, one number per array) and
  :func:`elementwise_relative_error` (one number per entry, the one that finds a single
  wrong entry);
- the step sweep of eq-bp-error-model: :func:`cast_model`, :func:`h_sweep`,
  :func:`loss_differences` and the log–log slope fit :func:`loglog_slope`;
- the kink detector :func:`kink_crossings` with :func:`relu_gates`: which side of every
  max(z, 0) wins in J(θ + h e_i) and in J(θ − h e_i);
- the one-step descent check :func:`descent_ratio`, J(θ − ηg) ≈ J(θ) − η‖g‖².
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import _checks

__all__ = [
    "cast_model",
    "check_gradients",
    "descent_ratio",
    "elementwise_relative_error",
    "flatten",
    "h_sweep",
    "kink_crossings",
    "loglog_slope",
    "loss_differences",
    "numerical_gradient",
    "numerical_grads",
    "relative_error",
    "relu_gates",
]


def _scalar(value: Any, what: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError) as err:
        raise TypeError(f"{what} must return a real scalar, got {value!r}") from err
    if not np.isfinite(out):
        raise ValueError(f"{what} returned a non-finite value {out}")
    return out


def _both_sides(fn: Callable[[np.ndarray], Any], x: np.ndarray, i: tuple[int, ...], h: float):
    """``fn`` at x + h e_i and at x − h e_i; ``x`` is perturbed in place and restored."""
    old = x[i]
    try:
        x[i] = old + h
        plus = fn(x)
        x[i] = old - h
        minus = fn(x)
    finally:
        x[i] = old
    return plus, minus


def _check_perturbable(f: Any, x: Any, h: float, name: str = "f") -> float:
    if not callable(f):
        raise TypeError(f"{name} must be callable, got {f!r}")
    if not isinstance(x, np.ndarray) or x.dtype not in _checks.FLOAT_DTYPES:
        raise TypeError(f"x must be a floating-point numpy array, got {type(x).__name__}")
    return _checks.positive(h, "h")


def numerical_gradient(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5, order: int = 2
) -> np.ndarray:
    """Central-difference gradient of the scalar function ``f`` at ``x`` (chapter 1, eq-bp-central).

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
        f_plus, f_minus = _both_sides(lambda z: _scalar(f(z), "f"), x, i, step)
        return f_plus - f_minus

    grad = np.zeros_like(x)
    for i in np.ndindex(x.shape):  # works for any memory layout; x is modified in place
        if order == 2:
            grad[i] = diff(i, h) / (2.0 * h)
        else:
            grad[i] = (8.0 * diff(i, h) - diff(i, 2.0 * h)) / (12.0 * h)
    return grad


def relative_error(a: np.ndarray, b: np.ndarray) -> float:
    """‖a − b‖ / max(‖a‖, ‖b‖), and 0.0 when both are zero (chapter 1, eq-bp-relerr).

    A norm-wise error, one number per array: one tiny entry that differs in its last digits
    does not dominate it, but neither does one entry that is plainly wrong, if it is small
    next to the others (chapter 1 shows both). :func:`elementwise_relative_error` is the
    per-entry form that CS231n's thresholds refer to.
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
    """Compare ``model``'s backprop gradients with central differences (chapter 1).

    The norm-wise relative error (eq-bp-relerr) of backprop against eq-bp-central, per
    parameter array.

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


# --------------------------------------------------------------------------- per-entry errors
def elementwise_relative_error(a: np.ndarray, b: np.ndarray, floor: float = 0.0) -> np.ndarray:
    """|a_i − b_i| / max(|a_i|, |b_i|, floor) for every entry (chapter 1, eq-bp-relerr-entry).

    The error CS231n's rule of thumb refers to (about 1e-7 or less: right; above 1e-2:
    wrong). Unlike the norm-wise :func:`relative_error` it finds one wrong entry among many
    right ones, but an entry that is zero up to round-off (both values tiny) gets a large
    error from noise alone; ``floor`` (e.g. 1e-8 × the array's largest entry) caps that.
    Entries where both values are 0 (and ``floor`` is 0) get 0. Returns float64.
    """
    a = _checks.float_array(a, "a", allow_empty=True)
    b = _checks.float_array(b, "b", allow_empty=True)
    if a.shape != b.shape:
        raise ValueError(f"a and b must have the same shape, got {a.shape} and {b.shape}")
    floor = _checks.nonnegative(floor, "floor")
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    denom = np.maximum(np.maximum(np.abs(a64), np.abs(b64)), floor)
    diff = np.abs(a64 - b64)
    out = np.zeros_like(diff)
    np.divide(diff, denom, out=out, where=denom > 0)
    return out


def flatten(grads: dict[str, np.ndarray], names: list[str] | None = None) -> np.ndarray:
    """Concatenate the arrays of ``grads`` (in ``names`` order, default the dict's) into one
    fresh 1-d float64 vector θ (chapter 1: the h-sweep compares all parameters at once)."""
    if not isinstance(grads, dict) or not grads:
        raise TypeError(f"grads must be a non-empty dict of arrays, got {grads!r}")
    keys = list(grads) if names is None else list(names)
    missing = [k for k in keys if k not in grads]
    if missing:
        raise ValueError(f"names {missing} are not in grads (which has {list(grads)})")
    return np.concatenate([np.asarray(grads[k], dtype=np.float64).ravel() for k in keys])


# --------------------------------------------------------------------------- model-level helpers
def _need(model: Any, *attrs: str) -> None:
    for attr in attrs:
        if not hasattr(model, attr):
            raise TypeError(
                f"model must have {attr!r} (an nnbook.MLP does), got {type(model).__name__}"
            )


def numerical_grads(
    model: Any, X: np.ndarray, y: np.ndarray, h: float = 1e-5, order: int = 2
) -> dict[str, np.ndarray]:
    """eq-bp-central for every parameter array of ``model``, keyed like its ``params``.

    The loss is ``model.loss(X, y, train=True)``; dropout masks are frozen while the loss is
    differenced (a fresh mask per evaluation would make the difference noise; chapter 1).
    Each array is a fresh copy that no later call changes.
    """
    _need(model, "params", "loss")
    h = _checks.positive(h, "h")
    freeze = getattr(model, "freeze_dropout", None)
    if freeze is not None:
        model.forward(X, train=True)  # a mask to freeze
        freeze()
    try:

        def loss(_p: np.ndarray) -> float:
            return model.loss(X, y, train=True)

        return {k: numerical_gradient(loss, p, h, order).copy() for k, p in model.params.items()}
    finally:
        unfreeze = getattr(model, "unfreeze_dropout", None)
        if unfreeze is not None:
            unfreeze()


def cast_model(model: Any, dtype: Any) -> Any:
    """The same :class:`nnbook.MLP` (no dropout) with every parameter cast to ``dtype``.

    Used by chapter 1's step sweep to run eq-bp-central in float32 on float64's network.
    """
    _need(model, "params", "activation", "output_activation", "loss_name")
    from .mlp import MLP  # local: gradcheck does not otherwise depend on the model

    dt = _checks.float_dtype(dtype)
    if getattr(model, "keep_prob", None) is not None:
        raise ValueError("cast_model copies networks without dropout only")
    n = sum(1 for k in model.params if k.startswith("W"))
    return MLP.from_arrays(
        [model.params[f"W{i}"].astype(dt) for i in range(1, n + 1)],
        [model.params[f"b{i}"].astype(dt) for i in range(1, n + 1)],
        model.activation,
        output_activation=model.output_activation,
        loss=model.loss_name,
    )


def h_sweep(
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    hs: np.ndarray,
    reference: dict[str, np.ndarray],
    dtype: Any = np.float64,
    order: int = 2,
) -> np.ndarray:
    """Norm-wise relative error (eq-bp-relerr) of eq-bp-central against ``reference`` for
    every step in ``hs``, over all parameters at once (chapter 1, eq-bp-error-model).

    The network, ``X`` and ``y`` are cast to ``dtype`` (float32: the same net in single
    precision); ``reference`` (usually float64 backprop) is not, so the curve is the error
    of the finite difference alone.
    """
    hs = _checks.float_array(hs, "hs", ndim=1)
    if np.any(hs <= 0):
        raise ValueError(f"hs must be positive, got min {hs.min()}")
    dt = _checks.float_dtype(dtype)
    m = cast_model(model, dt)
    Xd = np.asarray(X).astype(dt)
    yd = np.asarray(y).astype(dt) if np.asarray(y).dtype.kind == "f" else np.asarray(y)
    names = list(model.params)
    ref = flatten(reference, names)
    return np.array(
        [
            relative_error(ref, flatten(numerical_grads(m, Xd, yd, float(h), order), names))
            for h in hs
        ]
    )


def loss_differences(f: Callable[[np.ndarray], float], x: np.ndarray, h: float) -> np.ndarray:
    """The raw differences f(x + h e_i) − f(x − h e_i), one per entry of ``x`` (chapter 1).

    eq-bp-central divides them by 2h. In float32 with a tiny h many of them are exactly 0:
    |∂f/∂x_i| · 2h falls below one unit in the last place of f. ``x`` is perturbed in
    place and restored, as in :func:`numerical_gradient`; the result is float64.
    """
    h = _check_perturbable(f, x, h)
    out = np.zeros(x.shape, dtype=np.float64)
    for i in np.ndindex(x.shape):
        f_plus, f_minus = _both_sides(lambda z: _scalar(f(z), "f"), x, i, h)
        out[i] = f_plus - f_minus
    return out


def loglog_slope(x: np.ndarray, y: np.ndarray, lo: float, hi: float) -> float:
    """Least-squares slope of log10(y) against log10(x) over lo ≤ x ≤ hi (chapter 1).

    Fits eq-bp-error-model's two regimes (slope 2 for truncation, −1 for round-off) and the
    cost of a numerical gradient against P (slope 1). Needs at least two points in range.
    """
    x = _checks.float_array(x, "x", ndim=1)
    y = _checks.float_array(y, "y", ndim=1)
    if x.shape != y.shape:
        raise ValueError(f"x and y must have the same shape, got {x.shape} and {y.shape}")
    lo, hi = _checks.positive(lo, "lo"), _checks.positive(hi, "hi")
    sel = (x >= lo * (1 - 1e-9)) & (x <= hi * (1 + 1e-9))
    if sel.sum() < 2:
        raise ValueError(f"need at least two points with {lo} <= x <= {hi}, got {sel.sum()}")
    if np.any(x[sel] <= 0) or np.any(y[sel] <= 0):
        raise ValueError("x and y must be positive in the fitted range (logarithms)")
    return float(np.polyfit(np.log10(x[sel]), np.log10(y[sel]), 1)[0])


# --------------------------------------------------------------------------- kinks
def relu_gates(model: Any, X: np.ndarray) -> Callable[[np.ndarray], np.ndarray]:
    """A function returning, for ``model`` on ``X``, which side of every ReLU's max(z, 0)
    wins: the boolean array z > 0 of every ReLU pre-activation, concatenated (chapter 1).

    The pre-activations are recomputed from ``model.params`` by eq-bp-forward, so the
    function sees whatever parameter entry :func:`kink_crossings` has just perturbed. A
    network without ReLUs has no gates (an empty array). Dropout is not supported.
    """
    _need(model, "params", "activation", "output_activation")
    if getattr(model, "keep_prob", None) is not None:
        raise ValueError("relu_gates supports networks without dropout only")
    from . import activations

    X = _checks.float_array(X, "X", ndim=2)
    n = sum(1 for k in model.params if k.startswith("W"))
    acts = {
        "relu": activations.relu,
        "sigmoid": activations.sigmoid,
        "tanh": activations.tanh,
        "linear": activations.identity,
    }
    names = [model.activation] * (n - 1) + [model.output_activation]
    for name in set(names):
        if name not in acts:
            raise ValueError(f"unknown activation {name!r}")

    def gates(_theta: np.ndarray | None = None) -> np.ndarray:
        a, out = X, []
        for layer in range(1, n + 1):
            z = a @ model.params[f"W{layer}"] + model.params[f"b{layer}"]
            if names[layer - 1] == "relu":
                out.append((z > 0).ravel())
            a = acts[names[layer - 1]](z)
        return np.concatenate(out) if out else np.zeros(0, dtype=bool)

    return gates


def kink_crossings(
    gates: Callable[[np.ndarray], np.ndarray], x: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """For every entry i of ``x``: how many max() gates differ between x + h e_i and
    x − h e_i (chapter 1, the kink detector; CS231n's "kinks" advice).

    ``gates(x)`` returns a boolean array (which side of each max() wins, e.g.
    :func:`relu_gates`). A nonzero count means the central difference of entry i was taken
    across a kink, so its error says nothing about the backprop code. ``x`` is perturbed in
    place and restored. Returns an int array of ``x``'s shape.
    """
    h = _check_perturbable(gates, x, h, "gates")
    counts = np.zeros(x.shape, dtype=np.int64)
    for i in np.ndindex(x.shape):
        plus, minus = _both_sides(lambda z: np.array(gates(z), dtype=bool), x, i, h)
        if plus.shape != minus.shape:
            raise ValueError("gates must return arrays of one fixed shape")
        counts[i] = int(np.count_nonzero(plus != minus))
    return counts


# --------------------------------------------------------------------------- one step of descent
def descent_ratio(
    model: Any,
    X: np.ndarray,
    y: np.ndarray,
    grads: dict[str, np.ndarray],
    etas: np.ndarray,
) -> np.ndarray:
    """(J(θ) − J(θ − ηg)) / (η‖g‖²) for every step η in ``etas`` (chapter 1, eq-bp-descent).

    A first-order Taylor expansion predicts J(θ − ηg) = J(θ) − η ∇J·g + O(η²); with the
    true gradient g = ∇J the ratio tends to 1 as η → 0, with an error ∝ η. A wrong g gives
    ∇J·g / ‖g‖² instead. The loss is ``model.loss(X, y, train=False)``; the parameters are
    restored afterwards.
    """
    _need(model, "params", "loss")
    etas = _checks.float_array(etas, "etas", ndim=1)
    if np.any(etas <= 0):
        raise ValueError(f"etas must be positive, got min {etas.min()}")
    if set(grads) != set(model.params):
        raise ValueError(f"grads must have the keys {list(model.params)}, got {list(grads)}")
    g2 = sum(float(np.sum(np.asarray(g, dtype=np.float64) ** 2)) for g in grads.values())
    if g2 == 0.0:
        raise ValueError("grads are all zero: the ratio is undefined")
    saved = {k: p.copy() for k, p in model.params.items()}
    J0 = model.loss(X, y, train=False)
    out = []
    try:
        for eta in etas:
            for k, p in model.params.items():
                p[...] = saved[k] - float(eta) * grads[k]
            out.append((J0 - model.loss(X, y, train=False)) / (float(eta) * g2))
    finally:
        for k, p in model.params.items():
            p[...] = saved[k]
    return np.array(out)
