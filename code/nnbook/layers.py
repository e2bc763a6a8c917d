"""Layers as forward/backward pairs (chapter 1, eq-bp-forward to eq-bp-grads; chapter 5,
eq-do-forward and eq-do-backward).

Every layer works on a mini-batch whose rows are examples. ``forward(x, train=True)`` returns
the layer's output and remembers what ``backward`` needs; ``backward(dout)`` takes ∂J/∂out of
the output's shape and returns ∂J/∂x. Layers with parameters expose ``params`` and ``grads``
dicts with the same keys; each ``backward`` puts *new* gradient arrays into ``grads``, so a
gradient you hold on to is never overwritten by a later pass.

The public ``forward``/``backward`` check their arguments once (finite, right shape and dtype;
NaN or inf raises ``ValueError`` naming ``x`` or ``dout``) and call ``_forward``/``_backward``,
which are the equations and nothing else. :class:`nnbook.MLP` checks its own input once and
calls those directly. Every operation keeps the input's dtype: a float32 network computes in
float32 throughout.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _checks
from .activations import _sigmoid

__all__ = ["Dense", "Dropout", "Layer", "ReLU", "Sigmoid", "Tanh"]


class Layer:
    """Base class: a layer with no parameters unless a subclass adds some.

    Subclasses implement ``_forward(x, train) -> out`` and ``_backward(dout) -> dx``, the
    unchecked equations; the base class wraps them in the checked public methods.
    """

    params: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]

    def __init__(self) -> None:
        self.params = {}
        self.grads = {}
        self._out_shape: tuple[int, ...] | None = None

    def _forward(self, x: np.ndarray, train: bool) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _backward(self, dout: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _check_x(self, x: Any) -> np.ndarray:
        return _checks.float_array(x, "x", allow_empty=True)

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        """Checked forward pass: see the module docstring."""
        out = self._forward(self._check_x(x), train)
        self._out_shape = out.shape
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Checked backward pass: ``dout`` must be finite and of the last output's shape."""
        if self._out_shape is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward called before forward(x, train=True)"
            )
        dout = _checks.float_array(dout, "dout", allow_empty=True)
        if dout.shape != self._out_shape:
            raise ValueError(
                f"dout must have the output's shape {self._out_shape}, got {dout.shape}"
            )
        return self._backward(dout)


class Dense(Layer):
    """Affine layer z = x W + b, W of shape (fan_in, fan_out) (chapter 1, eq-bp-forward).

    Shapes: x (N, fan_in), W (fan_in, fan_out), b (fan_out,), z (N, fan_out).
    Backward (chapter 1, eq-bp-grads and eq-bp-recursion), with δ = ``dout`` = ∂J/∂z:
    ∂J/∂W = xᵀ δ, ∂J/∂b = Σ_rows δ, ∂J/∂x = δ Wᵀ. ``W`` and ``b`` are used as given (not
    copied), so an optimizer that updates ``params["W"]`` in place updates the layer.
    """

    def __init__(self, W: np.ndarray, b: np.ndarray) -> None:
        super().__init__()
        W = _checks.float_array(W, "W", ndim=2)
        b = _checks.float_array(b, "b", ndim=1)
        if b.shape[0] != W.shape[1]:
            raise ValueError(
                f"b must have fan_out = {W.shape[1]} entries to match W of shape {W.shape}, "
                f"got {b.shape[0]}"
            )
        if b.dtype != W.dtype:
            raise TypeError(f"b must have W's dtype {W.dtype}, got {b.dtype}")
        self.params = {"W": W, "b": b}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros_like(b)}
        self._x: np.ndarray | None = None

    @property
    def W(self) -> np.ndarray:
        return self.params["W"]

    @property
    def b(self) -> np.ndarray:
        return self.params["b"]

    def _check_x(self, x: Any) -> np.ndarray:
        W = self.params["W"]
        x = _checks.float_array(x, "x", ndim=2, allow_empty=True)
        if x.shape[1] != W.shape[0]:
            raise ValueError(
                f"x has {x.shape[1]} features but W expects fan_in = {W.shape[0]} "
                f"(x shape {x.shape}, W shape {W.shape})"
            )
        return x

    def _forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        x = x.astype(self.W.dtype, copy=False)
        self._x = x
        return x @ self.W + self.b

    def _param_grads(self, dout: np.ndarray) -> None:
        """∂J/∂W = xᵀ δ and ∂J/∂b = Σ_rows δ (eq-bp-grads), as new arrays in ``grads``.

        The network's first layer calls only this: no parameter needs ∂J/∂X.
        """
        assert self._x is not None
        self.grads = {"W": self._x.T @ dout, "b": dout.sum(axis=0)}

    def _backward(self, dout: np.ndarray) -> np.ndarray:
        self._param_grads(dout)
        return dout @ self.W.T


