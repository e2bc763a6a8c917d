"""2-D convolution, max-pooling and flattening in NumPy (chapter 4, implementation notes).

Chapter 4's equations: ``eq-vgg-conv`` (the convolution), ``eq-vgg-same`` (SAME padding),
``eq-vgg-pool`` (max-pooling) and ``eq-vgg-backward`` (the gradients).

Layout is TensorFlow's default: an input batch is NHWC, ``x[n, i, j, c]``, and a kernel has
shape ``(kh, kw, c_in, c_out)``. The convolution (a cross-correlation, as in every deep-learning
library) with stride ``s`` is

    z[n, i, j, o] = Σ_{p, q, c} x_pad[n, s·i + p, s·j + q, c] · W[p, q, c, o]   (eq-vgg-conv)

where ``x_pad`` is ``x`` with zeros added around the border as ``padding`` asks:

* ``"VALID"``: no padding; the output has ``floor((H − kh) / s) + 1`` rows.
* ``"SAME"``: ``ceil(H / s)`` output rows, and TensorFlow's padding (eq-vgg-same)
  ``pad_total = max((ceil(H / s) − 1)·s + kh − H, 0)``, ``pad_top = pad_total // 2`` and the
  rest at the bottom, so an odd total puts the extra row at the bottom (the same for columns).

:func:`conv2d` computes eq-vgg-conv as one matrix product: every receptive field is copied into
a row of an "im2col" matrix of shape ``(N·H_out·W_out, kh·kw·c_in)`` (built from
``numpy.lib.stride_tricks.sliding_window_view``), which multiplies the kernel reshaped to
``(kh·kw·c_in, c_out)``. :func:`conv2d_backward` gives ∂J/∂x and ∂J/∂W from ∂J/∂z
(eq-vgg-backward).

:func:`max_pool` takes the largest value of every window (eq-vgg-pool); in ``"SAME"`` mode the
padded positions hold −inf, so they never win, as in ``tf.nn.max_pool``. Its backward pass
sends each output's gradient to the first maximal entry of its window (row-major order).

The layer classes :class:`Conv2D`, :class:`MaxPool2D` and :class:`Flatten` wrap these
functions with the ``forward``/``backward``/``params``/``grads`` interface of
:mod:`nnbook.layers`.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import _checks
from .layers import Layer

__all__ = [
    "Conv2D",
    "Flatten",
    "MaxPool2D",
    "bias_add",
    "conv2d",
    "conv2d_backward",
    "flatten",
    "max_pool",
    "max_pool_backward",
    "output_size",
    "padding_amounts",
]

Pair = int | Sequence[int]


# ---------------------------------------------------------------------------- argument checks
def _padding(value: Any) -> str:
    """``"SAME"`` or ``"VALID"`` (either case) as upper case; anything else is refused."""
    if not isinstance(value, str):
        raise TypeError(f"padding must be the string 'SAME' or 'VALID', got {value!r}")
    upper = value.upper()
    if upper not in ("SAME", "VALID"):
        raise ValueError(f"padding must be 'SAME' or 'VALID', got {value!r}")
    return upper


def _pair(value: Any, name: str) -> tuple[int, int]:
    """A positive int, or a pair of them, as ``(rows, cols)``."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        v = _checks.positive_int(value, name)
        return v, v
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
        raise TypeError(f"{name} must be a positive integer or a pair of them, got {value!r}")
    return _checks.positive_int(value[0], name), _checks.positive_int(value[1], name)


def _nhwc(x: Any, name: str = "x") -> np.ndarray:
    return _checks.float_array(x, name, ndim=4)


def _kernel(W: Any, x: np.ndarray) -> np.ndarray:
    W = _checks.float_array(W, "W", ndim=4)
    if W.shape[2] != x.shape[3]:
        raise ValueError(
            f"W has {W.shape[2]} input channels (shape {W.shape}) but x has {x.shape[3]} "
            f"channels (shape {x.shape}); W must be (kh, kw, c_in, c_out)"
        )
    return W


