"""Weight initializers (chapter 3, eq-ws-forward to eq-ws-trunc; chapter 2 for zeros).

Convention: a dense weight matrix has shape ``(fan_in, fan_out)`` so that a mini-batch
``X`` of shape ``(N, fan_in)`` maps to ``X @ W`` of shape ``(N, fan_out)``. A convolution
kernel has TensorFlow's shape ``(kh, kw, in_channels, out_channels)``; its receptive field
``kh * kw`` multiplies both fans.

Every sampling function takes an explicit ``numpy.random.Generator`` (``rng``) and a
``dtype``; nothing here touches NumPy's global random state. All normals are plain
(untruncated) unless the name says ``truncated``. Where Keras ships an initializer of the same
idea, the docstring says how the two relate: Keras' ``*_normal`` variance-scaling
initializers draw from a truncated normal whose ``stddev`` is divided by 0.87962566 so
that the *variance* matches the formula; ours draw from a plain normal with that same
variance, so the second moments agree and only the tails differ.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.typing import DTypeLike

from . import _checks

__all__ = [
    "TRUNCATED_NORMAL_STD_FACTOR",
    "constant",
    "fans",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "lecun_normal",
    "lecun_uniform",
    "normal",
    "orthogonal",
    "sparse",
    "standard_uniform",
    "truncated_normal",
    "uniform",
    "zeros",
]

Shape = int | Sequence[int]

#: Standard deviation of a unit normal truncated to [-2, 2]: sqrt(1 - 4 φ(2) / (2Φ(2) - 1)).
#: Keras divides its requested std by this number in ``VarianceScaling`` (chapter 3, eq-ws-trunc).
TRUNCATED_NORMAL_STD_FACTOR = 0.87962566103423978


def fans(shape: Shape) -> tuple[int, int]:
    """Return ``(fan_in, fan_out)`` of a weight shape (chapter 3, eq-ws-forward).

    Dense ``(fan_in, fan_out)`` gives itself; a kernel ``(kh, kw, ..., in, out)`` gives
    ``(kh*kw*...*in, kh*kw*...*out)`` as Keras does. Shapes with fewer than two dimensions
    cannot give fans and raise ``ValueError``.
    """
    dims = _checks.shape(shape, "shape", min_ndim=2)
    receptive = math.prod(dims[:-2])
    return dims[-2] * receptive, dims[-1] * receptive


def zeros(shape: Shape, dtype: DTypeLike = np.float64) -> np.ndarray:
    """All zeros (chapter 2: the initialization that never breaks symmetry)."""
    return np.zeros(_checks.shape(shape), dtype=_checks.float_dtype(dtype))


def constant(shape: Shape, value: float, dtype: DTypeLike = np.float64) -> np.ndarray:
    """Every entry equal to ``value`` (chapter 2; Keras ``Constant``)."""
    return np.full(
        _checks.shape(shape), _checks.real(value, "value"), dtype=_checks.float_dtype(dtype)
    )


def normal(
    shape: Shape,
    std: float,
    rng: np.random.Generator,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """Plain normal N(0, std²) (chapter 3; the seed's ``0.01 * randn`` is ``std=0.01``).

    Keras ``RandomNormal(stddev=std)`` is the same distribution.
    """
    dims = _checks.shape(shape)
    std = _checks.nonnegative(std, "std")
    dt = _checks.float_dtype(dtype)
    return (_checks.rng(rng).standard_normal(dims) * std).astype(dt, copy=False)


def uniform(
    shape: Shape,
    limit: float,
    rng: np.random.Generator,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """Uniform U[-limit, limit], variance limit²/3 (chapter 3, eq-ws-glorot).

    Keras ``RandomUniform(-limit, limit)`` is the same distribution.
    """
    dims = _checks.shape(shape)
    limit = _checks.nonnegative(limit, "limit")
    dt = _checks.float_dtype(dtype)
    return _checks.rng(rng).uniform(-limit, limit, size=dims).astype(dt, copy=False)


def truncated_normal(
    shape: Shape,
    std: float,
    rng: np.random.Generator,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """N(0, std²) truncated to [-2 std, 2 std] by redrawing (TensorFlow's ``truncated_normal``).

    The result's standard deviation is ``TRUNCATED_NORMAL_STD_FACTOR * std`` ≈ 0.88 std
    (chapter 3, eq-ws-trunc; chapter 4 uses it for the VGG snippet's ``stddev=0.1``).
    """
    dims = _checks.shape(shape)
    std = _checks.nonnegative(std, "std")
    dt = _checks.float_dtype(dtype)
    gen = _checks.rng(rng)
    out = gen.standard_normal(dims)
    bad = np.abs(out) > 2.0
    while bad.any():
        out[bad] = gen.standard_normal(int(bad.sum()))
        bad = np.abs(out) > 2.0
    return (out * std).astype(dt, copy=False)


def lecun_normal(
    shape: Shape, rng: np.random.Generator, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """Normal with Var = 1/fan_in: the seed's ``randn(n) / sqrt(n)`` (chapter 3, eq-ws-forward).

    Keras ``LecunNormal`` has the same variance but a truncated (corrected) normal.
    """
    fan_in, _ = fans(shape)
    return normal(shape, math.sqrt(1.0 / fan_in), rng, dtype)


def lecun_uniform(
    shape: Shape, rng: np.random.Generator, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """Uniform with Var = 1/fan_in, limit sqrt(3/fan_in) (chapter 3; Keras ``LecunUniform``)."""
    fan_in, _ = fans(shape)
    return uniform(shape, math.sqrt(3.0 / fan_in), rng, dtype)


def standard_uniform(
    shape: Shape, rng: np.random.Generator, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """Glorot & Bengio's "standard" init U[-1/sqrt(fan_in), 1/sqrt(fan_in)] (eq-ws-standard).

    Var = 1/(3 fan_in), so a layer multiplies the forward variance by 1/3 in the linear regime
    (chapter 3). PyTorch's ``nn.Linear`` default, ``kaiming_uniform_(a=sqrt(5))``, is this.
    """
    fan_in, _ = fans(shape)
    return uniform(shape, 1.0 / math.sqrt(fan_in), rng, dtype)


def glorot_uniform(
    shape: Shape, rng: np.random.Generator, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """Glorot & Bengio's normalized init U[±sqrt(6/(fan_in+fan_out))] (chapter 3, eq-ws-glorot).

    Var = 2/(fan_in + fan_out). Identical in distribution to Keras ``GlorotUniform``.
    """
    fan_in, fan_out = fans(shape)
    return uniform(shape, math.sqrt(6.0 / (fan_in + fan_out)), rng, dtype)


def glorot_normal(
    shape: Shape, rng: np.random.Generator, dtype: DTypeLike = np.float64
) -> np.ndarray:
    """Normal with Var = 2/(fan_in + fan_out) (chapter 3, eq-ws-glorot).

    Keras ``GlorotNormal`` has the same variance but a truncated (corrected) normal.
    """
    fan_in, fan_out = fans(shape)
    return normal(shape, math.sqrt(2.0 / (fan_in + fan_out)), rng, dtype)


def he_normal(shape: Shape, rng: np.random.Generator, dtype: DTypeLike = np.float64) -> np.ndarray:
    """He et al.'s ReLU init, normal with Var = 2/fan_in (chapter 3, eq-ws-he).

    Keras ``HeNormal`` has the same variance but a truncated (corrected) normal.
    """
    fan_in, _ = fans(shape)
    return normal(shape, math.sqrt(2.0 / fan_in), rng, dtype)


def he_uniform(shape: Shape, rng: np.random.Generator, dtype: DTypeLike = np.float64) -> np.ndarray:
    """Uniform with Var = 2/fan_in, limit sqrt(6/fan_in) (chapter 3, eq-ws-he).

    Identical in distribution to Keras ``HeUniform``.
    """
    fan_in, _ = fans(shape)
    return uniform(shape, math.sqrt(6.0 / fan_in), rng, dtype)


def sparse(
    shape: Shape,
    rng: np.random.Generator,
    k: int = 15,
    std: float = 1.0,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """Martens' sparse init: exactly ``k`` nonzero N(0, std²) incoming weights per unit.

    Chapter 3, eq-ws-sparse. The incoming weights of output unit ``j`` are the entries
    ``W[..., j]`` (all axes but the last, flattened), so ``k`` may not exceed their number.
    A unit's pre-activation variance is ``k * std² * Var(x)`` whatever the fan-in.
    Keras has no counterpart.
    """
    dims = _checks.shape(shape, "shape", min_ndim=2)
    k = _checks.positive_int(k, "k")
    std = _checks.nonnegative(std, "std")
    dt = _checks.float_dtype(dtype)
    gen = _checks.rng(rng)
    n_in, n_out = math.prod(dims[:-1]), dims[-1]
    if k > n_in:
        raise ValueError(f"k must not exceed the number of incoming weights {n_in}, got {k}")
    flat = np.zeros((n_in, n_out))
    # A random k-subset of rows for every column: argsort of uniform keys, one column at a time
    # vectorised as a whole matrix.
    rows = np.argsort(gen.random((n_in, n_out)), axis=0)[:k]
    values = gen.standard_normal((k, n_out)) * std
    if std > 0:
        values[values == 0.0] = std  # a draw of exactly 0.0 would break "exactly k nonzeros"
    flat[rows, np.arange(n_out)] = values
    return flat.reshape(dims).astype(dt, copy=False)


def orthogonal(
    shape: Shape,
    rng: np.random.Generator,
    gain: float = 1.0,
    dtype: DTypeLike = np.float64,
) -> np.ndarray:
    """Random orthogonal matrix times ``gain`` (Saxe et al.; chapter 3, eq-ws-linear).

    The shape is flattened to ``(prod(shape[:-1]), shape[-1])``; the result has orthonormal
    columns when it is tall and orthonormal rows when it is wide, so every singular value
    equals ``gain``. The algorithm (QR of a Gaussian matrix with the signs of R's diagonal
    folded into Q, so that Q is Haar-distributed) is the one Keras ``Orthogonal`` uses.
    """
    dims = _checks.shape(shape, "shape", min_ndim=2)
    gain = _checks.real(gain, "gain")
    dt = _checks.float_dtype(dtype)
    gen = _checks.rng(rng)
    rows, cols = math.prod(dims[:-1]), dims[-1]
    a = gen.standard_normal((max(rows, cols), min(rows, cols)))
    q, r = np.linalg.qr(a)
    d = np.sign(np.diag(r))
    d[d == 0] = 1.0
    q *= d
    if rows < cols:
        q = q.T
    return np.ascontiguousarray((gain * q).reshape(dims), dtype=dt)


#: Initializers that take ``(shape, rng, dtype)`` and derive their scale from the fans.
BY_NAME = {
    "lecun_normal": lecun_normal,
    "lecun_uniform": lecun_uniform,
    "standard_uniform": standard_uniform,
    "glorot_uniform": glorot_uniform,
    "glorot_normal": glorot_normal,
    "he_normal": he_normal,
    "he_uniform": he_uniform,
    "orthogonal": orthogonal,
    "sparse": sparse,
}
