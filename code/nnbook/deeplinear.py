"""Deep linear networks on whitened inputs, many at once (chapter 3, Saxe et al. 2014).

With whitened inputs (E[x xᵀ] = I) the squared-error loss of ``y = x W_1 W_2 ⋯ W_L`` against
a teacher ``y = x A`` depends on the weights only through their product P (eq-ws-linear):

    J(W) = ½ ‖P − A‖²_F / n,      P = W_1 W_2 ⋯ W_L,
    ∂J/∂W_l = (W_1 ⋯ W_{l-1})ᵀ (P − A) (W_{l+1} ⋯ W_L)ᵀ / n .

That is the setting in which Saxe, McClelland and Ganguli solved the learning dynamics. Every
function takes a *stack* of networks, ``Ws`` of shape ``(S, L, n, n)``, and uses ``einsum``
(NumPy's own loops, no BLAS), so the step counts are the same on every CPU kernel.
"""

from __future__ import annotations

import numpy as np

from . import _checks

__all__ = ["flat_loss", "gradients", "loss", "product", "train"]


def _stack(Ws: np.ndarray) -> np.ndarray:
    Ws = _checks.float_array(Ws, "Ws", ndim=4, finite=False)
    if Ws.shape[2] != Ws.shape[3]:
        raise ValueError(f"Ws must hold square n x n layers, got shape {Ws.shape}")
    return Ws


def _mm(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.matmul(a, b)


def product(Ws: np.ndarray) -> np.ndarray:
    """The end-to-end maps P = W_1 ⋯ W_L of every network, shape ``(S, n, n)``."""
    Ws = _stack(Ws)
    P = Ws[:, 0]
    for i in range(1, Ws.shape[1]):
        P = _mm(P, Ws[:, i])
    return P


def loss(Ws: np.ndarray, A: np.ndarray) -> np.ndarray:
    """J = ½ ‖P − A‖²_F / n of every network (eq-ws-linear), shape ``(S,)``."""
    Ws = _stack(Ws)
    A = _checks.float_array(A, "A", ndim=2)
    E = product(Ws) - A
    return 0.5 * np.einsum("sij,sij->s", E, E) / A.shape[0]


def gradients(Ws: np.ndarray, A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Loss ``(S,)`` and ∂J/∂W ``(S, L, n, n)`` of eq-ws-linear, from prefix/suffix products."""
    Ws = _stack(Ws)
    A = _checks.float_array(A, "A", ndim=2)
    return _gradients(Ws, A)


def _gradients(Ws: np.ndarray, A: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    S, L, n, _ = Ws.shape
    eye = np.broadcast_to(np.eye(n), (S, n, n))
    prefix = [eye]  # prefix[l] = W_1 ⋯ W_l
    for i in range(L):
        prefix.append(_mm(prefix[-1], Ws[:, i]))
    suffix = [eye]  # suffix[k] = W_{L-k+1} ⋯ W_L
    for i in range(L - 1, -1, -1):
        suffix.append(_mm(Ws[:, i], suffix[-1]))
    E = prefix[-1] - A
    J = 0.5 * np.einsum("sij,sij->s", E, E) / n
    grads = np.empty_like(Ws)
    for i in range(L):
        left = np.swapaxes(prefix[i], 1, 2)
        right = np.swapaxes(suffix[L - 1 - i], 1, 2)
        grads[:, i] = _mm(_mm(left, E), right) / n
    return J, grads


def train(
    Ws: np.ndarray,
    A: np.ndarray,
    lr: float | np.ndarray,
    max_steps: int,
    target: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Full-batch gradient descent on every network until its loss falls below ``target``.

    Returns ``(steps, losses)``: ``steps[s]`` is the number of updates network s needed to get
    below ``target`` (``-1`` if it did not within ``max_steps``), ``losses[s, t]`` its loss
    before update t (``inf`` once it overflowed). ``lr`` is one rate or one per network.
    A network stops being updated once it reached the target. ``Ws`` is not changed.
    """
    W = _stack(Ws).copy()
    A = _checks.float_array(A, "A", ndim=2)
    max_steps = _checks.positive_int(max_steps, "max_steps")
    target = _checks.positive(target, "target")
    S = W.shape[0]
    eta = np.array(np.broadcast_to(np.asarray(lr, dtype=np.float64), (S,)))
    if np.any(eta < 0) or not np.all(np.isfinite(eta)):
        raise ValueError(f"lr must be finite and non-negative, got {lr!r}")
    steps = np.full(S, -1, dtype=np.int64)
    losses = np.full((S, max_steps + 1), np.nan)
    with np.errstate(all="ignore"):
        for t in range(max_steps + 1):
            J, g = _gradients(W, A)
            J = np.where(np.isfinite(J), J, np.inf)
            losses[:, t] = J
            newly = (steps < 0) & (J < target)
            steps[newly] = t
            active = (steps < 0) & np.isfinite(J)
            if not active.any() or t == max_steps:
                break
            W -= np.where(active, eta, 0.0)[:, None, None, None] * np.nan_to_num(g)
    return steps, losses[:, : t + 1]


def flat_loss(w: np.ndarray, A: np.ndarray, depth: int) -> float:
    """J of eq-ws-linear for *one* network given as a flat vector of ``depth`` n×n layers.

    The form that :func:`nnbook.stats.curvature` needs (chapter 3, the saddle at the origin).
    """
    A = _checks.float_array(A, "A", ndim=2)
    depth = _checks.positive_int(depth, "depth")
    n = A.shape[0]
    w = _checks.float_array(w, "w", ndim=1)
    if w.size != depth * n * n:
        raise ValueError(f"w must hold {depth} layers of {n}x{n} = {depth * n * n} values")
    return float(loss(w.reshape(1, depth, n, n), A)[0])
