"""Many small ReLU networks trained at once: learning-rate sweeps over seeds (chapters 4, 5).

A conclusion about an initialization that flips with the learning rate is not a conclusion,
so chapter 4 compares bias settings at *each setting's best rate*, over several seeds. That
needs hundreds of short training runs; this module trains them in lock step, as one batched
computation: every parameter carries a leading "run" axis, and one ``np.matmul`` multiplies
all runs' mini-batches by all runs' weights.

A run is one (setting, learning rate, seed) triple. Runs that share a seed share everything
random: the standard-normal draws behind their weights (scaled per setting) and the order
of the mini-batches. Two settings are therefore compared seed by seed (a paired comparison,
:func:`nnbook.experiments.paired`), and so are two learning rates.

The network is chapter 1's fully connected ReLU net with a softmax cross-entropy output,

    z_l = a_{l-1} W_l + b_l,   a_l = max(z_l, 0),   J = mean_n −log softmax(z_L)[n, y_n],

trained by mini-batch SGD with momentum (chapter 1, eq-bp-delta for the gradients; the update
v ← μ v − η g, θ ← θ + v of :func:`nnbook.train.sgd_update`). One run of :func:`lr_sweep`
follows exactly the trajectory of :class:`nnbook.MLP` trained by :func:`nnbook.sgd` from the
same weights and the same shuffling generator (``tests/test_sweep.py`` checks it).

A run whose loss or parameters become non-finite is *diverged*: it is frozen from that step
on (parameters and velocities zeroed, rate 0), and its losses and accuracy read NaN.

The forward pass, δ recursion, momentum step and freezing are :mod:`nnbook.batched`, the
core shared with :mod:`nnbook.seedstack` (chapter 3) and :mod:`nnbook.stacked` (chapter 5);
this module adds the (setting, rate, seed) layout, the paired initialization and the results.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import DTypeLike

from . import _checks, batched

__all__ = ["Setting", "SweepResult", "dead_fractions", "init_runs", "lr_sweep"]


@dataclass(frozen=True)
class Setting:
    """How one setting initializes a network.

    ``weight_std`` is ``"he"`` (std √(2/fan_in) in every layer, chapter 3's eq-ws-he) or a
    float std for every layer (``0.01`` is AlexNet's and the Chinese article's
    ``0.01 * randn``). ``hidden_bias`` is the constant every hidden layer's bias starts at;
    ``output_bias`` is the output layer's (AlexNet set hidden fc biases to 1 and the output's
    to 0, which is the default here).
    """

    weight_std: str | float = "he"
    hidden_bias: float = 0.0
    output_bias: float = 0.0

    def std(self, fan_in: int) -> float:
        """The weight standard deviation of a layer with ``fan_in`` inputs."""
        if isinstance(self.weight_std, str):
            if self.weight_std != "he":
                raise ValueError(f"weight_std must be 'he' or a float, got {self.weight_std!r}")
            return math.sqrt(2.0 / fan_in)
        return _checks.nonnegative(self.weight_std, "weight_std")


def _sizes(sizes: Sequence[int]) -> list[int]:
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence) or len(sizes) < 2:
        raise ValueError(f"sizes must list at least two layer widths, got {sizes!r}")
    return [_checks.positive_int(s, f"sizes[{i}]") for i, s in enumerate(sizes)]


def init_runs(
    sizes: Sequence[int],
    settings: Sequence[Setting],
    n_lrs: int,
    rngs: Sequence[np.random.Generator],
    dtype: DTypeLike = np.float64,
) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Initial weights and biases of every run, with runs ordered (setting, lr, seed).

    Seed ``s`` draws one standard-normal matrix per layer from ``rngs[s]``; every run of that
    seed uses it, scaled by its setting's std. Returns lists ``W[l]`` of shape
    ``(R, sizes[l], sizes[l+1])`` and ``b[l]`` of shape ``(R, 1, sizes[l+1])`` with
    ``R = len(settings) * n_lrs * len(rngs)``, in ``dtype`` (the draws are made in float64).
    """
    sizes = _sizes(sizes)
    dt = _checks.float_dtype(dtype)
    n_lrs = _checks.positive_int(n_lrs, "n_lrs")
    rngs = [_checks.rng(r) for r in rngs]
    if not rngs or not settings:
        raise ValueError("settings and rngs must be non-empty")
    pairs = list(itertools.pairwise(sizes))
    draws = [[r.standard_normal(p) for p in pairs] for r in rngs]  # [seed][layer]
    W, b = [], []
    last = len(pairs) - 1
    for layer, (fan_in, fan_out) in enumerate(pairs):
        Ws, bs = [], []
        for st in settings:
            std = st.std(fan_in)
            bias = st.output_bias if layer == last else st.hidden_bias
            for _ in range(n_lrs):
                for d in draws:
                    Ws.append(std * d[layer])
                    bs.append(np.full((1, fan_out), float(bias)))
        W.append(np.stack(Ws).astype(dt))
        b.append(np.stack(bs).astype(dt))
    return W, b