class Sigmoid(Layer):
    """a = σ(z) elementwise; backward δ = dout ⊙ a(1 − a) (chapter 1, eq-bp-sigmoid-prime)."""

    def _forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self._out = _sigmoid(x)
        return self._out

    def _backward(self, dout: np.ndarray) -> np.ndarray:
        a = self._out
        return dout * (a * (1 - a))


class Tanh(Layer):
    """a = tanh(z) elementwise; backward δ = dout ⊙ (1 − a²) (chapter 1, eq-bp-tanh-prime)."""

    def _forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self._out = np.tanh(x)
        return self._out

    def _backward(self, dout: np.ndarray) -> np.ndarray:
        a = self._out
        return dout * (1 - a * a)


class ReLU(Layer):
    """a = max(z, 0) elementwise; backward δ = dout ⊙ [z > 0] (chapter 1, eq-bp-relu-prime).

    The kink z = 0 gets slope 0, TensorFlow's choice.
    """

    def _forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self._z = x
        return np.maximum(x, 0)

    def _backward(self, dout: np.ndarray) -> np.ndarray:
        return dout * (self._z > 0)


class Dropout(Layer):
    """Inverted dropout on unit activations (chapter 5, eq-do-mask, eq-do-forward, eq-do-backward).

    ``keep_prob`` is the probability of *keeping* a unit: the dropout paper's p, and
    ``1 - rate`` for Keras/TensorFlow's ``rate``. In training, a fresh Bernoulli(keep_prob)
    mask M is drawn for every example and every forward pass and the output is
    (1/p) A ⊙ M, so E[output] = input; at test time (``train=False``) the layer is the
    identity. ``backward`` multiplies by the same (1/p) M as the last forward pass.

    For a gradient check, ``freeze(mask)`` fixes the mask used by every training-mode
    forward pass until ``unfreeze()``; ``freeze()`` with no argument freezes the last mask.
    """

    def __init__(self, keep_prob: float, rng: np.random.Generator) -> None:
        super().__init__()
        self.keep_prob = _checks.probability(keep_prob, "keep_prob")
        self.rng = _checks.rng(rng)
        self.mask: np.ndarray | None = None  # bool mask of the last training forward pass
        self.frozen = False
        self._scale: np.ndarray | None = None  # M / p in the input's dtype

    def freeze(self, mask: np.ndarray | None = None) -> None:
        """Reuse ``mask`` (or the last mask) in every training forward pass until unfreeze()."""
        if mask is None:
            if self.mask is None:
                raise RuntimeError("Dropout.freeze() needs a mask: run forward(x) first")
            mask = self.mask
        mask = _checks.bool_mask(mask)
        self.mask = mask
        self.frozen = True

    def unfreeze(self) -> None:
        """Draw a fresh mask on every training forward pass again."""
        self.frozen = False

    def _forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        if not train:
            self._scale = None
            return x.copy()
        if not self.frozen:
            self.mask = self.rng.random(x.shape) < self.keep_prob
        assert self.mask is not None
        if self.mask.shape != x.shape:
            raise ValueError(
                f"the frozen mask has shape {self.mask.shape} but x has shape {x.shape}"
            )
        inv = 1.0 / self.keep_prob
        if inv > float(np.finfo(x.dtype).max):
            raise ValueError(
                f"keep_prob = {self.keep_prob} is too small for {x.dtype}: 1/keep_prob overflows"
            )
        self._scale = self.mask * x.dtype.type(inv)  # (1/p) M
        return x * self._scale

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        """Checked forward pass; also refuses an output that x / keep_prob made overflow."""
        with np.errstate(over="ignore"):
            out = super().forward(x, train)
        if not np.isfinite(out).all():
            raise ValueError(
                f"keep_prob = {self.keep_prob} is too small for {out.dtype}: "
                "x / keep_prob overflows"
            )
        return out

    def _backward(self, dout: np.ndarray) -> np.ndarray:
        if self._scale is None:  # the last forward pass was in test mode: the identity
            return dout.copy()
        return dout * self._scale
