"""Argument checks shared by every module.

Each helper raises a ``TypeError`` (wrong kind of thing) or a ``ValueError`` (right kind,
wrong value) whose message names the parameter and repeats the value it was given, so that
a reader who passes a bad argument learns what to change without reading a traceback into
NumPy.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

import numpy as np

FLOAT_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))

#: Largest number of entries a shape may ask for (2**30: 8 GiB in float64). Larger requests are
#: refused with a ValueError naming the shape instead of failing inside NumPy's allocator.
MAX_ELEMENTS = 2**30


def _show(value: Any) -> str:
    """A short repr of ``value`` for an error message."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def rng(value: Any, name: str = "rng") -> np.random.Generator:
    """Return ``value`` if it is a ``numpy.random.Generator``, else raise ``TypeError``."""
    if not isinstance(value, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator (e.g. np.random.default_rng(0)), "
            f"got {_show(value)}"
        )
    return value


def positive_int(value: Any, name: str) -> int:
    """Return ``value`` as ``int`` if it is a positive integer (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a positive integer, got {_show(value)}")
    if value <= 0:
        raise ValueError(f"{name} must be a positive integer, got {value}")
    return int(value)


def nonnegative_int(value: Any, name: str) -> int:
    """Return ``value`` as ``int`` if it is an integer >= 0 (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be a non-negative integer, got {_show(value)}")
    if value < 0:
        raise ValueError(f"{name} must be a non-negative integer, got {value}")
    return int(value)


def real(value: Any, name: str) -> float:
    """Return ``value`` as ``float`` if it is a finite real number."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number, got {_show(value)}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    return value


def nonnegative(value: Any, name: str) -> float:
    """Return ``value`` as ``float`` if it is finite and >= 0."""
    value = real(value, name)
    if value < 0:
        raise ValueError(f"{name} must be non-negative, got {value}")
    return value


def positive(value: Any, name: str) -> float:
    """Return ``value`` as ``float`` if it is finite and > 0."""
    value = real(value, name)
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value}")
    return value


def probability(value: Any, name: str) -> float:
    """Return ``value`` if it lies in the half-open interval (0, 1]."""
    value = real(value, name)
    if not 0.0 < value <= 1.0:
        raise ValueError(f"{name} must lie in (0, 1], got {value}")
    return value


def shape(value: Any, name: str = "shape", min_ndim: int = 1) -> tuple[int, ...]:
    """Return ``value`` as a tuple of positive ints with at least ``min_ndim`` entries."""
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        value = (value,)
    if isinstance(value, (str, bytes)) or not isinstance(value, Sequence):
        raise TypeError(f"{name} must be a tuple of positive integers, got {_show(value)}")
    dims = tuple(value)
    if len(dims) < min_ndim:
        raise ValueError(f"{name} must have at least {min_ndim} dimension(s), got {dims!r}")
    for d in dims:
        if isinstance(d, bool) or not isinstance(d, numbers.Integral):
            raise TypeError(f"{name} must contain positive integers, got {dims!r}")
        if d <= 0:
            raise ValueError(f"{name} must contain positive integers, got {dims!r}")
    dims = tuple(int(d) for d in dims)
    size = 1
    for d in dims:
        size *= d
    if size > MAX_ELEMENTS:
        raise ValueError(
            f"{name} {dims!r} asks for {size:,} entries, more than the {MAX_ELEMENTS:,} allowed"
        )
    return dims


def float_dtype(value: Any, name: str = "dtype") -> np.dtype:
    """Return ``np.dtype(value)`` if it is float16, float32 or float64."""
    try:
        dt = np.dtype(value)
    except TypeError as err:
        raise TypeError(f"{name} must be a floating dtype, got {_show(value)}") from err
    if dt not in FLOAT_DTYPES:
        raise TypeError(f"{name} must be float16, float32 or float64, got {dt}")
    return dt


def float_array(
    value: Any,
    name: str,
    ndim: int | None = None,
    finite: bool = True,
    allow_empty: bool = False,
) -> np.ndarray:
    """Return ``value`` as a floating ndarray (no copy when it already is one).

    Integer input is converted to float64; complex, object and string input is refused.
    """
    if isinstance(value, np.ndarray):
        arr = value
    else:
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError) as err:
            raise TypeError(f"{name} must be an array of numbers, got {_show(value)}") from err
    if arr.dtype.kind in "iub":
        arr = arr.astype(np.float64)
    elif arr.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{name} must hold real floating-point numbers, got dtype {arr.dtype}")
    if ndim is not None and arr.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-dimensional, got shape {arr.shape}")
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name} must not be empty, got shape {arr.shape}")
    if finite and not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must contain only finite values (found NaN or inf)")
    return arr


def bool_mask(value: Any, name: str = "mask") -> np.ndarray:
    """Return a dropout-style mask as a bool array (0/1 numbers accepted, anything else refused)."""
    mask = np.asarray(value)
    if mask.dtype != np.bool_:
        if mask.dtype.kind not in "biuf" or not np.all((mask == 0) | (mask == 1)):
            raise ValueError(f"{name} must hold only 0/1 (or bool) entries")
        mask = mask.astype(bool)
    return mask


def labels(value: Any, name: str, n: int, num_classes: int) -> np.ndarray:
    """Return integer class labels of length ``n`` with values in [0, num_classes)."""
    arr = np.asarray(value)
    if arr.dtype.kind not in "iu":
        if (
            arr.dtype.kind == "f"
            and arr.size
            and np.all(np.isfinite(arr))
            and np.all(arr == np.round(arr))
        ):
            arr = arr.astype(np.int64)
        else:
            raise TypeError(f"{name} must hold integer class labels, got dtype {arr.dtype}")
    if arr.ndim != 1:
        raise ValueError(f"{name} must be 1-dimensional class labels, got shape {arr.shape}")
    if arr.shape[0] != n:
        raise ValueError(f"{name} has {arr.shape[0]} labels but there are {n} examples")
    if arr.size and (arr.min() < 0 or arr.max() >= num_classes):
        raise ValueError(
            f"{name} must lie in [0, {num_classes}), got values from {arr.min()} to {arr.max()}"
        )
    return arr
