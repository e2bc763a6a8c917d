"""The root seed: named, independent, reproducible streams (nnbook.seeding)."""

from __future__ import annotations

import numpy as np
import pytest

from nnbook import seeding


def test_same_name_same_draws_and_names_independent():
    s = seeding.chapter_seeds("ch01", root=0)
    a1 = s.rng("a").standard_normal(5)
    a2 = s.rng("a").standard_normal(5)
    b = s.rng("b").standard_normal(5)
    np.testing.assert_array_equal(a1, a2)
    assert np.abs(a1 - b).min() > 0


def test_chapters_and_roots_give_different_streams():
    draws = {
        (ch, root): seeding.chapter_seeds(ch, root=root).rng("x").random()
        for ch in ("ch01", "ch02")
        for root in (0, 1)
    }
    assert len(set(draws.values())) == 4


def test_root_read_from_environment(monkeypatch):
    monkeypatch.setenv(seeding.SEED_ENV, "7")
    assert seeding.root_seed() == 7
    assert seeding.chapter_seeds("ch03").root == 7
    monkeypatch.delenv(seeding.SEED_ENV)
    assert seeding.root_seed() == 0


@pytest.mark.parametrize("bad", ["-1", "one", "1.5"])
def test_bad_root_is_named(monkeypatch, bad):
    monkeypatch.setenv(seeding.SEED_ENV, bad)
    with pytest.raises(ValueError, match="NNBOOK_SEED"):
        seeding.root_seed()


def test_spawned_generators_are_distinct_and_stable():
    s = seeding.chapter_seeds("ch03", root=0)
    first = [g.random() for g in s.rngs("runs", 4)]
    again = [g.random() for g in s.rngs("runs", 4)]
    assert first == again
    assert len(set(first)) == 4
    ints = s.ints("runs", 3)
    assert len(set(ints)) == 3 and all(0 <= i < 2**31 for i in ints)


def test_int_and_tf_seeds_are_31_bit_and_distinct():
    s = seeding.chapter_seeds("ch04", root=3)
    values = {s.int("split"), s.tf("split"), s.int("other")}
    assert len(values) == 3
    assert all(0 <= v < 2**31 for v in values)


@pytest.mark.parametrize(
    ("call", "exc", "word"),
    [
        (lambda: seeding.chapter_seeds(""), ValueError, "chapter"),
        (lambda: seeding.chapter_seeds(3), TypeError, "chapter"),
        (lambda: seeding.chapter_seeds("ch01", root=-2), ValueError, "root"),
        (lambda: seeding.chapter_seeds("ch01", root=0).rng(""), ValueError, "name"),
        (lambda: seeding.chapter_seeds("ch01", root=0).rngs("a", 0), ValueError, "n"),
        (lambda: seeding.chapter_seeds("ch01", root=0).rngs("a", 2.0), TypeError, "n"),
    ],
)
def test_bad_arguments_name_the_parameter(call, exc, word):
    with pytest.raises(exc, match=word):
        call()
