"""The core of every batched trainer: S networks of the same widths along a leading axis.

Chapters 3, 4 and 5 make claims over seeds and settings, so they train many small networks
at once. Their weights are stacked, ``W[l]`` of shape ``(S, n_{l-1}, n_l)`` and ``b[l]`` of
shape ``(S, n_l)``, and one ``np.matmul`` serves all S members. Each function below is a
single-network equation of chapter 1 with that extra axis (hidden activation f, linear
logits, softmax cross-entropy), and member s is exactly the :class:`nnbook.MLP` with its
weights (``tests/test_batched.py`` checks it against ``nnbook.MLP`` trained by
``nnbook.sgd``):

* forward (chapter 1, eq-bp-forward; chapter 5, eq-do-forward):
  ``z_l = ã_{l-1} W_l + b_l``, ``a_l = f(z_l)``, ``ã_l = a_l ⊙ m_l / p_s`` (``ã_0 = x``);
* output error (eq-bp-output): ``δ_L = (softmax(z_L) − onehot(y)) / N``;
* δ recursion (eq-bp-recursion; chapter 5, eq-do-backward):
  ``δ_l = (δ_{l+1} W_{l+1}ᵀ) ⊙ (m_l / p_s) ⊙ f'(z_l)``;
* gradients (eq-bp-grads): ``∂J/∂W_l = ã_{l-1}ᵀ δ_l``, ``∂J/∂b_l = Σ_n δ_l``;
* momentum SGD (the update of :func:`nnbook.train.sgd_update`), one rate per member:
  ``v ← μ v − η_s g``, ``θ ← θ + v``;
* divergence freezing: a member whose loss or parameters stop being finite gets rate 0,
  its gradient dropped and its velocity zeroed, so it is no longer updated and the others
  go on.

The thin layers :mod:`nnbook.seedstack` (chapter 3: any activation, per-layer statistics),
:mod:`nnbook.sweep` (chapter 4: learning-rate sweeps over seeds) and :mod:`nnbook.stacked`
(chapter 5: dropout, per-member keep probabilities, curves) add initialization and
bookkeeping around these functions. They are unchecked kernels: the public functions of
those modules validate their arguments once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

__all__ = [
    "ACTIVATIONS",
    "Forward",
    "backward",
    "cross_entropy",
    "finite_members",
    "forward",
    "freeze",
    "log_softmax",
    "momentum_step",
    "softmax_cross_entropy",
]

#: name -> (f(z), f'(z, a)); the derivative may use the activation a = f(z) (chapter 1,
#: eq-bp-relu-prime, eq-bp-tanh-prime). ReLU's f' is the indicator z > 0 (0 at the kink).
ACTIVATIONS: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[..., np.ndarray]]] = {
    "relu": (lambda z: np.maximum(z, 0.0), lambda z, a: z > 0),
    "tanh": (np.tanh, lambda z, a: 1.0 - a * a),
    "linear": (lambda z: z, lambda z, a: None),  # f' = 1: nothing to multiply
}


@dataclass
class Forward:
    """What a batched forward pass keeps for the backward pass, one entry per layer l.

    ``inputs[l]`` is the layer's input ã (after dropout; ``inputs[0]`` is X itself),
    ``z[l]`` its pre-activation, ``a[l]`` its activation f(z) before dropout (for the last,
    linear layer ``a[-1] is z[-1]``, the logits) and ``scale[l]`` the dropout factor m / p
    of a hidden layer, or ``None`` without dropout.
    """

    inputs: list[np.ndarray]
    z: list[np.ndarray]
    a: list[np.ndarray]
    scale: list[np.ndarray | None]

    @property
    def logits(self) -> np.ndarray:
        """The last layer's output z_L, shape ``(S, N, classes)``."""
        return self.z[-1]


def forward(
    W: Sequence[np.ndarray],
    b: Sequence[np.ndarray] | None,
    X: np.ndarray,
    activation: str = "relu",
    keep: np.ndarray | None = None,
    rng: np.random.Generator | None = None,
    masks: Sequence[np.ndarray] | None = None,
) -> Forward:
    """Batched forward pass (chapter 1, eq-bp-forward; chapter 5, eq-do-forward).

    ``X`` is ``(N, n_0)`` (the same examples for every member) or ``(S, N, n_0)``; ``b`` may
    be ``None`` (no biases). With ``keep`` (the keep probability of every member, ``(S,)``)
    every hidden activation is multiplied by m / p_s, the masks m drawn from ``rng`` as
    ``rng.random(a.shape) < p_s`` or taken from ``masks`` (one bool array per hidden layer).
    """
    f = ACTIVATIONS[activation][0]
    last = len(W) - 1
    fwd = Forward([], [], [], [])
    h = X
    for layer, Wl in enumerate(W):
        z = h @ Wl  # z_l = ã_{l-1} W_l + b_l
        if b is not None:
            z = z + b[layer][:, None, :]
        a = z if layer == last else f(z)  # a_l = f(z_l); linear logits
        scale = None
        if keep is not None and layer < last:  # ã_l = a_l ⊙ m_l / p_s
            p = keep[:, None, None].astype(a.dtype)
            m = rng.random(a.shape) < p if masks is None else masks[layer]
            if m.shape != a.shape:
                raise ValueError(f"masks[{layer}] must have shape {a.shape}, got {m.shape}")
            scale = m / p
        fwd.inputs.append(h)
        fwd.z.append(z)
        fwd.a.append(a)
        fwd.scale.append(scale)
        h = a if scale is None else a * scale
    return fwd


