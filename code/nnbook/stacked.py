"""Many small ReLU networks trained at once, stacked along a leading axis (chapter 5).

Chapter 5's claims about training are claims over seeds and settings (several seeds, several
``keep_prob`` values, several learning rates). Training each of those networks on its own
costs one Python loop per network; :class:`StackedMLP` stores the S networks' weights as
arrays of shape ``(S, fan_in, fan_out)`` and trains them together, every matrix product one
batched ``np.matmul``. Member s is exactly the network :class:`nnbook.MLP` would be (ReLU
hidden layers, linear logits, softmax cross-entropy), with its own keep probability p_s:

    z^(l) = ã^(l-1) W^(l)_s + b^(l)_s,   a^(l) = max(0, z^(l)),
    ã^(l) = a^(l) ⊙ m^(l) / p_s          (chapter 5, eq-do-forward; ã^(0) = x, no dropout)

and its backward pass is the δ recursion (chapter 1, eq-bp-recursion) with the same masks
(chapter 5, eq-do-backward):

    δ^(L) = (softmax(z^(L)) − onehot(y)) / N,
    δ^(l) = (δ^(l+1) W^(l+1)ᵀ) ⊙ (m^(l) / p_s) ⊙ [z^(l) > 0],
    ∂J/∂W^(l) = ã^(l-1)ᵀ δ^(l),   ∂J/∂b^(l) = Σ_n δ^(l)_n      (chapter 1, eq-bp-grads).

:func:`sgd` trains all members with momentum SGD (the update of ``nnbook.train.sgd_update``), each
with its own learning rate and its own shuffling generator, so that members built with the
same initialization and shuffling generators form a *paired* comparison. A member whose
loss stops being finite is marked diverged and frozen (rate 0, velocity zeroed: its weights
stay where they were); the others go on.

The equations themselves are :mod:`nnbook.batched`, the core shared with chapter 3's
:mod:`nnbook.seedstack` and chapter 4's :mod:`nnbook.sweep`; this module adds He
initialization per member, the per-member keep probabilities, the shuffling, the per-epoch
evaluation curves and the dead-unit counts.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from . import _checks, batched
from . import init as _init
from .mlp import MLP

__all__ = ["StackedHistory", "StackedMLP", "evaluate", "sgd"]


def _per_member(value: Any, n: int, name: str, check) -> np.ndarray:
    if isinstance(value, (list, tuple, np.ndarray)):
        values = list(value)
        if len(values) != n:
            raise ValueError(f"{name} must have one entry per member ({n}), got {len(values)}")
    else:
        values = [value] * n
    return np.array([check(v, f"{name}[{i}]") for i, v in enumerate(values)], dtype=np.float64)


def _keep(value: Any, name: str) -> float:
    return 1.0 if value is None else _checks.probability(value, name)


def _softmax(z: np.ndarray) -> np.ndarray:
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


class StackedMLP:
    """S independent ReLU networks of the same widths, weights stacked as ``(S, fan_in, fan_out)``.

    Parameters
    ----------
    layer_sizes
        Widths s_0 (inputs), ..., s_L (classes), shared by all members.
    init_rngs
        One ``numpy.random.Generator`` per member. Member s draws its He-normal weights from
        ``init_rngs[s]`` layer by layer, exactly as ``nnbook.MLP(layer_sizes, rng=...)``
        does, so two members given generators of the same stream start identical.
    keep_prob
        Keep probability of every hidden unit: one value for all members or one per member;
        ``None`` or ``1.0`` is no dropout.
    dtype
        float64 (default) or float32.

    ``W`` and ``b`` are lists (one entry per layer) of the stacked arrays.
    """

    def __init__(
        self,
        layer_sizes: Sequence[int],
        init_rngs: Sequence[np.random.Generator],
        keep_prob: float | Sequence[float | None] | None = None,
        dtype: DTypeLike = np.float64,
    ) -> None:
        if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Sequence):
            raise TypeError(f"layer_sizes must be a sequence of ints, got {layer_sizes!r}")
        if len(layer_sizes) < 2:
            raise ValueError(f"layer_sizes needs at least two widths, got {list(layer_sizes)!r}")
        sizes = [_checks.positive_int(s, f"layer_sizes[{i}]") for i, s in enumerate(layer_sizes)]
        if isinstance(init_rngs, np.random.Generator) or not isinstance(init_rngs, Sequence):
            raise TypeError("init_rngs must be a list of numpy Generators, one per member")
        if len(init_rngs) == 0:
            raise ValueError("init_rngs must hold at least one Generator")
        rngs = [_checks.rng(r, f"init_rngs[{i}]") for i, r in enumerate(init_rngs)]
        dt = _checks.float_dtype(dtype)
        self.layer_sizes = sizes
        self.n_members = len(rngs)
        self.keep_prob = _per_member(keep_prob, self.n_members, "keep_prob", _keep)
        per_member = [
            [_init.he_normal((fi, fo), rng=r, dtype=dt) for fi, fo in itertools.pairwise(sizes)]
            for r in rngs
        ]
        self.W = [np.stack([ws[i] for ws in per_member]) for i in range(len(sizes) - 1)]
        self.b = [np.zeros((self.n_members, fo), dtype=dt) for fo in sizes[1:]]
        self._cache: batched.Forward | None = None  # the last forward pass

    @property
    def n_layers(self) -> int:
        """Number of weight layers L."""
        return len(self.W)

    def _inputs(self, X: Any) -> np.ndarray:
        X = _checks.float_array(X, "X")
        if X.ndim not in (2, 3) or X.shape[-1] != self.layer_sizes[0]:
            raise ValueError(
                f"X must have shape (N, {self.layer_sizes[0]}) or "
                f"({self.n_members}, N, {self.layer_sizes[0]}), got {X.shape}"
            )
        if X.ndim == 3 and X.shape[0] != self.n_members:
            raise ValueError(f"X has {X.shape[0]} member rows, the stack has {self.n_members}")
        return X.astype(self.W[0].dtype, copy=False)

    def forward(
        self,
        X: np.ndarray,
        train: bool = False,
        rng: np.random.Generator | None = None,
        masks: Sequence[np.ndarray] | None = None,
    ) -> np.ndarray:
        """Logits of every member, shape ``(S, N, classes)``.

        ``X`` is ``(N, s_0)`` (the same examples for every member) or ``(S, N, s_0)``. With
        ``train=True`` dropout is on: fresh masks from ``rng``, or the given ``masks`` (one
        bool array ``(S, N, s_l)`` per hidden layer, for tests and gradient checks).
        """
        h = self._inputs(X)
        keep = None
        if train:
            keep = self.keep_prob
            if masks is None:
                rng = _checks.rng(rng)
            else:
                masks = [_checks.bool_mask(m) for m in masks]
        self._cache = batched.forward(self.W, self.b, h, "relu", keep, rng, masks)
        return self._cache.logits

    def loss_and_grads(
        self, X: np.ndarray, y: np.ndarray, rng: np.random.Generator | None = None, **kw: Any
    ) -> tuple[np.ndarray, dict[str, list[np.ndarray]]]:
        """Training-mode loss of every member ``(S,)`` and fresh gradient arrays.

        ``y`` holds labels ``(N,)`` shared by all members, or ``(S, N)``. Returns
        ``(loss, {"W": [...], "b": [...]})``, arrays that no later call changes.
        """
        logits = self.forward(X, train=True, rng=rng, **kw)
        S, N, C = logits.shape
        y = _labels(y, S, N, C)
        loss, delta = batched.softmax_cross_entropy(logits, y)  # δ^(L)
        assert self._cache is not None
        gW, gb, _ = batched.backward(self.W, self._cache, delta, "relu")
        return loss, {"W": gW, "b": gb}

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Test-mode logits (dropout off = the weight-scaling rule), shape ``(S, N, C)``."""
        return self.forward(X, train=False)

    def dead_fraction(self, X: np.ndarray) -> np.ndarray:
        """Fraction of each hidden layer's ReLUs that output 0 for every row of ``X``: ``(L-1, S)``.

        A unit that is off for every example gets no gradient through its ReLU (chapter 1,
        eq-bp-relu-prime), so once dead on the whole training set it stays dead.
        """
        self.forward(X, train=False)
        assert self._cache is not None
        zs = self._cache.z
        return np.array([np.mean(~np.any(z > 0, axis=1), axis=1) for z in zs[:-1]])

    def subset(self, members: Sequence[int]) -> StackedMLP:
        """A new stack holding copies of the given members (weights and keep_prob)."""
        idx = [_checks.nonnegative_int(s, "members") for s in members]
        if not idx or max(idx) >= self.n_members:
            raise ValueError(f"members must index 0..{self.n_members - 1}, got {list(members)}")
        new = object.__new__(StackedMLP)
        new.layer_sizes = list(self.layer_sizes)
        new.n_members = len(idx)
        new.keep_prob = self.keep_prob[idx].copy()
        new.W = [W[idx].copy() for W in self.W]
        new.b = [b[idx].copy() for b in self.b]
        new._cache = None
        return new

    def sample_proba(self, X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
        """Class probabilities of ``k`` training-mode passes with fresh masks: ``(k, S, N, C)``.

        Their mean over the first axis is Monte-Carlo dropout's prediction (chapter 5,
        eq-do-mc); the spread across the first axis is its uncertainty.
        """
        k = _checks.positive_int(k, "k")
        rng = _checks.rng(rng)
        return np.stack([_softmax(self.forward(X, train=True, rng=rng)) for _ in range(k)])

    def member(self, s: int, rng: np.random.Generator | None = None) -> MLP:
        """Member ``s`` as an independent :class:`nnbook.MLP` (weights copied).

        ``rng`` draws its dropout masks; it is needed only if the member has dropout.
        """
        s = _checks.nonnegative_int(s, "s")
        if s >= self.n_members:
            raise ValueError(f"s must be below n_members = {self.n_members}, got {s}")
        keep = float(self.keep_prob[s])
        return MLP.from_arrays(
            [W[s].copy() for W in self.W],
            [b[s].copy() for b in self.b],
            "relu",
            keep_prob=None if keep == 1.0 else keep,
            rng=rng,
        )


def _labels(y: Any, S: int, N: int, C: int) -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 1:
        y = np.broadcast_to(_checks.labels(y, "y", N, C), (S, N))
    elif y.shape != (S, N):
        raise ValueError(f"y must have shape ({N},) or ({S}, {N}), got {y.shape}")
    elif y.dtype.kind not in "iu" or y.min() < 0 or y.max() >= C:
        raise ValueError(f"y must hold integer labels in [0, {C})")
    return y


def evaluate(model: StackedMLP, X: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Test-mode mean cross-entropy and error rate of every member: two arrays ``(S,)``."""
    logits = model.predict(X)
    S, N, C = logits.shape
    y = _labels(y, S, N, C)
    loss = batched.cross_entropy(logits, y)
    error = np.mean(logits.argmax(axis=-1) != y, axis=1)
    return loss, error


@dataclass
class StackedHistory:
    """Per-epoch records, arrays of shape ``(epochs, S)``; ``diverged`` is ``(S,)``.

    ``loss`` is the mean training-mode mini-batch loss (dropout on); ``curves[name]`` holds
    ``(loss, error)`` in test mode on each evaluation set passed to :func:`sgd`.
    """

    loss: np.ndarray
    curves: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    diverged: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))


def sgd(
    model: StackedMLP,
    X: np.ndarray,
    y: np.ndarray,
    epochs: int,
    lr: float | Sequence[float],
    batch_size: int,
    order_rngs: Sequence[np.random.Generator],
    mask_rng: np.random.Generator,
    momentum: float = 0.0,
    eval_sets: Mapping[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> StackedHistory:
    """Train every member by mini-batch momentum SGD: v ← μv − η_s g, θ ← θ + v.

    ``X, y`` are the training set, shared (``(n, s_0)``, ``(n,)``) or one per member
    (``(S, n, s_0)``, ``(S, n)``). Member s shuffles with ``order_rngs[s]`` every epoch and
    uses learning rate ``lr[s]`` (one value for all, or one per member); ``mask_rng`` draws
    every member's dropout masks. ``eval_sets`` maps a name to ``(X, y)`` evaluated in test
    mode after every epoch.
    """
    S = model.n_members
    epochs = _checks.nonnegative_int(epochs, "epochs")
    batch_size = _checks.positive_int(batch_size, "batch_size")
    lrs = _per_member(lr, S, "lr", _checks.nonnegative)
    momentum = _checks.nonnegative(momentum, "momentum")
    if momentum >= 1.0:
        raise ValueError(f"momentum must be below 1, got {momentum}")
    if isinstance(order_rngs, np.random.Generator) or len(order_rngs) != S:
        raise ValueError(f"order_rngs must be a list of {S} Generators, one per member")
    orders = [_checks.rng(r, f"order_rngs[{i}]") for i, r in enumerate(order_rngs)]
    mask_rng = _checks.rng(mask_rng, "mask_rng")
    X = model._inputs(X)
    Xs = np.broadcast_to(X, (S, *X.shape)) if X.ndim == 2 else X
    ys = np.broadcast_to(np.asarray(y), (S, Xs.shape[1])) if np.ndim(y) == 1 else np.asarray(y)
    _labels(ys, S, Xs.shape[1], model.layer_sizes[-1])
    eval_sets = dict(eval_sets or {})
    n = Xs.shape[1]
    n_batches = -(-n // batch_size)
    params = [*model.W, *model.b]
    velocity = [np.zeros_like(p) for p in params]
    active = np.ones(S, dtype=bool)
    members = np.arange(S)[:, None]
    losses = np.zeros((epochs, S))
    curves = {k: (np.zeros((epochs, S)), np.zeros((epochs, S))) for k in eval_sets}
    for epoch in range(epochs):
        perm = np.stack([r.permutation(n) for r in orders])
        for step in range(n_batches):
            idx = perm[:, step * batch_size : (step + 1) * batch_size]
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                loss, g = model.loss_and_grads(Xs[members, idx], ys[members, idx], mask_rng)
            diverged = active & ~batched.finite_members(loss)
            if diverged.any():  # frozen: rate 0, gradient dropped, velocity zeroed
                batched.freeze(diverged, *velocity)
                active &= ~diverged
            batched.momentum_step(params, velocity, [*g["W"], *g["b"]], lrs, momentum, active)
            losses[epoch] += np.where(active, loss, np.nan) * idx.shape[1] / n
        for name, (Xe, ye) in eval_sets.items():
            with np.errstate(over="ignore", invalid="ignore"):
                le, ee = evaluate(model, Xe, ye)
            curves[name][0][epoch], curves[name][1][epoch] = le, ee
    return StackedHistory(losses, curves, ~active)
