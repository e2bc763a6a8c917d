"""StackedMLP (chapter 5): each member is an nnbook.MLP, trained in lock step with the others."""

from __future__ import annotations

import numpy as np
import pytest

import nnbook
from nnbook import gradcheck, stacked

SIZES = [6, 5, 4, 3]


def _stack(keep, seeds=(1, 2, 1)):
    return stacked.StackedMLP(SIZES, [np.random.default_rng(s) for s in seeds], keep_prob=keep)


def _data(rng, n=7):
    return rng.normal(size=(n, SIZES[0])), rng.integers(0, SIZES[-1], n)


def test_members_start_like_mlp_and_same_streams_start_identical():
    m = _stack(None)
    ref = nnbook.MLP(SIZES, rng=np.random.default_rng(1))
    for layer in range(3):
        np.testing.assert_array_equal(m.W[layer][0], ref.params[f"W{layer + 1}"])
        np.testing.assert_array_equal(m.W[layer][2], m.W[layer][0])
        assert not np.array_equal(m.W[layer][1], m.W[layer][0])


def test_each_member_has_the_gradient_of_its_mlp_with_the_same_masks(rng):
    m = _stack([0.5, 0.8, None])
    X, y = _data(rng)
    masks = [rng.random((3, 7, 5)) < 0.6, rng.random((3, 7, 4)) < 0.6]
    for M in masks:
        M[2] = True  # member 2 has no dropout: every unit kept
    loss, g = m.loss_and_grads(X, y, masks=masks)
    for s in range(3):
        member = m.member(s, rng=np.random.default_rng(9))
        for d, M in zip(member.dropouts, masks, strict=False):
            d.freeze(M[s])
        ref_loss, ref = member.loss_and_grads(X, y)
        assert abs(loss[s] - ref_loss) < 1e-12
        for layer in range(3):
            np.testing.assert_allclose(g["W"][layer][s], ref[f"W{layer + 1}"], atol=1e-13)
            np.testing.assert_allclose(g["b"][layer][s], ref[f"b{layer + 1}"], atol=1e-13)


def test_gradients_match_central_differences(rng):
    m = _stack(0.6)
    for b in m.b:  # nonzero biases: no pre-activation sits exactly on ReLU's kink at 0
        b += rng.normal(size=b.shape)
    X, y = _data(rng)
    masks = [rng.random((3, 7, 5)) < 0.6, rng.random((3, 7, 4)) < 0.6]
    _, g = m.loss_and_grads(X, y, masks=masks)

    def total(_):
        return float(m.loss_and_grads(X, y, masks=masks)[0].sum())

    for layer in range(3):
        num = gradcheck.numerical_gradient(total, m.W[layer])
        assert gradcheck.relative_error(g["W"][layer], num) < 1e-7
        num = gradcheck.numerical_gradient(total, m.b[layer])
        assert gradcheck.relative_error(g["b"][layer], num) < 1e-7


def test_results_are_fresh_arrays(rng):
    m = _stack(0.5)
    X, y = _data(rng)
    _, g1 = m.loss_and_grads(X, y, rng)
    saved = g1["W"][0].copy()
    _, g2 = m.loss_and_grads(X, y, rng)
    assert g1["W"][0] is not g2["W"][0]
    np.testing.assert_array_equal(g1["W"][0], saved)


def test_sgd_follows_nnbook_sgd_member_by_member(rng):
    X, y = _data(rng, 20)
    m = stacked.StackedMLP(SIZES, [np.random.default_rng(4), np.random.default_rng(5)])
    stacked.sgd(
        m,
        X,
        y,
        3,
        [0.1, 0.05],
        8,
        [np.random.default_rng(6), np.random.default_rng(7)],
        np.random.default_rng(8),
        momentum=0.9,
    )
    for s, (seed, order, lr) in enumerate([(4, 6, 0.1), (5, 7, 0.05)]):
        ref = nnbook.MLP(SIZES, rng=np.random.default_rng(seed))
        nnbook.sgd(ref, X, y, 3, lr, 8, np.random.default_rng(order), momentum=0.9)
        for layer in range(3):
            np.testing.assert_allclose(m.W[layer][s], ref.params[f"W{layer + 1}"], atol=1e-12)


def test_a_diverging_member_is_frozen_and_the_others_train(rng):
    X, y = _data(rng, 20)
    m = stacked.StackedMLP(SIZES, [np.random.default_rng(s) for s in (1, 2)])
    before = m.W[0][1].copy()
    h = stacked.sgd(
        m,
        X,
        y,
        5,
        [1e300, 0.0],
        4,
        [np.random.default_rng(3)] * 2,
        np.random.default_rng(4),
        eval_sets={"train": (X, y)},
    )
    assert h.diverged.tolist() == [True, False]
    np.testing.assert_array_equal(m.W[0][1], before)  # lr 0: untouched, and not NaN
    assert h.loss.shape == (5, 2) and h.curves["train"][0].shape == (5, 2)


def test_dead_fraction_counts_units_off_for_every_example(rng):
    m = _stack(None)
    X, _ = _data(rng)
    m.b[0][0] = -1e3  # every unit of member 0's first layer is off
    dead = m.dead_fraction(X)
    assert dead.shape == (2, 3)
    assert dead[0, 0] == 1.0 and dead[1, 0] == 1.0  # nothing reaches layer 2 either
    z = X @ m.W[0][1] + m.b[0][1]
    assert dead[0, 1] == np.mean(~(z > 0).any(axis=0))


def test_evaluate_is_test_mode_loss_and_error(rng):
    m = _stack(0.5)
    X, y = _data(rng)
    loss, err = stacked.evaluate(m, X, y)
    for s in range(3):
        member = m.member(s, rng=np.random.default_rng(0))
        assert abs(loss[s] - member.loss(X, y, train=False)) < 1e-12
        assert abs(err[s] - (1 - member.accuracy(X, y))) < 1e-12


@pytest.mark.parametrize(
    ("call", "exc", "word"),
    [
        (lambda: _stack(0.0), ValueError, "keep_prob"),
        (lambda: _stack([0.5, 0.5]), ValueError, "keep_prob"),
        (lambda: stacked.StackedMLP(SIZES, np.random.default_rng(0)), TypeError, "init_rngs"),
        (lambda: stacked.StackedMLP([3], [np.random.default_rng(0)]), ValueError, "layer_sizes"),
        (lambda: _stack(0.5).forward(np.ones((2, 5))), ValueError, "X"),
        (lambda: _stack(0.5).forward(np.ones((2, 6)), train=True), TypeError, "rng"),
        (lambda: _stack(0.5).member(3), ValueError, "s"),
    ],
)
def test_bad_inputs(call, exc, word):
    with pytest.raises(exc, match=word):
        call()


def test_sgd_bad_inputs(rng):
    m = _stack(0.5)
    X, y = _data(rng)
    r = [np.random.default_rng(0)] * 3
    with pytest.raises(ValueError, match="lr"):
        stacked.sgd(m, X, y, 1, [0.1, 0.1], 4, r, rng)
    with pytest.raises(ValueError, match="order_rngs"):
        stacked.sgd(m, X, y, 1, 0.1, 4, r[:2], rng)
    with pytest.raises(ValueError, match="momentum"):
        stacked.sgd(m, X, y, 1, 0.1, 4, r, rng, momentum=1.0)
