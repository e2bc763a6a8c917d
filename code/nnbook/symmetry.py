"""Measuring and keeping symmetry between hidden units (chapter 2; used again in chapter 5).

Hidden unit j of layer l is described by its incoming weight vector ``W[:, j]`` and bias
``b[j]``. Two units are interchangeable (the network is symmetric in them) when those are equal
*and* their outgoing weights ``W_next[j, :]`` are equal too; chapter 2 proves that gradient
descent keeps equal units equal.

In exact arithmetic that is the whole story. In floating point, equal columns stay
*bit-identical* only if every column is computed by the same sequence of roundings, and a BLAS
matrix product does not promise that: it may compute edge tiles of the result with other
kernels, in another summation order. :func:`ordered_matmul`, :class:`OrderedDense` and
:class:`OrderedMLP` compute every entry of a product the same way on every machine, so the
symmetry that the mathematics promises holds to the last bit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _checks
from . import init as _init
from .layers import Dense
from .mlp import MLP
from .train import History, sgd, sgd_update

__all__ = [
    "OrderedDense",
    "OrderedMLP",
    "TwinRun",
    "blas_kernel",
    "constant_init",
    "curvatures",
    "equal_column_spreads",
    "flat_params",
    "format_ranges",
    "noise_spread_trace",
    "ordered_matmul",
    "rounding_bound",
    "spread_trace",
    "swap_directions",
    "train_with_twin",
    "unit_params",
    "unit_spread",
    "width_one",
    "width_one_learning_rates",
    "with_flat_params",
    "with_private_inputs",
]


def unit_spread(W: np.ndarray, b: np.ndarray | None = None) -> float:
    """Largest difference between any two units' incoming weights (and biases, if given).

    Returns max over inputs i of (max_j W[i, j] − min_j W[i, j]), which is 0.0 exactly when all
    columns of ``W`` are identical (chapter 2, eq-sym-spread). With ``b`` the biases count as one
    more input row.
    """
    W = _checks.float_array(W, "W", ndim=2)
    if b is not None:
        b = _checks.float_array(b, "b", ndim=1)
        if b.shape[0] != W.shape[1]:
            raise ValueError(f"b must have {W.shape[1]} entries to match W, got {b.shape[0]}")
        W = np.vstack([W, b[None, :]])
    return float(np.max(W.max(axis=1) - W.min(axis=1)))


# --------------------------------------------------------------------------- ordered products
#: Results with at most this many entries are summed with np.add.accumulate (faster there).
_SMALL_RESULT = 512


def _ordered(A: np.ndarray, B: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Unchecked kernel of :func:`ordered_matmul`; writes into ``out`` when given.

    Two implementations of the same arithmetic: for a small result, all products at once and
    ``np.add.accumulate`` along the inner index (a running sum is left to right by
    definition); for a larger one, a loop over the inner index that adds one rounded product
    per pass. Both round every product once and add them in the order 0, 1, 2, ..., so they
    give bit-identical results and the choice between them only affects speed.
    """
    n, k = A.shape
    m = B.shape[1]
    if out is None:
        out = np.empty((n, m), dtype=np.result_type(A, B))
    if k == 0:
        out[...] = 0
        return out
    if n * m <= _SMALL_RESULT:
        products = A[:, :, None] * B[None, :, :]  # (n, k, m), each product rounded once
        np.add.accumulate(products, axis=1, out=products)
        out[...] = products[:, -1, :]
        return out
    np.multiply(A[:, :1], B[:1, :], out=out)
    term = np.empty_like(out)
    for i in range(1, k):
        np.multiply(A[:, i : i + 1], B[i : i + 1, :], out=term)
        out += term
    return out


