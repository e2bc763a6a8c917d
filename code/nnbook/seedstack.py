"""Networks of several seeds trained as one batched computation, with per-layer statistics.

Chapter 3's claims about training are claims over seeds and settings (two inits, a few
learning rates), and they are about what happens *inside* the network: the spread of every
layer's activations and of its updates. The networks share their widths, so their weights are
stacked along a leading axis, ``Ws[l]`` of shape ``(S, n_{l-1}, n_l)``, and one
``np.matmul`` serves all ``S`` of them. Each function is a single-network equation of
chapter 1 with that extra axis (any hidden activation, linear logits, softmax cross-entropy):

* forward (chapter 1, eq-bp-forward): ``z_l = a_{l-1} @ W_l + b_l``, ``a_l = f(z_l)``;
* output error (eq-bp-output): ``δ_L = (softmax(z_L) - onehot(y)) / N``;
* δ recursion (eq-bp-recursion): ``δ_{l-1} = (δ_l @ W_lᵀ) * f'(z_{l-1})``;
* gradients (eq-bp-grads): ``∂J/∂W_l = a_{l-1}ᵀ @ δ_l``, ``∂J/∂b_l = Σ_n δ_l``.

All networks see the same mini-batches in the same order, so settings that scale the same
standard-normal draws differently (:func:`stack_normal`) form a *paired* comparison: they
differ only in what the setting changes. The equations are :mod:`nnbook.batched`, the core
shared with chapter 4's :mod:`nnbook.sweep` and chapter 5's :mod:`nnbook.stacked` (ReLU
networks with dropout); this module adds the paired draws, the checks and the statistics.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from . import _checks, batched

__all__ = ["StackHistory", "forward", "gradients", "loss", "stack_normal", "train_sgd"]


def _activation(name: str) -> str:
    if name not in batched.ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(batched.ACTIVATIONS)}, got {name!r}")
    return name


def _weights(Ws: Sequence[np.ndarray], name: str = "Ws") -> list[np.ndarray]:
    if isinstance(Ws, np.ndarray) or not isinstance(Ws, Sequence) or len(Ws) == 0:
        raise TypeError(f"{name} must be a non-empty list of (S, n_in, n_out) arrays")
    out = [_checks.float_array(W, f"{name}[{i}]", ndim=3) for i, W in enumerate(Ws)]
    for i in range(1, len(out)):
        if out[i].shape[0] != out[0].shape[0] or out[i].shape[1] != out[i - 1].shape[2]:
            raise ValueError(
                f"{name}[{i}] has shape {out[i].shape}, which does not follow "
                f"{name}[{i - 1}] of shape {out[i - 1].shape}"
            )
    return out


def _inputs(X: np.ndarray, Ws: list[np.ndarray]) -> np.ndarray:
    X = _checks.float_array(X, "X")
    if X.ndim not in (2, 3) or X.shape[-1] != Ws[0].shape[1]:
        raise ValueError(f"X must be (N, {Ws[0].shape[1]}) or (S, N, ...), got {X.shape}")
    return X


def stack_normal(sizes: Sequence[int], rngs: Sequence[np.random.Generator]) -> list[np.ndarray]:
    """Standard-normal weights of one network per generator: ``Ws[l]`` is ``(S, n_{l-1}, n_l)``.

    Scale them to an initializer's variance afterwards (chapter 3, eq-ws-he):
    ``W * sqrt(2 / n_in)`` is He's, ``W * sqrt(2 / (n_in + n_out))`` Xavier's. Networks that
    scale the same draws differently share their seed's luck: comparisons are paired.
    """
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise ValueError(f"sizes needs at least two widths, got {sizes!r}")
    dims = [_checks.positive_int(s, f"sizes[{i}]") for i, s in enumerate(sizes)]
    if isinstance(rngs, np.random.Generator) or not isinstance(rngs, Sequence) or not rngs:
        raise TypeError("rngs must be a non-empty list of numpy Generators, one per network")
    gens = [_checks.rng(g, f"rngs[{i}]") for i, g in enumerate(rngs)]
    nets = [[g.standard_normal((a, b)) for a, b in itertools.pairwise(dims)] for g in gens]
    return [np.stack([net[i] for net in nets]) for i in range(len(dims) - 1)]


def forward(
    Ws: Sequence[np.ndarray],
    X: np.ndarray,
    activation: str = "relu",
    bs: Sequence[np.ndarray] | None = None,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Pre-activations ``zs`` and activations ``acts`` of every layer of every network.

    ``X`` is ``(N, n_0)`` (shared) or ``(S, N, n_0)``; ``zs[l]`` is ``(S, N, n_{l+1})``. The
    last layer is linear (its activation equals its pre-activation, as a separate array).
    Chapter 1, eq-bp-forward.
    """
    Ws = _weights(Ws)
    zs, acts = _forward(Ws, _inputs(X, Ws), _activation(activation), bs)
    # the logits (and a linear layer's activations) are z itself: return them as new arrays
    return zs, [a.copy() if a is z else a for z, a in zip(zs, acts, strict=True)]


