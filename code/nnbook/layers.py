"""Layers as forward/backward pairs (chapter 1, eqs. (1.5)-(1.8); chapter 5, eqs. (5.1)-(5.4)).

Every layer works on a mini-batch whose rows are examples. ``forward(x, train=True)``
returns the layer's output and remembers what ``backward`` needs; ``backward(dout)`` takes
∂J/∂out of the same shape as the output and returns ∂J/∂x. Layers with parameters expose
``params`` and ``grads`` dicts with the same keys; ``backward`` overwrites the arrays in
``grads`` in place (so hold a copy if you need last step's gradient).

The public ``forward``/``backward`` check their arguments (finite, right shape and dtype; NaN or
inf raises ``ValueError`` naming ``x`` or ``dout``) and then call the unchecked kernels
``_forward``/``_backward``, which :class:`nnbook.MLP` calls directly after checking its own
input once.

The kernels avoid needless copies and temporaries (appendix "How fast is from-scratch NumPy?"):
``_backward_inplace(g)`` may overwrite ``g`` with the result (the network uses it on gradients
it allocated itself; the public ``backward`` never overwrites its argument), and
``Dense._param_grads`` fills ∂J/∂W and ∂J/∂b without the product δ Wᵀ that only ∂J/∂x needs.
Every operation keeps the input's dtype: a float32 network computes in float32 throughout.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _checks
from .activations import _sigmoid

__all__ = ["Dense", "Dropout", "Layer", "ReLU", "Sigmoid", "Tanh"]


class Layer:
    """Base class: a layer with no parameters unless a subclass adds some."""

    params: dict[str, np.ndarray]
    grads: dict[str, np.ndarray]

    def __init__(self) -> None:
        self.params = {}
        self.grads = {}
        self._out_shape: tuple[int, ...] | None = None

    # unchecked kernels, implemented by subclasses
    def _forward(self, x: np.ndarray, train: bool) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _backward(self, dout: np.ndarray) -> np.ndarray:  # pragma: no cover
        raise NotImplementedError

    def _backward_inplace(self, dout: np.ndarray) -> np.ndarray:
        """``_backward`` that may overwrite ``dout`` (which the caller owns) with the result."""
        return self._backward(dout)

    def _check_x(self, x: Any) -> np.ndarray:
        return _checks.float_array(x, "x", allow_empty=True)

    # helpers for subclasses that override forward/backward themselves
    def _need_forward(self, cached: Any) -> None:
        if cached is None:
            raise RuntimeError(
                f"{type(self).__name__}.backward called before forward(x, train=True)"
            )

    @staticmethod
    def _check_dout(dout: Any, expected_shape: tuple[int, ...]) -> np.ndarray:
        dout = _checks.float_array(dout, "dout", allow_empty=True)
        if dout.shape != expected_shape:
            raise ValueError(
                f"dout must have the output's shape {expected_shape}, got {dout.shape}"
            )
        return dout

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
        W = self.params["W"]
        if x.dtype != W.dtype:
            x = x.astype(W.dtype)
        self._x = x
        out = x @ W
        out += self.params["b"]  # in place: no second (N, fan_out) temporary
        return out

    def _param_grads(self, dout: np.ndarray) -> None:
        """Fill ``grads`` (∂J/∂W = xᵀ δ, ∂J/∂b = Σ_rows δ) in place, without computing ∂J/∂x."""
        x = self._x
        assert x is not None
        np.matmul(x.T, dout, out=self.grads["W"])  # BLAS writes straight into the gradient
        np.sum(dout, axis=0, out=self.grads["b"])

    def _backward(self, dout: np.ndarray) -> np.ndarray:
        self._param_grads(dout)
        return dout @ self.params["W"].T


class Sigmoid(Layer):
    """Elementwise σ; backward multiplies by σ(z)(1 − σ(z)) from the stored output (eq. (1.10))."""

    def _forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self._out = _sigmoid(x)
        return self._out

    def _backward(self, dout: np.ndarray) -> np.ndarray:
        s = self._out
        dx = np.subtract(1.0, s, dtype=s.dtype)
        dx *= s
        dx *= dout
        return dx

    def _backward_inplace(self, dout: np.ndarray) -> np.ndarray:
        s = self._out
        ds = np.subtract(1.0, s, dtype=s.dtype)  # the one temporary: σ(1 − σ)
        ds *= s
        dout *= ds
        return dout


class Tanh(Layer):
    """Elementwise tanh; backward multiplies by 1 − tanh(z)² from the stored output (eq. (1.11))."""

    def _forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self._out = np.tanh(x)
        return self._out

    def _backward(self, dout: np.ndarray) -> np.ndarray:
        t = self._out
        dx = t * t
        np.subtract(1.0, dx, out=dx)
        dx *= dout
        return dx

    def _backward_inplace(self, dout: np.ndarray) -> np.ndarray:
        t = self._out
        dt = t * t  # the one temporary: 1 − tanh²
        np.subtract(1.0, dt, out=dt)
        dout *= dt
        return dout


class ReLU(Layer):
    """Elementwise max(z, 0); backward passes the gradient where z > 0 (eq. (1.12))."""

    def _forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self._out = np.maximum(x, x.dtype.type(0))
        return self._out

    def _backward(self, dout: np.ndarray) -> np.ndarray:
        return self._backward_inplace(dout.copy())

    def _backward_inplace(self, dout: np.ndarray) -> np.ndarray:
        # out > 0 exactly where z > 0, so the stored output is enough. ``dout[out <= 0] = 0``
        # says the same, but a boolean-mask assignment branches on every entry and runs about
        # 15x slower than this branch-free version: the mask as integers 0 or -1 (all bits
        # set) is ANDed with dout's bit pattern, which keeps an entry bit for bit or makes it
        # +0.0 (also for inf, where dout * mask would give NaN).
        keep = np.asarray(np.greater(self._out, 0)).view(np.int8)
        np.negative(keep, out=keep)  # 1 -> -1: every bit set
        bits = dout.view(f"i{dout.itemsize}")
        np.bitwise_and(bits, keep, out=bits)
        return dout


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
        mask = _checks.bool_mask(mask)
        self.mask = mask
        self.frozen = True

    def unfreeze(self) -> None:
        """Draw a fresh mask on every training forward pass again."""
        self.frozen = False

    def _forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        if not train:
            self._scale = None
            return x
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
        scale = self.mask.astype(x.dtype)
        scale *= x.dtype.type(inv)
        self._scale = scale
        return x * scale

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
            return dout
        return dout * self._scale

    def _backward_inplace(self, dout: np.ndarray) -> np.ndarray:
        if self._scale is not None:
            dout *= self._scale
        return dout