def _forward(W: list[np.ndarray], b: list[np.ndarray], X: np.ndarray) -> list[np.ndarray]:
    """Pre-activations z_1 .. z_L of every run; ``X`` is (R, B, n_0) or (B, n_0)."""
    if b and b[0].ndim == 3:  # the (R, 1, n_l) biases of init_runs
        b = [v[:, 0, :] for v in b]
    return batched.forward(W, b, X).z


def dead_fractions(W: list[np.ndarray], b: list[np.ndarray], X: np.ndarray) -> np.ndarray:
    """Fraction of each hidden layer's units that are zero for every row of ``X``: (R, L−1).

    A dead unit passes no gradient to its incoming weights (chapter 4); ``X`` is (N, n_0).
    """
    zs = _forward(W, b, _checks.float_array(X, "X", ndim=2))
    return np.stack([(z <= 0).all(axis=-2).mean(axis=-1) for z in zs[:-1]], axis=-1)


@dataclass(frozen=True)
class SweepResult:
    """Outcomes of a sweep; arrays are indexed ``[setting, lr, seed, ...]``.

    ``loss``: training loss (on ``X_eval``) after each of ``eval_steps``, NaN once diverged;
    ``final_loss``: training loss on all of ``X`` after the last step; ``accuracy``: on the
    test set (NaN without one); ``dead``: fraction of dead hidden units per layer at the end
    (measured on ``X``); ``diverged``: whether the run was frozen.
    """

    names: tuple[str, ...]
    lrs: np.ndarray
    eval_steps: np.ndarray
    loss: np.ndarray
    final_loss: np.ndarray
    accuracy: np.ndarray
    dead: np.ndarray
    diverged: np.ndarray

    def _k(self, name: str) -> int:
        if name not in self.names:
            raise ValueError(f"setting must be one of {list(self.names)}, got {name!r}")
        return self.names.index(name)

    def _l(self, lr: float) -> int:
        hits = np.flatnonzero(np.isclose(self.lrs, lr, rtol=1e-9, atol=0))
        if hits.size != 1:
            raise ValueError(f"lr must be one of {self.lrs.tolist()}, got {lr!r}")
        return int(hits[0])

    def at(self, name: str, lr: float, what: str = "final_loss") -> np.ndarray:
        """One value per seed (a copy) of ``what`` for setting ``name`` at rate ``lr``."""
        if what not in ("final_loss", "accuracy", "diverged", "loss", "dead"):
            raise ValueError(f"what must name a result array, got {what!r}")
        return np.array(getattr(self, what)[self._k(name), self._l(lr)])

    def median_loss(self, name: str) -> np.ndarray:
        """Median final loss over seeds at every rate; a diverged run counts as +inf."""
        v = np.where(
            np.isnan(self.final_loss[self._k(name)]), np.inf, self.final_loss[self._k(name)]
        )
        return np.median(v, axis=-1)

    def best_lr(self, name: str) -> float:
        """The rate with the lowest median final loss over seeds for setting ``name``."""
        return float(self.lrs[int(np.argmin(self.median_loss(name)))])

    def largest_stable_lr(self, name: str, threshold: float) -> float:
        """Largest rate at which every seed ends below ``threshold`` (NaN if none does)."""
        v = self.final_loss[self._k(name)]
        ok = np.all(np.nan_to_num(v, nan=np.inf) < threshold, axis=-1)
        return float(self.lrs[ok].max()) if ok.any() else float("nan")