def ordered_matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A @ B`` with every entry computed by the same sequence of roundings (chapter 2).

    Entry (i, j) is ``((A[i,0] B[0,j] + A[i,1] B[1,j]) + A[i,2] B[2,j]) + ...``: each product
    rounded, then added left to right. Only elementwise multiplications and additions are used
    (no BLAS, no fused multiply-add), and IEEE 754 rounds those identically whatever the CPU
    or SIMD lane, so equal columns of ``B`` give bit-identical columns of the result and equal
    rows of ``A`` bit-identical rows, on every machine. It costs one pass per inner index, so
    it is meant for the small products of chapter 2, not for speed. The result agrees with
    ``A @ B`` up to rounding.
    """
    A = _checks.float_array(A, "A", ndim=2, allow_empty=True)
    B = _checks.float_array(B, "B", ndim=2, allow_empty=True)
    if A.shape[1] != B.shape[0]:
        raise ValueError(
            f"A has {A.shape[1]} columns but B has {B.shape[0]} rows (A shape {A.shape}, "
            f"B shape {B.shape})"
        )
    return _ordered(A, B)


class OrderedDense(Dense):
    """A :class:`nnbook.Dense` whose three products use :func:`ordered_matmul` (chapter 2).

    Forward ``x W + b``, backward ``xᵀ δ``, the column sums of ``δ`` and ``δ Wᵀ``, exactly as
    ``Dense`` (chapter 1, eq-bp-grads), but with every entry computed in the same order, so
    that units with equal parameters get bit-identical activations, gradients and updates.
    Only the kernels (``_forward``, ``_backward``) are overridden: the checked pair
    ``forward``/``backward`` inherited from ``Dense`` calls them, and so does
    :class:`nnbook.MLP`, so every path through the layer is ordered.
    """

    def _forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        W = self.params["W"]
        if x.dtype != W.dtype:
            x = x.astype(W.dtype)
        self._x = x
        return _ordered(x, W) + self.params["b"]

    def _param_grads(self, dout: np.ndarray) -> None:
        """∂J/∂W = xᵀ δ and ∂J/∂b = Σ_rows δ (eq-bp-grads), ordered, as new arrays."""
        x = getattr(self, "_x", None)
        if x is None:
            raise RuntimeError("OrderedDense.backward called before forward(x)")
        ones = np.ones((1, dout.shape[0]), dtype=dout.dtype)
        # the column sums of δ, each added top to bottom
        self.grads = {"W": _ordered(x.T, dout), "b": _ordered(ones, dout)[0]}

    def _backward(self, dout: np.ndarray) -> np.ndarray:
        self._param_grads(dout)
        return _ordered(dout, self.params["W"].T)


class OrderedMLP(MLP):
    """An :class:`nnbook.MLP` built from :class:`OrderedDense` layers (chapter 2).

    Same constructor, methods and results as ``MLP`` up to rounding; the difference is that
    hidden units with equal parameters stay bit-for-bit equal under training on any machine,
    which is what chapter 2 asserts. Slower than ``MLP``: use it for small experiments.
    """

    _dense_class = OrderedDense

    def __repr__(self) -> str:
        return "Ordered" + super().__repr__()


# --------------------------------------------------------------------------- effective width 1
def _check_mlp(model: Any, name: str = "model", hidden: bool = True) -> None:
    if not isinstance(model, MLP):
        raise TypeError(f"{name} must be an nnbook.MLP, got {type(model).__name__}")
    if hidden and model.n_layers < 2:
        raise ValueError(
            f"{name} needs at least one hidden layer, got layer_sizes {model.layer_sizes}"
        )


def width_one(model: MLP, atol: float = 0.0) -> MLP:
    """The width-1 network that computes what a symmetric ``model`` computes (chapter 2).

        ``model`` must be symmetric: in every hidden layer all units have the same incoming
        weights and bias, and the same outgoing weights (checked up to ``atol``; 0.0 by default,
        i.e. bit-identical, else ``ValueError``). Then each hidden layer is one unit copied
        ``H`` times, and the copies can be merged into a single unit whose outgoing weights are
        ``H`` times one copy's, and it is of ``model``'s class (an :class:`OrderedMLP` stays
    ordered): W^(1) keeps its first column, a hidden-to-hidden W^(l) becomes the
        1×1 matrix ``H_(l−1) W^(l)[0, 0]``, and the output layer's W^(L) becomes
        ``H_(L−1) W^(L)[0, :]`` (chapter 2, eq. ``eq-sym-width-one``). Biases keep one entry;
        the output bias is copied whole. The outputs agree with ``model``'s up to rounding (a sum
        of ``H`` equal terms against ``H`` times one term). Dropout models are refused.
    """
    _check_mlp(model)
    atol = _checks.nonnegative(atol, "atol")
    if model.keep_prob is not None:
        raise ValueError("model must not use dropout: width_one needs a deterministic network")
    Ws = [d.params["W"] for d in model.dense]
    bs = [d.params["b"] for d in model.dense]
    L = model.n_layers
    for k in range(1, L):  # hidden layer k is the output of Ws[k - 1], the input of Ws[k]
        into, out_of = unit_spread(Ws[k - 1], bs[k - 1]), unit_spread(Ws[k].T)
        if into > atol or out_of > atol:
            raise ValueError(
                f"model is not symmetric in hidden layer {k}: incoming spread {into:.3g}, "
                f"outgoing spread {out_of:.3g} (atol={atol:g})"
            )
    sizes = model.layer_sizes
    weights = [Ws[0][:, :1].copy()]
    biases = [bs[0][:1].copy()]
    for k in range(2, L + 1):  # layer k: merge the sizes[k - 1] incoming copies
        W = Ws[k - 1]
        cols = W[:1, :] if k == L else W[:1, :1]
        weights.append(sizes[k - 1] * cols)
        biases.append(bs[k - 1].copy() if k == L else bs[k - 1][:1].copy())
    return model.with_arrays(weights, biases, keep_dropout=False)


def width_one_learning_rates(layer_sizes: Sequence[int], lr: float) -> dict[str, float]:
    """Per-parameter learning rates under which the width-1 net follows the wide one.

    Train a symmetric network with widths ``layer_sizes`` by gradient descent with rate
    ``lr``; its :func:`width_one` collapse then follows gradient descent too, but with rate
    ``lr · H_(l−1) / H_l`` for W^(l) and ``lr / H_l`` for b^(l), where H_l is the width of
    layer l and the input and output layers count as width 1 (they are not merged).
    For one hidden layer of H units that is lr/H for W^(1) and b^(1), lr·H for W^(2) and lr
    for b^(2) (chapter 2, eq. ``eq-sym-width-one-lr``). Returns a dict keyed like
    ``MLP.params``.
    """
    if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Sequence):
        raise TypeError(f"layer_sizes must be a sequence of positive integers, got {layer_sizes!r}")
    sizes = [_checks.positive_int(s, f"layer_sizes[{i}]") for i, s in enumerate(layer_sizes)]
    if len(sizes) < 3:
        raise ValueError(f"layer_sizes needs at least one hidden layer, got {sizes!r}")
    lr = _checks.nonnegative(lr, "lr")
    L = len(sizes) - 1
    width = [1, *sizes[1:L], 1]  # merged widths: inputs and outputs are not merged
    rates: dict[str, float] = {}
    for k in range(1, L + 1):
        rates[f"W{k}"] = lr * width[k - 1] / width[k]
        rates[f"b{k}"] = lr / width[k]
    return rates


# --------------------------------------------------------------------------- tracking training
def spread_trace(
    model: MLP,
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    rng: np.random.Generator,
    momentum: float = 0.0,
    callback: Callable[[int, int, Any], None] | None = None,
) -> tuple[History, np.ndarray]:
    """Train ``model`` with :func:`nnbook.sgd` and record every hidden layer's unit spread.

    Returns ``(history, spreads)``; ``spreads[t, l-1]`` is :func:`unit_spread` of hidden layer
    l's ``(W, b)`` after step t (row 0: before training), so its shape is
    ``(history.steps + 1, number of hidden layers)``. Chapter 2 uses it to show a constant
    start staying at exactly 0.0, chapter 5 to show dropout's masks pulling the units apart.
    ``callback(epoch, step, model)`` runs after each step, after the spread is recorded.
    """
    _check_mlp(model)
    hidden = model.dense[:-1]

    def spreads_now() -> list[float]:
        return [unit_spread(d.params["W"], d.params["b"]) for d in hidden]

    rows = [spreads_now()]

    def record(epoch: int, step: int, m: Any) -> None:
        rows.append(spreads_now())
        if callback is not None:
            callback(epoch, step, m)

    history = sgd(
        model,
        X,
        y,
        epochs=epochs,
        lr=lr,
        batch_size=batch_size,
        rng=rng,
        momentum=momentum,
        callback=record,
    )
    return history, np.array(rows, dtype=np.float64)


# --------------------------------------------------------------------------- constant starts
def constant_init(c: float) -> Callable[..., np.ndarray]:
    """A ``weight_init`` for :class:`nnbook.MLP` that sets every weight to ``c`` (chapter 2).

    ``MLP([64, 48, 10], weight_init=constant_init(0.125), rng=rng)`` starts in the symmetric
    set of chapter 2 (eq-sym-invariance) whatever ``c`` is; the ``rng`` is not used.
    """
    value = _checks.real(c, "c")

    def init(
        shape: tuple[int, ...], rng: np.random.Generator | None = None, dtype: Any = np.float64
    ) -> np.ndarray:
        return _init.constant(shape, value, dtype)

    return init


# --------------------------------------------------------------------------- the width-1 twin
@dataclass(frozen=True)
class TwinRun:
    """What :func:`train_with_twin` records (one entry per SGD step unless said otherwise).

    ``spread_in`` and ``spread_out`` are the wide network's hidden-unit spreads
    (eq-sym-spread) of ``(W1, b1)`` and ``W2ᵀ``; ``collapse_err`` is the largest relative
    difference on the check inputs between the wide network and its :func:`width_one`
    collapse; ``twin_err`` the same for the separately trained width-1 twin.
    ``accuracy_wide`` and ``accuracy_twin`` hold one test accuracy per epoch.
    """

    spread_in: np.ndarray
    spread_out: np.ndarray
    collapse_err: np.ndarray
    twin_err: np.ndarray
    accuracy_wide: np.ndarray
    accuracy_twin: np.ndarray
    rates: dict[str, float]

    @property
    def steps(self) -> int:
        return int(self.spread_in.size)


def train_with_twin(
    wide: MLP,
    X: np.ndarray,
    y: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    rng: np.random.Generator,
    momentum: float = 0.0,
) -> tuple[MLP, TwinRun]:
    """Train a symmetric ``wide`` network and its width-1 twin side by side (chapter 2).

    The twin is ``width_one(wide)`` trained on the same mini-batches (order drawn from
    ``rng``) with the rates of :func:`width_one_learning_rates` (eq-sym-width-one-lr); both
    take SGD steps with ``momentum``. After every step the record notes the wide network's
    spreads and how far the collapse and the twin are from it on ``X_test``. ``wide`` is
    trained in place; returns ``(twin, record)``.
    """
    _check_mlp(wide, "wide")
    epochs = _checks.positive_int(epochs, "epochs")
    batch_size = _checks.positive_int(batch_size, "batch_size")
    rng = _checks.rng(rng)
    twin = width_one(wide)
    rates = width_one_learning_rates(wide.layer_sizes, lr)
    vel_wide = {k: np.zeros_like(p) for k, p in wide.params.items()}
    vel_twin = {k: np.zeros_like(p) for k, p in twin.params.items()}
    rec: dict[str, list[float]] = {k: [] for k in ("in", "out", "collapse", "twin")}
    acc_wide, acc_twin = [], []
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for first in range(0, len(X), batch_size):
            idx = order[first : first + batch_size]
            _, g = wide.loss_and_grads(X[idx], y[idx])
            sgd_update(wide.params, g, lr, vel_wide, momentum)
            _, g = twin.loss_and_grads(X[idx], y[idx])
            for k in twin.params:  # one learning rate per parameter array
                sgd_update({k: twin.params[k]}, {k: g[k]}, rates[k], {k: vel_twin[k]}, momentum)
            out = wide.predict(X_test)
            scale = float(np.abs(out).max())
            rec["in"].append(unit_spread(wide.params["W1"], wide.params["b1"]))
            rec["out"].append(unit_spread(wide.params["W2"].T))
            rec["collapse"].append(np.abs(width_one(wide).predict(X_test) - out).max() / scale)
            rec["twin"].append(np.abs(twin.predict(X_test) - out).max() / scale)
        acc_wide.append(wide.accuracy(X_test, y_test))
        acc_twin.append(twin.accuracy(X_test, y_test))
    arrays = {k: np.array(v, dtype=np.float64) for k, v in rec.items()}
    return twin, TwinRun(
        arrays["in"],
        arrays["out"],
        arrays["collapse"],
        arrays["twin"],
        np.array(acc_wide),
        np.array(acc_twin),
        rates,
    )


# --------------------------------------------------------------------------- BLAS and bits
def equal_column_spreads(
    X: np.ndarray,
    w: np.ndarray,
    widths: Sequence[int],
    matmul: Callable[[np.ndarray, np.ndarray], np.ndarray] = np.matmul,
) -> np.ndarray:
    """For each width H, the column spread of ``X @ [w, w, ..., w]`` (H equal columns).

    In exact arithmetic every entry is 0.0. With ``matmul=ordered_matmul`` it is 0.0 on
    every machine; with a BLAS product (the default, NumPy's ``@``) it is 0.0 or a few
    roundings, depending on the width and on the kernel the CPU gets (chapter 2, section
    "Exactly 0.0, on every machine?"). Returns one float per width.
    """
    X = _checks.float_array(X, "X", ndim=2)
    w = _checks.float_array(w, "w", ndim=1)
    if w.shape[0] != X.shape[1]:
        raise ValueError(f"w must have {X.shape[1]} entries to match X, got {w.shape[0]}")
    if not callable(matmul):
        raise TypeError(f"matmul must be callable, got {matmul!r}")
    hs = [_checks.positive_int(h, f"widths[{i}]") for i, h in enumerate(widths)]
    return np.array(
        [unit_spread(np.asarray(matmul(X, np.repeat(w[:, None], h, axis=1)))) for h in hs],
        dtype=np.float64,
    )


def rounding_bound(X: np.ndarray, w: np.ndarray) -> float:
    """Largest gap two summation orders can leave between entries of ``X @ w``.

    Each order's result is within ``γ_k Σ_i |x_i w_i|`` of the exact sum, ``γ_k = k u / (1
    − k u)`` with ``u`` the unit roundoff and ``k`` the number of terms (Higham's bound for
    recursive summation), so two orders differ by at most twice that; the largest over the
    rows of ``X`` is returned (chapter 2).
    """
    X = _checks.float_array(X, "X", ndim=2)
    w = _checks.float_array(w, "w", ndim=1)
    if w.shape[0] != X.shape[1]:
        raise ValueError(f"w must have {X.shape[1]} entries to match X, got {w.shape[0]}")
    u = np.finfo(np.result_type(X, w)).eps / 2
    k = X.shape[1]
    gamma = k * u / (1 - k * u)
    # NumPy's own elementwise sum, not a BLAS product: the bound is the same on every kernel
    return float(2 * gamma * np.max(np.sum(np.abs(X) * np.abs(w), axis=1)))


def format_ranges(values: Sequence[int]) -> str:
    """Sorted integers as runs: ``[5, 6, 7, 9]`` becomes ``"5-7, 9"``; ``"none"`` if empty."""
    vals = sorted({int(v) for v in values})
    if not vals:
        return "none"
    runs: list[list[int]] = [[vals[0], vals[0]]]
    for v in vals[1:]:
        if v == runs[-1][1] + 1:
            runs[-1][1] = v
        else:
            runs.append([v, v])
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)


def blas_kernel() -> str:
    """The name of the BLAS kernel NumPy's products run on here, e.g. ``"Haswell"``.

    Read with ``threadpoolctl`` (OpenBLAS reports the CPU architecture it chose, which
    ``OPENBLAS_CORETYPE`` overrides); ``"unknown"`` where that is not available.
    """
    try:
        from threadpoolctl import threadpool_info
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        return "unknown"
    for lib in threadpool_info():
        if lib.get("user_api") == "blas":
            name = lib.get("architecture") or lib.get("internal_api") or "unknown"
            return str(name)
    return "unknown"  # pragma: no cover


# --------------------------------------------------------------------------- flat parameters
def flat_params(model: MLP) -> np.ndarray:
    """All of ``model``'s parameters as one vector θ, in the order W1, b1, W2, b2, ... (a copy)."""
    _check_mlp(model, hidden=False)
    return np.concatenate([model.params[k].ravel() for k in _keys(model)])