def log_softmax(logits: np.ndarray) -> np.ndarray:
    """log softmax over the last axis, shifted by the row maximum so that exp never overflows."""
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def cross_entropy(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean cross-entropy J = mean_n −log softmax(z_L)[n, y_n] of every member: ``(S,)``.

    ``logits`` is ``(S, N, C)``, ``y`` integer labels ``(N,)`` or ``(S, N)`` (chapter 1,
    eq-bp-softmax-ce, stacked).
    """
    return softmax_cross_entropy(logits, y, need_delta=False)[0]


def softmax_cross_entropy(
    logits: np.ndarray, y: np.ndarray, need_delta: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`cross_entropy` ``(S,)`` and δ_L = (softmax(z_L) − onehot(y)) / N (eq-bp-output).

    The arithmetic of :func:`nnbook.softmax_cross_entropy`: softmax = exp(log softmax).
    With ``need_delta=False`` the second result is the log-softmax itself (no δ computed).
    """
    N = logits.shape[-2]
    y = np.broadcast_to(y, logits.shape[:-1])[..., None]
    logp = log_softmax(logits)
    loss = -np.take_along_axis(logp, y, axis=-1)[..., 0].mean(axis=-1)
    if not need_delta:
        return loss, logp
    delta = np.exp(logp)  # softmax(z_L)
    np.put_along_axis(delta, y, np.take_along_axis(delta, y, axis=-1) - 1.0, axis=-1)
    delta /= N
    return loss, delta


def backward(
    W: Sequence[np.ndarray], fwd: Forward, delta: np.ndarray, activation: str = "relu"
) -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """The δ recursion from δ_L = ``delta``: gradients ``gW``, ``gb`` and every layer's δ.

    Chapter 1, eq-bp-recursion and eq-bp-grads, with the dropout masks of chapter 5,
    eq-do-backward: ``δ_l = (δ_{l+1} W_{l+1}ᵀ) ⊙ (m_l / p_s) ⊙ f'(z_l)``,
    ``∂J/∂W_l = ã_{l-1}ᵀ δ_l``, ``∂J/∂b_l = Σ_n δ_l``. Every array returned is new.
    """
    fprime = ACTIVATIONS[activation][1]
    L = len(W)
    gW: list[np.ndarray] = [delta] * L
    gb: list[np.ndarray] = [delta] * L
    deltas: list[np.ndarray] = [delta] * L
    for layer in range(L - 1, -1, -1):
        deltas[layer] = delta
        gW[layer] = np.swapaxes(fwd.inputs[layer], -1, -2) @ delta  # ã_{l-1}ᵀ δ_l
        gb[layer] = delta.sum(axis=-2)  # Σ_n δ_l
        if layer > 0:
            delta = delta @ np.swapaxes(W[layer], -1, -2)  # ∂J/∂ã_{l-1}
            scale = fwd.scale[layer - 1]
            if scale is not None:
                delta = delta * scale  # ⊙ m / p
            d = fprime(fwd.z[layer - 1], fwd.a[layer - 1])
            if d is not None:
                delta = delta * d  # ⊙ f'(z_{l-1})
    return gW, gb, deltas


def _member_shape(arr: np.ndarray) -> tuple[int, ...]:
    return (arr.shape[0],) + (1,) * (arr.ndim - 1)


def momentum_step(
    params: Sequence[np.ndarray],
    velocity: Sequence[np.ndarray],
    grads: Sequence[np.ndarray],
    lr: np.ndarray,
    momentum: float,
    active: np.ndarray | None = None,
) -> None:
    """One momentum-SGD step of every member, in place: v ← μ v − η_s g, θ ← θ + v.

    ``lr`` holds one rate per member ``(S,)``; a member not ``active`` gets rate 0 and its
    gradient (which may be NaN) dropped. ``grads`` is not changed.
    """
    rate = lr if active is None else np.where(active, lr, 0.0)
    dropped = active is not None and not active.all()
    for p, v, g in zip(params, velocity, grads, strict=True):
        shape = _member_shape(p)
        if dropped:
            g = np.where(active.reshape(shape), g, 0.0)
        v *= momentum
        v -= rate.reshape(shape).astype(p.dtype) * g
        p += v


def finite_members(loss: np.ndarray, params: Sequence[np.ndarray] = ()) -> np.ndarray:
    """Members ``(S,)`` whose loss and every parameter are finite."""
    ok = np.isfinite(loss)
    for p in params:
        ok &= np.isfinite(p.reshape(p.shape[0], -1)).all(axis=1)
    return ok


def freeze(members: np.ndarray, *arrays: np.ndarray) -> None:
    """Zero the entries of ``members`` (a bool ``(S,)`` mask) in every array, in place.

    Called with a diverged member's velocities, it stops the member for good: with rate 0
    and its gradient dropped (:func:`momentum_step`), nothing moves its parameters again.
    """
    for arr in arrays:
        arr[members] = 0.0
