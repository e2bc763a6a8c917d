"""Median/range summaries and paired comparisons over seeds (nnbook.experiments)."""

from __future__ import annotations

import pytest

from nnbook.experiments import paired, summarize


def test_summary_is_median_and_range():
    s = summarize([3.0, 1.0, 2.0, 10.0])
    assert (s.median, s.low, s.high, s.n) == (2.5, 1.0, 10.0, 4)
    assert f"{s:.1f}" == "2.5 [1.0, 10.0] over 4 seeds"


def test_paired_differences_and_count():
    p = paired([1.0, 2.0, 3.0], [0.5, 2.5, 1.0])
    assert p.diff.median == 0.5 and p.diff.low == -0.5 and p.diff.high == 2.0
    assert p.a_larger == 2 and p.n == 3
    assert "a > b on 2 of 3" in f"{p:.2f}"


@pytest.mark.parametrize(
    ("call", "word"),
    [
        (lambda: summarize([]), "values"),
        (lambda: summarize([1.0, float("nan")]), "finite"),
        (lambda: paired([1.0], [1.0, 2.0]), "pair up"),
        (lambda: paired([[1.0]], [1.0]), "a must"),
    ],
)
def test_bad_input_is_named(call, word):
    with pytest.raises(ValueError, match=word):
        call()