# ---------------------------------------------------------------------------- padding
def padding_amounts(size: int, kernel: int, stride: int, padding: str) -> tuple[int, int, int]:
    """``(out, before, after)`` along one spatial axis, as TensorFlow computes them (eq-vgg-same).

    ``"SAME"``: ``out = ceil(size / stride)``, ``total = max((out − 1)·stride + kernel − size,
    0)``, ``before = total // 2``, ``after = total − before``. ``"VALID"``: no padding and
    ``out = (size − kernel) // stride + 1``; a window larger than the input raises ValueError.
    """
    size = _checks.positive_int(size, "size")
    kernel = _checks.positive_int(kernel, "kernel")
    stride = _checks.positive_int(stride, "stride")
    padding = _padding(padding)
    if padding == "SAME":
        out = -(-size // stride)
        total = max((out - 1) * stride + kernel - size, 0)
        return out, total // 2, total - total // 2
    if kernel > size:
        raise ValueError(
            f"kernel ({kernel}) is larger than the input ({size}): 'VALID' gives no output"
        )
    return (size - kernel) // stride + 1, 0, 0


def output_size(size: int, kernel: int, stride: int, padding: str) -> int:
    """Number of output positions along one axis (the first entry of :func:`padding_amounts`)."""
    return padding_amounts(size, kernel, stride, padding)[0]


def _geometry(
    x: np.ndarray, kh: int, kw: int, stride: Pair, padding: Any
) -> tuple[tuple[int, int], tuple[int, int, int], tuple[int, int, int]]:
    sh, sw = _pair(stride, "stride")
    padding = _padding(padding)
    rows = padding_amounts(x.shape[1], kh, sh, padding)
    cols = padding_amounts(x.shape[2], kw, sw, padding)
    return (sh, sw), rows, cols


def _pad(x: np.ndarray, rows: tuple[int, int, int], cols: tuple[int, int, int], value: float):
    if rows[1] == rows[2] == cols[1] == cols[2] == 0:
        return x
    width = ((0, 0), (rows[1], rows[2]), (cols[1], cols[2]), (0, 0))
    return np.pad(x, width, mode="constant", constant_values=value)


def _windows(
    xp: np.ndarray, kh: int, kw: int, strides: tuple[int, int], ho: int, wo: int
) -> np.ndarray:
    """View of shape (N, ho, wo, C, kh, kw): window (i, j) starts at (s_h·i, s_w·j) of ``xp``."""
    view = sliding_window_view(xp, (kh, kw), axis=(1, 2))
    return view[
        :, : strides[0] * (ho - 1) + 1 : strides[0], : strides[1] * (wo - 1) + 1 : strides[1]
    ]


def _im2col(x: np.ndarray, kh: int, kw: int, stride: Pair, padding: Any):
    strides, rows, cols = _geometry(x, kh, kw, stride, padding)
    xp = _pad(x, rows, cols, 0.0)
    win = _windows(xp, kh, kw, strides, rows[0], cols[0])  # (N, ho, wo, C, kh, kw)
    # Reorder to (N, ho, wo, kh, kw, C) so a row matches W.reshape(kh * kw * C, c_out).
    col = win.transpose(0, 1, 2, 4, 5, 3).reshape(-1, kh * kw * x.shape[3])
    return col, strides, rows, cols


# ---------------------------------------------------------------------------- convolution
def conv2d(x: np.ndarray, W: np.ndarray, stride: Pair = 1, padding: str = "SAME") -> np.ndarray:
    """2-D convolution of an NHWC batch with a (kh, kw, c_in, c_out) kernel (ch. 4, eq-vgg-conv).

    Same arguments and result as ``tf.nn.conv2d(x, W, strides=stride, padding=padding)``;
    ``stride`` is an int or a ``(rows, cols)`` pair, ``padding`` is ``"SAME"`` or ``"VALID"``
    (eq-vgg-same). No bias: add one with :func:`bias_add`. Returns an array of shape
    ``(N, H_out, W_out, c_out)`` in the common dtype of ``x`` and ``W``.
    """
    x = _nhwc(x)
    W = _kernel(W, x)
    kh, kw, cin, cout = W.shape
    dt = np.result_type(x.dtype, W.dtype)
    col, _, rows, cols = _im2col(x.astype(dt, copy=False), kh, kw, stride, padding)
    out = col @ W.astype(dt, copy=False).reshape(kh * kw * cin, cout)
    return out.reshape(x.shape[0], rows[0], cols[0], cout)


def conv2d_backward(
    dout: np.ndarray, x: np.ndarray, W: np.ndarray, stride: Pair = 1, padding: str = "SAME"
) -> tuple[np.ndarray, np.ndarray]:
    """Gradients ``(dx, dW)`` of eq-vgg-conv given ``dout`` = ∂J/∂z (chapter 4, eq-vgg-backward).

    ``dW = colᵀ · dout`` (the im2col matrix transposed times the flattened output gradient),
    and ``dx`` is ``dout · Wᵀ`` folded back onto the padded input, every receptive field adding
    its share ("col2im"), with the padding then cut off. ``x``, ``W``, ``stride`` and
    ``padding`` must be those of the forward pass.
    """
    x = _nhwc(x)
    W = _kernel(W, x)
    kh, kw, cin, cout = W.shape
    dt = np.result_type(x.dtype, W.dtype)
    col, strides, rows, cols = _im2col(x.astype(dt, copy=False), kh, kw, stride, padding)
    expected = (x.shape[0], rows[0], cols[0], cout)
    dout = _checks.float_array(dout, "dout", ndim=4)
    if dout.shape != expected:
        raise ValueError(f"dout must have the output's shape {expected}, got {dout.shape}")
    d2 = dout.astype(dt, copy=False).reshape(-1, cout)
    Wm = W.astype(dt, copy=False).reshape(kh * kw * cin, cout)
    dW = (col.T @ d2).reshape(W.shape)
    dcol = (d2 @ Wm.T).reshape(x.shape[0], rows[0], cols[0], kh, kw, cin)
    n, h, w, _ = x.shape
    dxp = np.zeros((n, h + rows[1] + rows[2], w + cols[1] + cols[2], cin), dtype=dt)
    hspan, wspan = strides[0] * (rows[0] - 1) + 1, strides[1] * (cols[0] - 1) + 1
    for p in range(kh):
        for q in range(kw):
            dxp[:, p : p + hspan : strides[0], q : q + wspan : strides[1], :] += dcol[:, :, :, p, q]
    return dxp[:, rows[1] : rows[1] + h, cols[1] : cols[1] + w, :], dW


def bias_add(x: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``x + b`` with ``tf.nn.bias_add``'s checks: ``b`` is 1-D with one entry per channel.

    Plain broadcasting would also accept, say, a ``(H, 1, 1)`` array and add it along the
    wrong axis without complaint (chapter 4, section on ``bias_add``); this refuses it.
    """
    x = _checks.float_array(x, "x")
    b = _checks.float_array(b, "b")
    if x.ndim < 2:
        raise ValueError(f"x must have at least 2 dimensions, got shape {x.shape}")
    if b.ndim != 1:
        raise ValueError(f"b must be 1-dimensional (one bias per channel), got shape {b.shape}")
    if b.shape[0] != x.shape[-1]:
        raise ValueError(
            f"b must have one entry per channel (the last axis of x, {x.shape[-1]}), "
            f"got {b.shape[0]}"
        )
    return x + b


# ---------------------------------------------------------------------------- pooling
def _pool_windows(x: np.ndarray, size: Pair, stride: Pair, padding: Any):
    kh, kw = _pair(size, "size")
    strides, rows, cols = _geometry(x, kh, kw, stride, padding)
    xp = _pad(x, rows, cols, -np.inf)
    win = _windows(xp, kh, kw, strides, rows[0], cols[0])  # (N, ho, wo, C, kh, kw)
    return win, (kh, kw), strides, rows, cols


def max_pool(x: np.ndarray, size: Pair = 2, stride: Pair = 2, padding: str = "SAME") -> np.ndarray:
    """Max-pooling of an NHWC batch (chapter 4, eq-vgg-pool), like ``tf.nn.max_pool``.

    ``out[n, i, j, c] = max_{p < kh, q < kw} x_pad[n, s·i + p, s·j + q, c]`` with ``x_pad``
    padded by −inf as eq-vgg-same says, so a padded position never wins.
    """
    x = _nhwc(x)
    win = _pool_windows(x, size, stride, padding)[0]
    return win.max(axis=(4, 5))


def max_pool_backward(
    dout: np.ndarray, x: np.ndarray, size: Pair = 2, stride: Pair = 2, padding: str = "SAME"
) -> np.ndarray:
    """∂J/∂x of :func:`max_pool`: each output's gradient goes to its window's maximum.

    When a window holds several equal maxima the first one in row-major order gets all of it
    (a valid subgradient). Overlapping windows (``stride < size``) add up.
    """
    x = _nhwc(x)
    win, (kh, kw), strides, rows, cols = _pool_windows(x, size, stride, padding)
    n, ho, wo, c = win.shape[:4]
    dout = _checks.float_array(dout, "dout", ndim=4)
    if dout.shape != (n, ho, wo, c):
        raise ValueError(f"dout must have the output's shape {(n, ho, wo, c)}, got {dout.shape}")
    arg = win.reshape(n, ho, wo, c, kh * kw).argmax(axis=4)
    h, w = x.shape[1], x.shape[2]
    dxp = np.zeros((n, h + rows[1] + rows[2], w + cols[1] + cols[2], c), dtype=x.dtype)
    hspan, wspan = strides[0] * (ho - 1) + 1, strides[1] * (wo - 1) + 1
    for p in range(kh):
        for q in range(kw):
            share = np.where(arg == p * kw + q, dout, 0.0)
            dxp[:, p : p + hspan : strides[0], q : q + wspan : strides[1], :] += share
    return dxp[:, rows[1] : rows[1] + h, cols[1] : cols[1] + w, :]


def flatten(x: np.ndarray) -> np.ndarray:
    """Reshape ``(N, ...)`` to ``(N, prod(...))`` in row-major (NHWC) order, as ``tf.reshape``.

    The result is a new array, not a view of ``x``: writing into one never changes the other.
    """
    x = _checks.float_array(x, "x")
    if x.ndim < 2:
        raise ValueError(f"x must have a batch axis and at least one more, got shape {x.shape}")
    return x.reshape(x.shape[0], -1).copy()


# ---------------------------------------------------------------------------- layers
class Conv2D(Layer):
    """Convolution plus bias, ``z = conv2d(x, W) + b`` (chapter 4, eq-vgg-conv, eq-vgg-backward).

    ``W`` has shape (kh, kw, c_in, c_out) and ``b`` shape (c_out,); both are used as given (not
    copied). ``backward(dout)`` fills ``grads["W"]`` and ``grads["b"]`` (the sum of ``dout``
    over batch, rows and columns) and returns ∂J/∂x. The checked ``forward``/``backward`` of
    :class:`nnbook.layers.Layer` wrap the kernels below.
    """

    def __init__(
        self, W: np.ndarray, b: np.ndarray, stride: Pair = 1, padding: str = "SAME"
    ) -> None:
        super().__init__()
        W = _checks.float_array(W, "W", ndim=4)
        b = _checks.float_array(b, "b", ndim=1)
        if b.shape[0] != W.shape[3]:
            raise ValueError(
                f"b must have c_out = {W.shape[3]} entries to match W of shape {W.shape}, "
                f"got {b.shape[0]}"
            )
        if b.dtype != W.dtype:
            raise TypeError(f"b must have W's dtype {W.dtype}, got {b.dtype}")
        self.stride = _pair(stride, "stride")
        self.padding = _padding(padding)
        self.params = {"W": W, "b": b}
        self.grads = {"W": np.zeros_like(W), "b": np.zeros_like(b)}
        self._x: np.ndarray | None = None

    def _check_x(self, x: Any) -> np.ndarray:
        x = _checks.float_array(x, "x", ndim=4)
        _kernel(self.params["W"], x)
        return x

    def _forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        x = x.astype(self.params["W"].dtype, copy=False)
        self._x = x
        out = conv2d(x, self.params["W"], self.stride, self.padding)
        out += self.params["b"]
        return out

    def _backward(self, dout: np.ndarray) -> np.ndarray:
        assert self._x is not None
        dx, dW = conv2d_backward(dout, self._x, self.params["W"], self.stride, self.padding)
        # New arrays every call: a caller's earlier grads are never overwritten.
        self.grads = {"W": dW, "b": dout.sum(axis=(0, 1, 2))}
        return dx


class MaxPool2D(Layer):
    """Max-pooling layer around :func:`max_pool` / :func:`max_pool_backward` (eq-vgg-pool)."""

    def __init__(self, size: Pair = 2, stride: Pair = 2, padding: str = "SAME") -> None:
        super().__init__()
        self.size = _pair(size, "size")
        self.stride = _pair(stride, "stride")
        self.padding = _padding(padding)
        self._x: np.ndarray | None = None

    def _check_x(self, x: Any) -> np.ndarray:
        return _checks.float_array(x, "x", ndim=4)

    def _forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        self._x = x
        return max_pool(x, self.size, self.stride, self.padding)

    def _backward(self, dout: np.ndarray) -> np.ndarray:
        assert self._x is not None
        return max_pool_backward(dout, self._x, self.size, self.stride, self.padding)


class Flatten(Layer):
    """``(N, ...) -> (N, prod(...))``; backward reshapes the gradient back (new arrays)."""

    def __init__(self) -> None:
        super().__init__()
        self._shape: tuple[int, ...] | None = None

    def _forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        out = flatten(x)
        self._shape = x.shape
        return out

    def _backward(self, dout: np.ndarray) -> np.ndarray:
        assert self._shape is not None
        return dout.reshape(self._shape).copy()  # never a view of the caller's dout