def _forward(
    Ws: Sequence[np.ndarray], a: np.ndarray, activation: str, bs: Sequence[np.ndarray] | None
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    fwd = batched.forward(Ws, bs, a, activation)
    return fwd.z, fwd.a


def loss(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Mean softmax cross-entropy of every network: ``logits`` ``(S, N, K)`` gives ``(S,)``."""
    logits = _checks.float_array(logits, "logits", ndim=3, finite=False)
    y = _checks.labels(y, "y", logits.shape[1], logits.shape[2])
    return _loss(logits, y)


def _loss(logits: np.ndarray, y: np.ndarray) -> np.ndarray:
    return batched.cross_entropy(logits, y)


def gradients(
    Ws: Sequence[np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    activation: str = "relu",
    bs: Sequence[np.ndarray] | None = None,
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    """Loss ``(S,)``, weight gradients, bias gradients, deltas and activations of every net.

    ``deltas[l]`` is ∂J/∂z of layer l+1, shape ``(S, N, n_{l+1})``; ``acts[l]`` its
    activation. Chapter 1, eq-bp-output, eq-bp-recursion and eq-bp-grads, stacked.
    """
    Ws = _weights(Ws)
    X = _inputs(X, Ws)
    y = _checks.labels(y, "y", X.shape[-2], Ws[-1].shape[2])
    return _gradients(Ws, X, y, _activation(activation), bs)


def _gradients(
    Ws: Sequence[np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    activation: str,
    bs: Sequence[np.ndarray] | None,
) -> tuple[np.ndarray, list[np.ndarray], list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
    fwd = batched.forward(Ws, bs, X, activation)
    loss, delta = batched.softmax_cross_entropy(fwd.logits, y)  # δ_L
    gW, gb, deltas = batched.backward(Ws, fwd, delta, activation)
    return loss, gW, gb, deltas, fwd.a


@dataclass(frozen=True)
class StackHistory:
    """What :func:`train_sgd` recorded; the first axis is always the network.

    ``loss[s, e]`` and ``accuracy[s, e]``: training-set loss and accuracy of network s after
    epoch e (e = 0 is before training; a network that overflowed has loss ``inf``).
    At every ``record_every``-th step k (``steps[k]``): ``update_ratio[s, k, l]`` is
    std(ΔW) / std(W) of layer l+1 (the update-to-data ratio), ``act_std[s, k, l]`` the std
    of hidden layer l+1's activations on that mini-batch and ``dead[s, k, l]`` the share of
    its units that are zero on every example of it.
    """

    loss: np.ndarray
    accuracy: np.ndarray
    update_ratio: np.ndarray
    act_std: np.ndarray
    dead: np.ndarray
    steps: np.ndarray


def _per_net(W: list[np.ndarray], fn: Callable[[np.ndarray], np.ndarray]) -> np.ndarray:
    S = W[0].shape[0]
    return np.stack([fn(w.reshape(S, -1)) for w in W], axis=1)


def train_sgd(
    Ws: Sequence[np.ndarray],
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    lr: float | Sequence[float] | np.ndarray,
    batch_size: int,
    rng: np.random.Generator,
    momentum: float = 0.0,
    activation: str = "relu",
    record_every: int = 10,
) -> tuple[list[np.ndarray], StackHistory]:
    """Mini-batch momentum SGD of every network at once; returns the new weights and history.

    ``lr`` is one rate or one per network, so a learning-rate sweep is one batched run.
    Biases start at zero and are trained; ``v ← μv − η g``, ``θ ← θ + v`` (chapter 1,
    eq-bp-sgd). ``Ws`` is not changed. ``rng`` shuffles the examples every epoch, the same
    order for every network.
    """
    Ws = [W.copy() for W in _weights(Ws)]
    X = _checks.float_array(X, "X", ndim=2)
    _inputs(X, Ws)
    y = _checks.labels(y, "y", X.shape[0], Ws[-1].shape[2])
    epochs = _checks.nonnegative_int(epochs, "epochs")
    batch_size = _checks.positive_int(batch_size, "batch_size")
    record_every = _checks.positive_int(record_every, "record_every")
    momentum = _checks.nonnegative(momentum, "momentum")
    if momentum >= 1.0:
        raise ValueError(f"momentum must be below 1, got {momentum}")
    rng = _checks.rng(rng)
    activation = _activation(activation)
    S = Ws[0].shape[0]
    eta = np.array(np.broadcast_to(np.asarray(lr, dtype=np.float64), (S,)))
    if np.any(eta < 0) or not np.all(np.isfinite(eta)):
        raise ValueError(f"lr must be finite and non-negative, got {lr!r}")
    bs = [np.zeros((S, W.shape[2])) for W in Ws]
    params = [*Ws, *bs]
    velocity = [np.zeros_like(p) for p in params]
    vW = velocity[: len(Ws)]  # the updates ΔW of the last step

    def evaluate() -> tuple[np.ndarray, np.ndarray]:
        with np.errstate(all="ignore"):
            logits = _forward(Ws, X, activation, bs)[1][-1]
            ell = _loss(logits, y)
            acc = (logits.argmax(axis=-1) == y).mean(axis=1)
        return np.where(np.isfinite(ell), ell, np.inf), acc

    first = evaluate()
    losses, accs = [first[0]], [first[1]]
    ratios, act_stds, deads, steps = [], [], [], []
    step = 0
    for _ in range(epochs):
        order = rng.permutation(X.shape[0])
        for start in range(0, X.shape[0], batch_size):
            idx = order[start : start + batch_size]
            with np.errstate(all="ignore"):
                _, gW, gb, _, acts = _gradients(Ws, X[idx], y[idx], activation, bs)
                record = step % record_every == 0
                if record:
                    scale = _per_net(Ws, lambda w: w.std(axis=1))
                batched.momentum_step(params, velocity, [*gW, *gb], eta, momentum)
                if record:
                    ratios.append(_per_net(vW, lambda w: w.std(axis=1)) / scale)
                    hidden = acts[:-1]
                    act_stds.append(np.stack([a.reshape(S, -1).std(axis=1) for a in hidden], 1))
                    deads.append(np.stack([np.all(a == 0, axis=1).mean(axis=1) for a in hidden], 1))
                    steps.append(step)
            step += 1
        ell, acc = evaluate()
        losses.append(ell)
        accs.append(acc)
    n_hidden = len(Ws) - 1
    history = StackHistory(
        loss=np.stack(losses, axis=1),
        accuracy=np.stack(accs, axis=1),
        update_ratio=np.stack(ratios, axis=1) if ratios else np.zeros((S, 0, len(Ws))),
        act_std=np.stack(act_stds, axis=1) if act_stds else np.zeros((S, 0, n_hidden)),
        dead=np.stack(deads, axis=1) if deads else np.zeros((S, 0, n_hidden)),
        steps=np.asarray(steps, dtype=np.int64),
    )
    return Ws, history
