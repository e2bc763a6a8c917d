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
from typing import Any

import numpy as np

from . import _checks
from .layers import Dense
from .mlp import MLP
from .train import History, sgd

__all__ = [
    "OrderedDense",
    "OrderedMLP",
    "ordered_matmul",
    "spread_trace",
    "unit_spread",
    "width_one",
    "width_one_learning_rates",
]


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
    ``Dense`` (chapter 1, eq. (1.8)), but with every entry computed in the same order, so that
    units with equal parameters get bit-identical activations, gradients and updates.
    """

    def _forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        W = self.params["W"]
        if x.dtype != W.dtype:
            x = x.astype(W.dtype)
        self._x = x
        out = _ordered(x, W)
        out += self.params["b"]
        return out

    def _param_grads(self, dout: np.ndarray) -> None:
        x = self._x
        assert x is not None
        _ordered(x.T, dout, out=self.grads["W"])
        ones = np.ones((1, dout.shape[0]), dtype=dout.dtype)
        _ordered(ones, dout, out=self.grads["b"][None, :])  # column sums, row by row

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
def _check_mlp(model: Any, name: str = "model") -> None:
    if not isinstance(model, MLP):
        raise TypeError(f"{name} must be an nnbook.MLP, got {type(model).__name__}")
    if model.n_layers < 2:
        raise ValueError(
            f"{name} needs at least one hidden layer, got layer_sizes {model.layer_sizes}"
        )


def width_one(model: MLP, atol: float = 0.0) -> MLP:
    """The width-1 network that computes what a symmetric ``model`` computes (chapter 2).

    ``model`` must be symmetric: in every hidden layer all units have the same incoming
    weights and bias, and the same outgoing weights (checked up to ``atol``; 0.0 by default,
    i.e. bit-identical, else ``ValueError``). Then each hidden layer is one unit copied
    ``H`` times, and the copies can be merged into a single unit whose outgoing weights are
    ``H`` times one copy's: W^(1) keeps its first column, a hidden-to-hidden W^(l) becomes the
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
    return MLP.from_arrays(
        weights,
        biases,
        model.activation,
        output_activation=model.output_activation,
        loss=model.loss_name,
    )


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
