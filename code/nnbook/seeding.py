"""One root seed for the whole book: every random draw in every chapter derives from it.

The root is read from the environment variable ``NNBOOK_SEED`` (default 0). A chapter asks
for its seeds once, by its short name, and then for each experiment's generator by a name::

    seeds = nnbook.seeding.chapter_seeds("ch03")
    rng = seeds.rng("he-run")                 # one numpy.random.Generator
    runs = seeds.rngs("he-seeds", 5)          # five independent ones, for a median and range
    split = seeds.int("digits-split")         # an int, for scikit-learn's random_state
    tf_seed = seeds.tf("keras-init")          # an int for TensorFlow / Keras initializers

Every stream is ``numpy.random.SeedSequence([root, crc32(chapter), crc32(name)])``, so streams
are keyed by *name*, not by the order in which they are asked for: inserting a new experiment
in a chapter does not change the numbers of the others, and two names never share a stream.
Several generators for one name come from that sequence's ``spawn`` (independent children).

With another root (``NNBOOK_SEED=1``) every chapter must still run with every assert passing;
the test command's seed lane checks exactly that (``tools/seed_lane.py``).
"""

from __future__ import annotations

import os
import zlib
from dataclasses import dataclass

import numpy as np

__all__ = ["SEED_ENV", "Seeds", "chapter_seeds", "root_seed"]

#: Environment variable holding the book's root seed (a non-negative integer, default 0).
SEED_ENV = "NNBOOK_SEED"


def root_seed() -> int:
    """The root seed from ``NNBOOK_SEED`` (default 0); a ``ValueError`` names a bad value."""
    text = os.environ.get(SEED_ENV, "0").strip()
    try:
        value = int(text)
    except ValueError:
        raise ValueError(f"{SEED_ENV} must be a non-negative integer, got {text!r}") from None
    if value < 0:
        raise ValueError(f"{SEED_ENV} must be a non-negative integer, got {text!r}")
    return value


def _key(text: str, what: str) -> int:
    if not isinstance(text, str):
        raise TypeError(f"{what} must be a str, got {text!r}")
    if not text:
        raise ValueError(f"{what} must be a non-empty str, got {text!r}")
    return zlib.crc32(text.encode("utf-8"))


@dataclass(frozen=True)
class Seeds:
    """Named, independent random streams of one chapter under one root seed."""

    chapter: str
    root: int

    def sequence(self, name: str) -> np.random.SeedSequence:
        """The ``SeedSequence`` behind the stream called ``name``."""
        return np.random.SeedSequence(
            [self.root, _key(self.chapter, "chapter"), _key(name, "name")]
        )

    def rng(self, name: str) -> np.random.Generator:
        """A fresh ``numpy.random.Generator`` for the stream ``name`` (same name, same draws)."""
        return np.random.default_rng(self.sequence(name))

    def rngs(self, name: str, n: int) -> list[np.random.Generator]:
        """``n`` independent generators for ``name`` (e.g. one per training seed)."""
        return [np.random.default_rng(s) for s in self._spawn(name, n)]

    def int(self, name: str) -> int:
        """A 31-bit integer seed for ``name`` (scikit-learn's ``random_state``, data splits)."""
        return int(self.sequence(name).generate_state(1, np.uint32)[0] >> 1)

    def ints(self, name: str, n: int) -> list[int]:
        """``n`` distinct-stream 31-bit integer seeds for ``name``."""
        return [int(s.generate_state(1, np.uint32)[0] >> 1) for s in self._spawn(name, n)]

    def tf(self, name: str) -> int:
        """An integer seed for TensorFlow or Keras (``tf.random.set_seed``, initializers)."""
        return self.int("tf:" + name)

    def _spawn(self, name: str, n: int) -> list[np.random.SeedSequence]:
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)):
            raise TypeError(f"n must be an int, got {n!r}")
        if n < 1:
            raise ValueError(f"n must be at least 1, got {n!r}")
        return self.sequence(name).spawn(int(n))


def chapter_seeds(chapter: str, root: int | None = None) -> Seeds:
    """The seeds of ``chapter`` (its short name, e.g. ``"ch03"``) under the root seed.

    ``root`` defaults to :func:`root_seed` (``NNBOOK_SEED``); pass it only in tests.
    """
    _key(chapter, "chapter")
    if root is None:
        root = root_seed()
    elif isinstance(root, bool) or not isinstance(root, (int, np.integer)) or root < 0:
        raise ValueError(f"root must be a non-negative int, got {root!r}")
    return Seeds(chapter, int(root))
