"""Activation functions and their derivatives (chapter 1, eq-bp-sigmoid to eq-bp-relu-prime).

Each ``f`` maps pre-activations ``z`` to activations ``a = f(z)`` elementwise; each
``f_prime`` returns ``f'(z)``. The derivatives are written the way chapter 1 derives them:
the sigmoid's ``f'(z) = f(z)(1 - f(z))`` and tanh's ``1 - tanh(z)²`` reuse the forward value,
and ReLU's derivative is the indicator ``z > 0`` (0 at the kink ``z = 0``, as in TensorFlow).

Every function takes a real array of any shape (0-d and empty included) and returns an array of
the same shape and floating dtype (integers become float64). NaN or inf in ``z`` raises
``ValueError``: an activation never turns bad input into a silent NaN.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import _checks

__all__ = [
    "ACTIVATIONS",
    "identity",
    "identity_prime",
    "relu",
    "relu_prime",
    "sigmoid",
    "sigmoid_prime",
    "tanh",
    "tanh_prime",
]


def _z(z: np.ndarray) -> np.ndarray:
    return _checks.float_array(z, "z", allow_empty=True)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    # exp(-|z|) never overflows; the two branches are the same function rearranged.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(-z)), computed without overflow for large |z| (eq-bp-sigmoid)."""
    return _sigmoid(_z(z))


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """σ'(z) = σ(z)(1 − σ(z)) (chapter 1, eq-bp-sigmoid-prime)."""
    s = _sigmoid(_z(z))
    return s * (1.0 - s)


def tanh(z: np.ndarray) -> np.ndarray:
    """tanh(z), whose derivative chapter 1 derives in eq-bp-tanh-prime."""
    return np.tanh(_z(z))


def tanh_prime(z: np.ndarray) -> np.ndarray:
    """tanh'(z) = 1 − tanh(z)² (chapter 1, eq-bp-tanh-prime)."""
    t = np.tanh(_z(z))
    return 1.0 - t * t


def relu(z: np.ndarray) -> np.ndarray:
    """max(z, 0), the ReLU (chapter 1, eq-bp-relu-prime for its derivative)."""
    z = _z(z)
    return np.maximum(z, z.dtype.type(0))


def relu_prime(z: np.ndarray) -> np.ndarray:
    """1 where z > 0, else 0 (chapter 1, eq-bp-relu-prime); the kink z = 0 gets 0, as in TF."""
    z = _z(z)
    return (z > 0).astype(z.dtype)


def identity(z: np.ndarray) -> np.ndarray:
    """The linear output unit f(z) = z, as a new array (never ``z`` itself)."""
    return _z(z).copy()


def identity_prime(z: np.ndarray) -> np.ndarray:
    """f'(z) = 1 for the linear output unit."""
    return np.ones_like(_z(z))


#: name -> (f, f'), the lookup ``MLP`` uses for its ``activation`` argument.
ACTIVATIONS: dict[
    str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]
] = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "linear": (identity, identity_prime),
}
