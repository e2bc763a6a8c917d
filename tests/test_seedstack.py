"""Seed-stacked networks (chapter 3): each member equals nnbook.MLP, training records stats."""

from __future__ import annotations

import math

import numpy as np
import pytest

import nnbook
from nnbook import seedstack


@pytest.fixture
def data():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((40, 6))
    y = rng.integers(0, 3, 40)
    return X, y


@pytest.mark.parametrize("activation", ["relu", "tanh", "linear"])
def test_members_match_mlp(data, activation):
    X, y = data
    sizes = [6, 7, 5, 3]
    rngs = [np.random.default_rng(s) for s in (10, 11)]
    Ws = [W * 0.5 for W in seedstack.stack_normal(sizes, rngs)]
    loss, gW, gb, _, _ = seedstack.gradients(Ws, X, y, activation)
    for s in range(2):
        model = nnbook.MLP.from_arrays(
            [W[s] for W in Ws], [np.zeros(W.shape[2]) for W in Ws], activation=activation
        )
        ell, grads = model.loss_and_grads(X, y)
        assert math.isclose(loss[s], ell, rel_tol=1e-12)
        for i in range(3):
            np.testing.assert_allclose(gW[i][s], grads[f"W{i + 1}"], rtol=1e-10, atol=1e-14)
            np.testing.assert_allclose(gb[i][s], grads[f"b{i + 1}"], rtol=1e-10, atol=1e-14)


def test_stack_normal_shapes_and_independence():
    Ws = seedstack.stack_normal([4, 3, 2], [np.random.default_rng(0), np.random.default_rng(1)])
    assert [W.shape for W in Ws] == [(2, 4, 3), (2, 3, 2)]
    assert not np.allclose(Ws[0][0], Ws[0][1])
    again = seedstack.stack_normal([4, 3, 2], [np.random.default_rng(0)])
    np.testing.assert_array_equal(again[0][0], Ws[0][0])


def test_train_sgd_learns_records_and_keeps_input(data):
    X, y = data
    Ws = [
        W * math.sqrt(2 / W.shape[1])
        for W in seedstack.stack_normal([6, 16, 3], [np.random.default_rng(s) for s in range(3)])
    ]
    before = [W.copy() for W in Ws]
    new, h = seedstack.train_sgd(
        Ws,
        X,
        y,
        epochs=30,
        lr=[0.0, 0.05, 0.1],
        batch_size=8,
        rng=np.random.default_rng(5),
        momentum=0.9,
        record_every=5,
    )
    for a, b in zip(Ws, before, strict=True):
        np.testing.assert_array_equal(a, b)
    assert h.loss.shape == (3, 31) and h.accuracy.shape == (3, 31)
    np.testing.assert_array_equal(new[0][0], Ws[0][0])  # lr 0 never moves
    assert h.loss[0, -1] == pytest.approx(h.loss[0, 0])
    assert h.loss[2, -1] < 0.5 * h.loss[2, 0]
    k = h.steps.size
    assert h.update_ratio.shape == (3, k, 2) and np.all(h.update_ratio[0] == 0)
    assert np.all(h.update_ratio[1:] > 0)
    assert h.dead.shape == (3, k, 1) and np.all((h.dead >= 0) & (h.dead <= 1))


@pytest.mark.parametrize(
    ("call", "exc", "text"),
    [
        (lambda: seedstack.forward([np.ones((2, 3))], np.ones((1, 3))), ValueError, "Ws"),
        (
            lambda: seedstack.forward([np.ones((1, 3, 2)), np.ones((1, 3, 2))], np.ones((1, 3))),
            ValueError,
            "does not follow",
        ),
        (lambda: seedstack.forward([np.ones((1, 3, 2))], np.ones((1, 4))), ValueError, "X"),
        (
            lambda: seedstack.forward([np.ones((1, 3, 2))], np.ones((1, 3)), "elu"),
            ValueError,
            "activation",
        ),
        (lambda: seedstack.stack_normal([3], [np.random.default_rng(0)]), ValueError, "sizes"),
        (
            lambda: seedstack.gradients([np.ones((1, 3, 2))], np.ones((2, 3)), [0, 5]),
            ValueError,
            "y",
        ),
    ],
)
def test_bad_input(call, exc, text):
    with pytest.raises(exc, match=text):
        call()