def with_flat_params(model: MLP, theta: np.ndarray) -> MLP:
    """A copy of ``model`` whose parameters are the vector ``theta`` (see :func:`flat_params`)."""
    _check_mlp(model, hidden=False)
    theta = _checks.float_array(theta, "theta", ndim=1)
    if theta.size != model.n_params:
        raise ValueError(f"theta must have {model.n_params} entries, got {theta.size}")
    m = model.copy()
    i = 0
    for k in _keys(model):
        p = m.params[k]
        p[...] = theta[i : i + p.size].reshape(p.shape)
        i += p.size
    return m


def _keys(model: MLP) -> list[str]:
    return [f"{p}{i}" for i in range(1, model.n_layers + 1) for p in ("W", "b")]


def unit_params(params: dict[str, np.ndarray], j: int, layer: int = 1) -> np.ndarray:
    """Hidden unit ``j``'s parameters: incoming weights, bias, outgoing weights (a copy).

    ``params`` is keyed like ``MLP.params`` (or ``MLP.grads``, to get the unit's gradient);
    ``layer`` counts hidden layers from 1. Two units are interchangeable exactly when these
    vectors are equal (chapter 2, eq-sym-invariance).
    """
    layer = _checks.positive_int(layer, "layer")
    W_in, b = params[f"W{layer}"], params[f"b{layer}"]
    if f"W{layer + 1}" not in params:
        raise ValueError(f"layer {layer} is not a hidden layer of these parameters")
    if not 0 <= j < W_in.shape[1]:
        raise ValueError(f"j must be a unit of layer {layer} (0..{W_in.shape[1] - 1}), got {j}")
    return np.concatenate([W_in[:, j], b[j : j + 1], params[f"W{layer + 1}"][j, :]])


