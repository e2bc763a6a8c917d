"""What backpropagation costs, counted and measured (chapter 1, "Why backprop is cheap").

- :func:`path_gradient` and :func:`delta_gradient` compute the same gradient of a sigmoid
  network with the half squared error (chapter 1, eq-bp-loss) for one example, once as a sum
  over every path from a weight to the output and once by the δ recursion (eq-bp-recursion,
  each δ computed once and reused), counting the multiplications each needs;
  :func:`path_multiplications` and :func:`delta_multiplications` are the closed forms.
- :func:`matmul_flops`: multiply-adds of the forward and backward matrix products.
- :func:`best_time` (timing) and :func:`peak_bytes` (memory, via ``tracemalloc``);
  :func:`forward_streaming` is a forward pass that keeps no activations, the baseline
  against which the memory the backward pass must keep is measured.

Both gradient functions run in plain Python floats, on purpose: every multiplication is one
line and is counted.
"""

from __future__ import annotations

import itertools
import time
import tracemalloc
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import _checks
from .activations import sigmoid

__all__ = [
    "best_time",
    "delta_gradient",
    "delta_multiplications",
    "forward_streaming",
    "matmul_flops",
    "path_gradient",
    "path_multiplications",
    "peak_bytes",
]


class _Counter:
    def __init__(self) -> None:
        self.n = 0

    def mul(self, *factors: float) -> float:
        """The product of ``factors``, counting len(factors) − 1 multiplications."""
        out = factors[0]
        for f in factors[1:]:
            out *= f
            self.n += 1
        return out


def _net(Ws: Sequence[np.ndarray], bs: Sequence[np.ndarray], x: Any, y: Any):
    if len(Ws) == 0 or len(Ws) != len(bs):
        raise ValueError(
            f"Ws and bs must be non-empty and of equal length, got {len(Ws)}, {len(bs)}"
        )
    Ws = [_checks.float_array(W, f"Ws[{i}]", ndim=2) for i, W in enumerate(Ws)]
    bs = [_checks.float_array(b, f"bs[{i}]", ndim=1) for i, b in enumerate(bs)]
    x = _checks.float_array(x, "x", ndim=1)
    y = _checks.float_array(y, "y", ndim=1)
    sizes = [x.size] + [W.shape[1] for W in Ws]
    for i, W in enumerate(Ws):
        if W.shape[0] != sizes[i] or bs[i].shape != (sizes[i + 1],):
            raise ValueError(f"Ws[{i}] / bs[{i}] do not fit layer sizes {sizes}")
    if y.size != sizes[-1]:
        raise ValueError(f"y must have {sizes[-1]} entries, got {y.size}")
    # forward pass (eq-bp-forward, eq-bp-activation); not counted: both methods need it
    a = [x]
    for W, b in zip(Ws, bs, strict=True):
        a.append(sigmoid(a[-1] @ W + b))
    fp = [None] + [al * (1 - al) for al in a[1:]]  # f'(z) = a(1 − a), eq-bp-sigmoid-prime
    return Ws, sizes, a, fp, y


def path_gradient(
    Ws: Sequence[np.ndarray], bs: Sequence[np.ndarray], x: np.ndarray, y: np.ndarray
) -> tuple[dict[str, np.ndarray], int]:
    """∂J/∂θ by the chain rule summed over every path from each weight to the outputs.

    ∂J/∂W^(l)_ij = a^(l−1)_i Σ_paths f'(z^(l)_j) Π_m W^(m) f'(z^(m)) (h_k − y_k): nothing
    is shared between weights. Sigmoid units everywhere, J = ½‖h − y‖² for one example
    (chapter 1, eq-bp-loss). Returns the gradients and the number of multiplications.
    """
    Ws, sizes, a, fp, y = _net(Ws, bs, x, y)
    L, c = len(Ws), _Counter()
    err = a[L] - y

    def paths_from(layer: int, j: int, first: list[float]) -> float:
        # Σ over paths j -> u_(l+1) -> ... -> u_L of the product of their factors
        total = 0.0
        for path in itertools.product(*(range(s) for s in sizes[layer + 1 :])):
            units = (j, *path)
            factors = [*first, float(fp[layer][j])]
            for m in range(layer + 1, L + 1):
                u, v = units[m - 1 - layer], units[m - layer]
                factors += [float(Ws[m - 1][u, v]), float(fp[m][v])]
            total += c.mul(*factors, float(err[units[-1]]))
        return total

    grads: dict[str, np.ndarray] = {}
    for layer in range(1, L + 1):
        gW = np.zeros((sizes[layer - 1], sizes[layer]))
        for i, j in np.ndindex(gW.shape):  # each weight on its own: nothing shared
            gW[i, j] = paths_from(layer, j, [float(a[layer - 1][i])])
        gb = np.array([paths_from(layer, j, []) for j in range(sizes[layer])])
        grads[f"W{layer}"], grads[f"b{layer}"] = gW, gb
    return _ordered(grads, L), c.n


