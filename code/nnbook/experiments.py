"""Summaries of experiments repeated over seeds: median and range, and paired comparisons.

A claim about training outcomes is a claim about a distribution over seeds (every chapter):
run each setting on the same seeds, print the median and the range, and compare two settings
seed by seed (a *paired* comparison: the differences share the seed's luck, so they vary less
than either setting alone).

    losses = [train(rng) for rng in seeds.rngs("he", 5)]
    s = summarize(losses)                  # Summary(median=..., low=..., high=..., n=5)
    print(f"He loss {s:.3f}")              # "0.123 [0.101, 0.150] over 5 seeds"
    d = paired(xavier_losses, he_losses)   # differences a - b, and how often a > b
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

__all__ = ["Paired", "Summary", "paired", "summarize"]


def _values(values: Sequence[float] | np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.float64)
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(
            f"{name} must be a non-empty 1-d sequence of numbers, got shape {arr.shape}"
        )
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} must be finite, got {arr.tolist()}")
    return arr


@dataclass(frozen=True)
class Summary:
    """Median and range (min, max) of ``n`` values."""

    median: float
    low: float
    high: float
    n: int

    def __format__(self, spec: str) -> str:
        spec = spec or ".3g"
        return (
            f"{format(self.median, spec)} [{format(self.low, spec)}, "
            f"{format(self.high, spec)}] over {self.n} seeds"
        )

    def __str__(self) -> str:
        return format(self, "")


@dataclass(frozen=True)
class Paired:
    """Seed-by-seed differences ``a - b`` of two settings run on the same seeds."""

    diff: Summary
    a_larger: int
    n: int

    def __format__(self, spec: str) -> str:
        return f"a - b = {self.diff:{spec}}; a > b on {self.a_larger} of {self.n}"

    def __str__(self) -> str:
        return format(self, "")


def summarize(values: Sequence[float] | np.ndarray) -> Summary:
    """Median, minimum and maximum of ``values`` (finite numbers, one per seed)."""
    arr = _values(values, "values")
    return Summary(float(np.median(arr)), float(arr.min()), float(arr.max()), int(arr.size))


def paired(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> Paired:
    """Summary of ``a[i] - b[i]`` over seeds ``i``, and on how many seeds ``a[i] > b[i]``."""
    xa, xb = _values(a, "a"), _values(b, "b")
    if xa.shape != xb.shape:
        raise ValueError(f"a and b must pair up seed by seed, got {xa.size} and {xb.size} values")
    d = xa - xb
    return Paired(summarize(d), int(np.sum(d > 0)), int(d.size))