def swap_directions(model: MLP, sign: float, units: tuple[int, int] = (0, 1)) -> np.ndarray:
    """Unit vectors in θ that move unit ``a`` of hidden layer 1 by +d and unit ``b`` by sign·d.

    ``d`` runs over the coordinate directions of one unit's parameters (incoming weights,
    bias, outgoing weights), so there is one row per coordinate. ``sign=+1`` gives
    directions *along* the symmetric set (both units move alike), ``sign=-1`` directions
    *across* it (they move apart), chapter 2, eq-sym-plane. Rows are orthonormal.
    """
    _check_mlp(model)
    sign = _checks.real(sign, "sign")
    if sign not in (1.0, -1.0):
        raise ValueError(f"sign must be +1 or -1, got {sign!r}")
    a, b = units
    H = model.layer_sizes[1]
    if not (0 <= a < H and 0 <= b < H and a != b):
        raise ValueError(f"units must be two different units of hidden layer 1, got {units}")
    n_in, n_out = model.layer_sizes[0], model.layer_sizes[2]
    rows = []
    for coord in range(n_in + 1 + n_out):
        d = np.zeros(n_in + 1 + n_out)
        d[coord] = 1.0
        p = {k: np.zeros_like(v) for k, v in model.params.items()}
        for unit, s in ((a, 1.0), (b, sign)):
            p["W1"][:, unit] = s * d[:n_in]
            p["b1"][unit] = s * d[n_in]
            p["W2"][unit, :] = s * d[n_in + 1 :]
        v = np.concatenate([p[k].ravel() for k in _keys(model)])
        rows.append(v / np.sqrt(2.0))
    return np.array(rows)