def delta_gradient(
    Ws: Sequence[np.ndarray], bs: Sequence[np.ndarray], x: np.ndarray, y: np.ndarray
) -> tuple[dict[str, np.ndarray], int]:
    """The same gradient by the δ recursion: each δ^(l)_j computed once and reused by every
    weight that needs it (chapter 1, eq-bp-delta-out, eq-bp-recursion, eq-bp-grads).

    Returns the gradients and the number of multiplications.
    """
    Ws, sizes, a, fp, y = _net(Ws, bs, x, y)
    L, c = len(Ws), _Counter()
    delta: list[list[float]] = [[] for _ in range(L + 1)]
    delta[L] = [c.mul(float(a[L][k] - y[k]), float(fp[L][k])) for k in range(sizes[L])]
    for layer in range(L - 1, 0, -1):
        for j in range(sizes[layer]):
            # gradients add at a fork: unit j feeds every unit k of layer l + 1
            s = sum(
                c.mul(float(Ws[layer][j, k]), delta[layer + 1][k]) for k in range(sizes[layer + 1])
            )
            delta[layer].append(c.mul(s, float(fp[layer][j])))
    grads: dict[str, np.ndarray] = {}
    for layer in range(1, L + 1):
        gW = np.array(
            [
                [c.mul(float(a[layer - 1][i]), d) for d in delta[layer]]
                for i in range(sizes[layer - 1])
            ]
        )
        grads[f"W{layer}"], grads[f"b{layer}"] = gW, np.array(delta[layer])
    return _ordered(grads, L), c.n


def _ordered(grads: dict[str, np.ndarray], L: int) -> dict[str, np.ndarray]:
    return {k: grads[k] for layer in range(1, L + 1) for k in (f"W{layer}", f"b{layer}")}


def _sizes(layer_sizes: Sequence[int]) -> list[int]:
    sizes = [_checks.positive_int(s, f"layer_sizes[{i}]") for i, s in enumerate(layer_sizes)]
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes needs at least two entries, got {sizes}")
    return sizes


def path_multiplications(layer_sizes: Sequence[int]) -> int:
    """Multiplications of :func:`path_gradient`, in closed form.

    A unit of layer l has Π_{m>l} s_m paths to the outputs, each a product of 2(L − l) + 2
    factors for its bias (2(L − l) + 1 multiplications) and one more, a^(l−1)_i, for each of
    its s_(l−1) weights.
    """
    s = _sizes(layer_sizes)
    L = len(s) - 1
    total = 0
    for layer in range(1, L + 1):
        paths = int(np.prod(s[layer + 1 :], dtype=np.int64)) if layer < L else 1
        per_bias = 2 * (L - layer) + 1
        total += s[layer] * paths * (per_bias + s[layer - 1] * (per_bias + 1))
    return total


def delta_multiplications(layer_sizes: Sequence[int]) -> int:
    """Multiplications of :func:`delta_gradient`, in closed form: s_L for δ^(L), then
    (s_(l+1) + 1) per unit of each hidden layer, and s_(l−1) s_l per weight matrix."""
    s = _sizes(layer_sizes)
    L = len(s) - 1
    hidden = sum(s[layer] * (s[layer + 1] + 1) for layer in range(1, L))
    return s[L] + hidden + sum(s[layer - 1] * s[layer] for layer in range(1, L + 1))


def matmul_flops(layer_sizes: Sequence[int], n: int) -> dict[str, int]:
    """Multiply-adds of the matrix products of one training step on a batch of ``n``.

    Forward: n s_(l−1) s_l per layer (eq-bp-forward). Backward: the same again for
    ∂J/∂W^(l) = a^(l−1)ᵀ δ^(l) (eq-bp-grads) and once more for δ^(l) W^(l)ᵀ
    (eq-bp-recursion), which the first layer does not need. Elementwise work is not counted.
    """
    s = _sizes(layer_sizes)
    n = _checks.positive_int(n, "n")
    per = [n * s[layer - 1] * s[layer] for layer in range(1, len(s))]
    return {"forward": sum(per), "backward": 2 * sum(per) - per[0]}


def best_time(fn: Callable[[], Any], number: int = 10, repeat: int = 5) -> float:
    """CPU seconds per call of ``fn()``: the minimum over ``repeat`` runs of ``number`` calls.

    The clock is this process's CPU time (``time.process_time``), not the wall clock: on a
    machine shared with other processes a long run is preempted and its wall time inflated,
    while the CPU time it is charged is not. The minimum over repeats is the run least
    disturbed by what remains (caches, frequency), so ratios of such minima are what
    chapter 1 asserts.
    """
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {fn!r}")
    number = _checks.positive_int(number, "number")
    repeat = _checks.positive_int(repeat, "repeat")
    best = float("inf")
    for _ in range(repeat):
        t0 = time.process_time()
        for _ in range(number):
            fn()
        best = min(best, time.process_time() - t0)
    return best / number


def peak_bytes(fn: Callable[[], Any]) -> int:
    """Peak memory (bytes) that ``fn()`` allocates above what was in use when it started,
    measured with ``tracemalloc`` (NumPy reports its array buffers to it)."""
    if not callable(fn):
        raise TypeError(f"fn must be callable, got {fn!r}")
    was_tracing = tracemalloc.is_tracing()
    if not was_tracing:
        tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        start, _ = tracemalloc.get_traced_memory()
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        if not was_tracing:
            tracemalloc.stop()
    return int(peak - start)


def forward_streaming(
    Ws: Sequence[np.ndarray], bs: Sequence[np.ndarray], X: np.ndarray
) -> np.ndarray:
    """Sigmoid forward pass (eq-bp-forward, eq-bp-activation) that keeps only the current
    layer: what inference needs, and what training cannot do (chapter 1, memory cost)."""
    a = _checks.float_array(X, "X", ndim=2)
    for W, b in zip(Ws, bs, strict=True):
        a = sigmoid(a @ W + b)
    return a
