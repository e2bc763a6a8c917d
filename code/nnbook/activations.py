"""Activation functions and their derivatives (chapter 1, equations (1.9)-(1.12)).

Each ``f`` maps pre-activations ``z`` to activations ``a = f(z)`` elementwise; each
``f_prime`` returns ``f'(z)``. The derivatives are written the way chapter 1 derives them:
the sigmoid's ``f'(z) = f(z)(1 - f(z))`` and tanh's ``1 - tanh(z)²`` reuse the forward value,
and ReLU's derivative is the indicator ``z > 0`` (0 at the kink ``z = 0``, as in TensorFlow).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

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


def sigmoid(z: np.ndarray) -> np.ndarray:
    """σ(z) = 1 / (1 + e^(-z)), computed without overflow for large |z| (eq. (1.9))."""
    z = np.asarray(z)
    # exp(-|z|) never overflows; the two branches are the same function rearranged.
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1.0 / (1.0 + e), e / (1.0 + e)).astype(z.dtype, copy=False)


def sigmoid_prime(z: np.ndarray) -> np.ndarray:
    """σ'(z) = σ(z)(1 − σ(z)) (eq. (1.10))."""
    s = sigmoid(z)
    return s * (1.0 - s)


def tanh(z: np.ndarray) -> np.ndarray:
    """tanh(z) (eq. (1.11))."""
    return np.tanh(z)


def tanh_prime(z: np.ndarray) -> np.ndarray:
    """tanh'(z) = 1 − tanh(z)² (eq. (1.11))."""
    t = np.tanh(z)
    return 1.0 - t * t


def relu(z: np.ndarray) -> np.ndarray:
    """max(z, 0) (eq. (1.12))."""
    return np.maximum(z, 0)


def relu_prime(z: np.ndarray) -> np.ndarray:
    """1 where z > 0, else 0; the kink z = 0 gets 0, TensorFlow's choice (eq. (1.12))."""
    z = np.asarray(z)
    return (z > 0).astype(z.dtype if z.dtype.kind == "f" else np.float64)


def identity(z: np.ndarray) -> np.ndarray:
    """The linear output unit f(z) = z."""
    return np.asarray(z)


def identity_prime(z: np.ndarray) -> np.ndarray:
    """f'(z) = 1 for the linear output unit."""
    z = np.asarray(z)
    return np.ones_like(z, dtype=z.dtype if z.dtype.kind == "f" else np.float64)


#: name -> (f, f'), the lookup ``MLP`` uses for its ``activation`` argument.
ACTIVATIONS: dict[
    str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]
] = {
    "sigmoid": (sigmoid, sigmoid_prime),
    "tanh": (tanh, tanh_prime),
    "relu": (relu, relu_prime),
    "linear": (identity, identity_prime),
}