def curvatures(
    model: MLP,
    X: np.ndarray,
    y: np.ndarray,
    directions: np.ndarray,
    theta: np.ndarray | None = None,
    h: float = 1e-5,
) -> tuple[np.ndarray, np.ndarray]:
    """Eigenvalues and eigenvectors of the loss's Hessian restricted to ``directions``.

    ``directions`` holds orthonormal rows u_1, ..., u_m in θ (:func:`flat_params`); the
    m×m matrix uᵢᵀ ∇²J(θ) u_j is estimated by central differences of the gradient,
    ``(∇J(θ + h u_j) − ∇J(θ − h u_j)) / 2h``, symmetrised, and diagonalised. Returns
    ``(eigenvalues ascending, eigenvectors as columns)``: the curvatures of J at θ (default:
    the model's parameters) along the span (chapter 2, section "The geometry"). The
    estimate's error is O(h²) plus rounding of order ε·|∇J|/h.
    """
    _check_mlp(model, hidden=False)
    if theta is None:
        theta = flat_params(model)
    theta = _checks.float_array(theta, "theta", ndim=1)
    U = _checks.float_array(directions, "directions", ndim=2)
    if U.shape[1] != theta.size:
        raise ValueError(f"directions must have {theta.size} columns, got {U.shape[1]}")
    h = _checks.positive(h, "h")

    def grad(t: np.ndarray) -> np.ndarray:
        m = with_flat_params(model, t)
        _, g = m.loss_and_grads(X, y)
        return np.concatenate([g[k].ravel() for k in _keys(m)])

    cols = [(grad(theta + h * u) - grad(theta - h * u)) / (2 * h) for u in U]
    Hm = np.array([[float(np.sum(u * c)) for c in cols] for u in U])
    return np.linalg.eigh((Hm + Hm.T) / 2)