def lr_sweep(
    sizes: Sequence[int],
    X: np.ndarray,
    y: np.ndarray,
    settings: Mapping[str, Setting],
    lrs: Sequence[float],
    rngs: Sequence[np.random.Generator],
    *,
    epochs: int,
    batch_size: int,
    momentum: float = 0.9,
    eval_steps: Sequence[int] = (),
    X_eval: np.ndarray | None = None,
    y_eval: np.ndarray | None = None,
    X_test: np.ndarray | None = None,
    y_test: np.ndarray | None = None,
    dtype: DTypeLike = np.float64,
) -> SweepResult:
    """Train every (setting, lr, seed) ReLU network of ``sizes`` at once by momentum SGD.

    ``rngs[s]`` draws seed ``s``'s weights (:func:`init_runs`) and then its mini-batch order
    (one ``permutation`` per epoch, as :func:`nnbook.sgd` does). The training loss is recorded
    after each step in ``eval_steps`` on ``X_eval``/``y_eval`` (default: ``X``, ``y``).
    ``dtype`` float32 halves the cost of a sweep; float64 (default) matches :class:`nnbook.MLP`.
    """
    sizes = _sizes(sizes)
    dt = _checks.float_dtype(dtype)
    X = _checks.float_array(X, "X", ndim=2).astype(dt, copy=False)
    y = np.asarray(y)
    if y.shape != (X.shape[0],) or X.shape[1] != sizes[0]:
        raise ValueError(f"X must be (N, {sizes[0]}) and y (N,), got {X.shape} and {y.shape}")
    if not settings:
        raise ValueError("settings must name at least one Setting")
    lr_arr = np.array([_checks.nonnegative(v, "lrs") for v in lrs], dtype=np.float64)
    if lr_arr.size == 0:
        raise ValueError("lrs must hold at least one learning rate")
    epochs = _checks.nonnegative_int(epochs, "epochs")
    batch_size = _checks.positive_int(batch_size, "batch_size")
    momentum = _checks.nonnegative(momentum, "momentum")
    if momentum >= 1.0:
        raise ValueError(f"momentum must be below 1, got {momentum}")
    if (X_eval is None) != (y_eval is None) or (X_test is None) != (y_test is None):
        raise ValueError("X_eval and y_eval (and X_test and y_test) must be given together")
    if X_eval is None:
        X_eval, y_eval = X, y
    X_eval = _checks.float_array(X_eval, "X_eval", ndim=2).astype(dt, copy=False)
    y_eval = np.asarray(y_eval)
    steps = np.array(sorted({_checks.positive_int(s, "eval_steps") for s in eval_steps}), int)

    K, L, S = len(settings), lr_arr.size, len(rngs)
    W, b3 = init_runs(sizes, list(settings.values()), L, rngs, dt)
    b = [v[:, 0, :] for v in b3]  # (R, n_l) views: the core's bias shape
    R = K * L * S
    lr = np.repeat(np.tile(lr_arr, K), S)  # run r = (k·L + l)·S + s
    params = [*W, *b]
    velocity = [np.zeros_like(p) for p in params]
    alive = np.ones(R, dtype=bool)
    losses = np.full((R, steps.size), np.nan)
    n = X.shape[0]
    step = 0
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for _ in range(epochs):
            orders = np.stack([r.permutation(n) for r in rngs])  # (S, n)
            for start in range(0, n, batch_size):
                idx = np.tile(orders[:, start : start + batch_size], (K * L, 1))  # (R, B)
                fwd = batched.forward(W, b, X[idx])
                loss, delta = batched.softmax_cross_entropy(fwd.logits, y[idx])
                gW, gb, _ = batched.backward(W, fwd, delta)
                batched.momentum_step(params, velocity, [*gW, *gb], lr, momentum, alive)
                step += 1
                ok = batched.finite_members(loss, W)
                if not ok.all():
                    # a diverged run is frozen at zero: parameters, velocities and rate
                    batched.freeze(~ok & alive, *params, *velocity)
                    alive &= ok
                if step in steps:
                    lv = batched.cross_entropy(_forward(W, b, X_eval)[-1], y_eval)
                    losses[:, np.searchsorted(steps, step)] = np.where(alive, lv, np.nan)
        zs = _forward(W, b, X)
        final = batched.cross_entropy(zs[-1], y)
        dead = np.stack([(z <= 0).all(axis=-2).mean(axis=-1) for z in zs[:-1]], axis=-1)
        acc = np.full(R, np.nan)
        if X_test is not None:
            Xt = _checks.float_array(X_test, "X_test", ndim=2).astype(dt, copy=False)
            logits = _forward(W, b, Xt)[-1]
            acc = (logits.argmax(axis=-1) == np.asarray(y_test)).mean(axis=-1)
    shape = (K, L, S)
    return SweepResult(
        names=tuple(settings),
        lrs=lr_arr,
        eval_steps=steps,
        loss=losses.reshape(*shape, steps.size),
        final_loss=np.where(alive, final, np.nan).reshape(shape),
        accuracy=np.where(alive, acc, np.nan).reshape(shape),
        dead=np.where(alive[:, None], dead, np.nan).reshape(*shape, -1),
        diverged=(~alive).reshape(shape),
    )
