"""Deep linear networks on whitened inputs (chapter 3): gradients, training, bad input."""

from __future__ import annotations

import numpy as np
import pytest

from nnbook import deeplinear, init, stats


@pytest.fixture
def net():
    rng = np.random.default_rng(0)
    A = init.lecun_normal((5, 5), rng)
    W = np.stack([np.stack([init.lecun_normal((5, 5), rng) for _ in range(3)]) for _ in range(2)])
    return W, A


def test_product_and_loss(net):
    W, A = net
    P = deeplinear.product(W)
    np.testing.assert_allclose(P[1], W[1, 0] @ W[1, 1] @ W[1, 2])
    expected = 0.5 * np.sum((P - A) ** 2, axis=(1, 2)) / 5
    np.testing.assert_allclose(deeplinear.loss(W, A), expected)


def test_gradients_match_finite_differences(net):
    W, A = net
    _, g = deeplinear.gradients(W, A)
    h = 1e-6
    for idx in [(0, 0, 1, 2), (1, 2, 4, 0), (0, 1, 3, 3)]:
        Wp, Wm = W.copy(), W.copy()
        Wp[idx] += h
        Wm[idx] -= h
        s = idx[0]
        num = (deeplinear.loss(Wp, A)[s] - deeplinear.loss(Wm, A)[s]) / (2 * h)
        assert abs(num - g[idx]) < 1e-8


def test_train_counts_steps_and_leaves_input_alone(net):
    _, A = net
    orth = np.stack(
        [
            np.stack([init.orthogonal((5, 5), np.random.default_rng(s + k)) for k in range(3)])
            for s in range(2)
        ]
    )
    before = orth.copy()
    J0 = 0.5 * np.sum(A**2) / 5
    steps, losses = deeplinear.train(orth, A, lr=1 / 3, max_steps=2000, target=0.1 * J0)
    np.testing.assert_array_equal(orth, before)
    assert np.all(steps > 0)
    for s in range(2):
        assert losses[s, steps[s]] < 0.1 * J0 <= losses[s, steps[s] - 1]
    np.testing.assert_array_equal(stats.steps_to_target(losses, 0.1 * J0), steps)


def test_train_reports_not_reached():
    A = np.eye(4)
    W = np.zeros((1, 3, 4, 4))  # the origin is stationary: never moves
    steps, losses = deeplinear.train(W, A, lr=0.1, max_steps=5, target=0.01)
    assert steps[0] == -1 and losses.shape == (1, 6)
    assert np.all(losses == losses[0, 0])


def test_origin_is_a_saddle_for_two_layers():
    A = np.diag([2.0, 1.0])
    u = np.concatenate([np.outer([1, 0], [1, 0]).ravel(), np.outer([1, 0], [1, 0]).ravel()])
    c = stats.curvature(lambda w: deeplinear.flat_loss(w, A, 2), np.zeros(8), u)
    assert c == pytest.approx(-2.0 / 2, abs=1e-6)  # -sigma_1 / n


@pytest.mark.parametrize(
    ("call", "exc", "text"),
    [
        (lambda: deeplinear.product(np.ones((2, 3, 4))), ValueError, "Ws"),
        (lambda: deeplinear.product(np.ones((1, 2, 3, 4))), ValueError, "square"),
        (
            lambda: deeplinear.train(np.ones((1, 1, 2, 2)), np.eye(2), -1.0, 3, 0.1),
            ValueError,
            "lr",
        ),
        (
            lambda: deeplinear.train(np.ones((1, 1, 2, 2)), np.eye(2), 0.1, 0, 0.1),
            ValueError,
            "max_steps",
        ),
        (lambda: deeplinear.flat_loss(np.ones(3), np.eye(2), 1), ValueError, "w must hold"),
    ],
)
def test_bad_input(call, exc, text):
    with pytest.raises(exc, match=text):
        call()