# --------------------------------------------------------------------------- noise per unit
def with_private_inputs(model: MLP) -> MLP:
    """A copy of ``model`` whose hidden unit j has one extra input of its own, weight 1.

    ``W1`` gains H rows forming the identity, so feeding ``[x, ε]`` with ε of shape (N, H)
    adds ``ε[:, j]`` to unit j's pre-activation: noise that each unit draws for itself
    (chapter 2, section "What breaks the symmetry"). Train it with :func:`noise_spread_trace`,
    which keeps those rows fixed.
    """
    _check_mlp(model)
    H = model.layer_sizes[1]
    W1 = np.vstack([model.params["W1"], np.eye(H, dtype=model.dtype)])
    weights = [W1] + [model.params[f"W{i}"].copy() for i in range(2, model.n_layers + 1)]
    biases = [model.params[f"b{i}"].copy() for i in range(1, model.n_layers + 1)]
    return model.with_arrays(weights, biases, keep_dropout=False)


def noise_spread_trace(
    model: MLP,
    X: np.ndarray,
    y: np.ndarray,
    make_input: Callable[[np.ndarray], np.ndarray],
    *,
    epochs: int,
    lr: float,
    batch_size: int,
    rng: np.random.Generator,
    momentum: float = 0.0,
    frozen_rows: int = 0,
) -> np.ndarray:
    """SGD on inputs ``make_input(X_batch)``; returns hidden layer 1's spread after each step.

    The spread is taken over the first ``X.shape[1]`` rows of ``W1`` and ``b1`` (the real
    inputs); the last ``frozen_rows`` rows of ``W1`` get no update (the private inputs of
    :func:`with_private_inputs`). Row 0 of the result is before training (chapter 2).
    """
    _check_mlp(model)
    epochs = _checks.positive_int(epochs, "epochs")
    batch_size = _checks.positive_int(batch_size, "batch_size")
    frozen_rows = _checks.nonnegative_int(frozen_rows, "frozen_rows")
    rng = _checks.rng(rng)
    n_in = X.shape[1]
    vel = {k: np.zeros_like(p) for k, p in model.params.items()}

    def spread() -> float:
        return unit_spread(model.params["W1"][:n_in], model.params["b1"])

    trace = [spread()]
    for _ in range(epochs):
        order = rng.permutation(len(X))
        for first in range(0, len(X), batch_size):
            idx = order[first : first + batch_size]
            _, g = model.loss_and_grads(make_input(X[idx]), y[idx])
            g = {k: v.copy() for k, v in g.items()}
            if frozen_rows:
                g["W1"][-frozen_rows:] = 0.0
            sgd_update(model.params, g, lr, vel, momentum)
            trace.append(spread())
    return np.array(trace, dtype=np.float64)
