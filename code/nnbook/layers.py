"""Layers as forward/backward pairs (chapter 1, eqs. (1.5)-(1.8); chapter 5, eqs. (5.1)-(5.4)).

Every layer works on a mini-batch whose rows are examples. ``forward(x, train=True)``
returns the layer's output and remembers what ``backward`` needs; ``backward(dout)`` takes
∂J/∂out of the same shape as the output and returns ∂J/∂x. Layers with parameters expose
``params`` and ``grads`` dicts with the same keys; ``backward`` overwrites the arrays in
``grads`` in place (so hold a copy if you need last step's gradient).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _checks
from .activations import relu, sigmoid

__all__ = ["Dense", "Dropout", "Layer", "ReLU", "Sigmoid", "Tanh"]


class Layer:
    """Base class: a layer with no parameters unless a subclass adds some."""

    params: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]

    def __init__(self) -> None:
        self.params = {}
        self.grads = {}

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def backward(self, dout: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _need_forward(self, cached: Any) -> None:
        if cached is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward called before forward(x, train=True)"
            )

    @staticmethod
    def _check_dout(dout: Any, expected_shape: tuple[int, ...]) -> np.ndarray:
        dout = _checks.float_array(dout, "dout", finite=False, allow_empty=True)
        if dout.shape != expected_shape:
            raise ValueError(
                f"dout must have the output's shape {expected_shape}, got {dout.shape}"
            )
        return dout


class Dense(Layer):
    """Affine layer z = x W + b with W of shape (fan_in, fan_out) (chapter 1, eq. (1.5)).

    Backward (eq. (1.8)): ∂J/∂W = xᵀ δ, ∂J/∂b = Σ_rows δ, ∂J/∂x = δ Wᵀ, where δ = ``dout``.
    The arrays ``W`` and ``b`` are used as given (not copied), so an optimizer that updates
    ``params["W"]`` in place updates the layer.
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

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        W, b = self.params["W"], self.params["b"]
        x = _checks.float_array(x, "x", ndim=2, finite=False, allow_empty=True)
        if x.shape[1] != W.shape[0]:
            raise ValueError(
                f"x has {x.shape[1]} features but W expects fan_in = {W.shape[0]} "
                f"(x shape {x.shape}, W shape {W.shape})"
            )
        if x.dtype != W.dtype:
            x = x.astype(W.dtype)
        self._x = x
        out = x @ W
        out += b  # in place: no second (N, fan_out) temporary
        return out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self._need_forward(self._x)
        x, W = self._x, self.params["W"]
        dout = self._check_dout(dout, (x.shape[0], W.shape[1]))
        np.matmul(x.T, dout, out=self.grads["W"])
        np.sum(dout, axis=0, out=self.grads["b"])
        return dout @ W.T


class Sigmoid(Layer):
    """Elementwise σ; backward multiplies by σ(z)(1 − σ(z)) from the stored output (eq. (1.10))."""

    def __init__(self) -> None:
        super().__init__()
        self._out: np.ndarray | None = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        x = _checks.float_array(x, "x", finite=False, allow_empty=True)
        self._out = sigmoid(x)
        return self._out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self._need_forward(self._out)
        s = self._out
        dout = self._check_dout(dout, s.shape)
        return dout * s * (1.0 - s)


class Tanh(Layer):
    """Elementwise tanh; backward multiplies by 1 − tanh(z)² from the stored output (eq. (1.11))."""

    def __init__(self) -> None:
        super().__init__()
        self._out: np.ndarray | None = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        x = _checks.float_array(x, "x", finite=False, allow_empty=True)
        self._out = np.tanh(x)
        return self._out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self._need_forward(self._out)
        t = self._out
        dout = self._check_dout(dout, t.shape)
        dx = t * t
        np.subtract(1.0, dx, out=dx)
        dx *= dout
        return dx


class ReLU(Layer):
    """Elementwise max(z, 0); backward passes the gradient where z > 0 (eq. (1.12))."""

    def __init__(self) -> None:
        super().__init__()
        self._out: np.ndarray | None = None

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        x = _checks.float_array(x, "x", finite=False, allow_empty=True)
        self._out = relu(x)
        return self._out

    def backward(self, dout: np.ndarray) -> np.ndarray:
        self._need_forward(self._out)
        out = self._out
        dout = self._check_dout(dout, out.shape)
        # out > 0 exactly where z > 0, so the stored output is enough.
        return np.where(out > 0, dout, 0).astype(dout.dtype, copy=False)


class Dropout(Layer):
    """Inverted dropout on unit activations (chapter 5, eqs. (5.1)-(5.4)).

    ``keep_prob`` is the probability of *keeping* a unit: the dropout paper's p, and
    ``1 - rate`` for Keras/TensorFlow's ``rate``. In training, a fresh Bernoulli(keep_prob)
    mask is drawn for every example and every forward pass and the kept units are divided by
    ``keep_prob``, so E[output] = input; at test time (``train=False``) the layer is the
    identity. ``backward`` multiplies by the same mask and scale as the last forward pass.

    For a gradient check, ``freeze(mask)`` fixes the mask used by every training-mode
    forward pass until ``unfreeze()``; ``freeze()`` with no argument freezes the last mask.
    """

    def __init__(self, keep_prob: float, rng: np.random.Generator) -> None:
        super().__init__()
        self.keep_prob = _checks.probability(keep_prob, "keep_prob")
        self.rng = _checks.rng(rng)
        self.mask: np.ndarray | None = None  # bool mask of the last training forward pass
        self.frozen = False
        self._scale: np.ndarray | None = None  # mask / keep_prob in the input's dtype

    def freeze(self, mask: np.ndarray | None = None) -> None:
        """Reuse ``mask`` (or the last mask) in every training forward pass until unfreeze()."""
        if mask is None:
            if self.mask is None:
                raise RuntimeError("Dropout.freeze() needs a mask: run forward(x) first")
            mask = self.mask
        mask = np.asarray(mask)
        if mask.dtype != np.bool_:
            if not np.all((mask == 0) | (mask == 1)):
                raise ValueError("mask must hold only 0/1 (or bool) entries")
            mask = mask.astype(bool)
        self.mask = mask
        self.frozen = True

    def unfreeze(self) -> None:
        """Draw a fresh mask on every training forward pass again."""
        self.frozen = False

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        x = _checks.float_array(x, "x", finite=False, allow_empty=True)
        if not train:
            self._scale = None
            return x
        if self.frozen:
            assert self.mask is not None
            if self.mask.shape != x.shape:
                raise ValueError(
                    f"the frozen mask has shape {self.mask.shape} but x has shape {x.shape}"
                )
        else:
            self.mask = self.rng.random(x.shape) < self.keep_prob
        scale = self.mask.astype(x.dtype)
        scale *= x.dtype.type(1.0 / self.keep_prob)
        self._scale = scale
        return x * scale

    def backward(self, dout: np.ndarray) -> np.ndarray:
        if self._scale is None:
            # test-mode forward: the identity
            return _checks.float_array(dout, "dout", finite=False, allow_empty=True)
        dout = self._check_dout(dout, self._scale.shape)
        return dout * self._scale
