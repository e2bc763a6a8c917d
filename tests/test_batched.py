"""nnbook.batched: every member is nnbook.MLP (forward, δ recursion, momentum SGD, freezing)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import nnbook
from nnbook import batched, train

SIZES = [5, 7, 6, 3]
TOL = 1e-12


def _stack(rng: np.random.Generator, S: int, sizes=SIZES):
    W = [rng.normal(0.0, 0.6, (S, fi, fo)) for fi, fo in itertools.pairwise(sizes)]
    b = [rng.normal(0.0, 0.1, (S, fo)) for fo in sizes[1:]]
    return W, b


def _member(W, b, s, activation="relu", keep=None, rng=None) -> nnbook.MLP:
    return nnbook.MLP.from_arrays(
        [w[s].copy() for w in W], [v[s].copy() for v in b], activation, keep_prob=keep, rng=rng
    )


@pytest.mark.parametrize("activation", ["relu", "tanh", "linear"])
@pytest.mark.parametrize("dropout", [False, True])
def test_each_member_has_the_loss_and_gradients_of_its_mlp(activation, dropout):
    rng = np.random.default_rng(1)
    S, N = 3, 8
    W, b = _stack(rng, S)
    X = rng.normal(size=(N, SIZES[0]))
    y = rng.integers(0, SIZES[-1], N)
    keep = np.array([0.5, 0.8, 1.0]) if dropout else None
    masks = [rng.random((S, N, n)) < 0.6 for n in SIZES[1:-1]] if dropout else None
    fwd = batched.forward(W, b, X, activation, keep, masks=masks)
    loss, delta = batched.softmax_cross_entropy(fwd.logits, y)
    gW, gb, deltas = batched.backward(W, fwd, delta, activation)
    for s in range(S):
        p = None if keep is None else float(keep[s])
        m = _member(W, b, s, activation, p, np.random.default_rng(0))
        if dropout:
            for d, mask in zip(m.dropouts, masks, strict=True):
                d.freeze(mask[s])
        ref_loss, ref = m.loss_and_grads(X, y)
        assert abs(loss[s] - ref_loss) < TOL
        for layer in range(len(W)):
            np.testing.assert_allclose(gW[layer][s], ref[f"W{layer + 1}"], rtol=1e-10, atol=TOL)
            np.testing.assert_allclose(gb[layer][s], ref[f"b{layer + 1}"], rtol=1e-10, atol=TOL)
            np.testing.assert_allclose(deltas[layer][s], m.deltas[layer], rtol=1e-10, atol=TOL)


def test_masks_are_drawn_like_mlp_dropout():
    # one member with dropout draws the masks nnbook.Dropout draws from the same stream
    rng = np.random.default_rng(2)
    W, b = _stack(rng, 1)
    X = rng.normal(size=(6, SIZES[0]))
    fwd = batched.forward(W, b, X, keep=np.array([0.7]), rng=np.random.default_rng(9))
    m = _member(W, b, 0, keep=0.7, rng=np.random.default_rng(9))
    out = m.forward(X, train=True)
    np.testing.assert_allclose(fwd.logits[0], out, rtol=1e-13, atol=1e-14)
    for scale, d in zip(fwd.scale[:-1], m.dropouts, strict=True):
        np.testing.assert_array_equal(scale[0] > 0, d.mask)
    assert fwd.scale[-1] is None  # the logits are never dropped


def _train(W, b, X, y, lrs, momentum, epochs, batch, order_rng, activation="relu"):
    """The batched trainer written out: shared batches, one rate per member, freezing."""
    params = [*W, *b]
    velocity = [np.zeros_like(p) for p in params]
    active = np.ones(W[0].shape[0], dtype=bool)
    for _ in range(epochs):
        order = order_rng.permutation(len(X))
        for start in range(0, len(X), batch):
            idx = order[start : start + batch]
            with np.errstate(all="ignore"):
                fwd = batched.forward(W, b, X[idx], activation)
                loss, delta = batched.softmax_cross_entropy(fwd.logits, y[idx])
                gW, gb, _ = batched.backward(W, fwd, delta, activation)
            bad = active & ~batched.finite_members(loss, params)
            batched.freeze(bad, *velocity)
            active &= ~bad
            batched.momentum_step(params, velocity, [*gW, *gb], lrs, momentum, active)
    return active


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_training_follows_mlp_trained_by_sgd(activation):
    rng = np.random.default_rng(3)
    W, b = _stack(rng, 3)
    W0, b0 = [w.copy() for w in W], [v.copy() for v in b]
    X = rng.normal(size=(30, SIZES[0]))
    y = rng.integers(0, SIZES[-1], 30)
    lrs = np.array([0.01, 0.05, 0.1])
    active = _train(W, b, X, y, lrs, 0.9, 3, 8, np.random.default_rng(4), activation)
    assert active.all()
    for s, lr in enumerate(lrs):
        m = _member(W0, b0, s, activation)
        nnbook.sgd(m, X, y, 3, float(lr), 8, np.random.default_rng(4), momentum=0.9)
        for layer in range(len(W)):
            np.testing.assert_allclose(
                W[layer][s], m.params[f"W{layer + 1}"], rtol=1e-9, atol=1e-12
            )
            np.testing.assert_allclose(
                b[layer][s], m.params[f"b{layer + 1}"], rtol=1e-9, atol=1e-12
            )
        assert not np.allclose(W[0][s], W0[0][s])  # it did train


def test_a_diverged_member_is_frozen_and_the_others_train_as_alone():
    rng = np.random.default_rng(5)
    W, b = _stack(rng, 2)
    X = 30 * rng.normal(size=(24, SIZES[0]))
    y = rng.integers(0, SIZES[-1], 24)
    alone = ([w[1:].copy() for w in W], [v[1:].copy() for v in b])
    snapshots = []

    def run(epochs):
        Wc, bc = [w.copy() for w in W], [v.copy() for v in b]
        act = _train(
            Wc, bc, X, y, np.array([1e100, 1e-3]), 0.9, epochs, 6, np.random.default_rng(6)
        )
        snapshots.append([w[0].copy() for w in Wc])
        return act, Wc

    active, Wc = run(4)
    assert not active[0] and active[1]
    _, _ = run(8)  # four more epochs: the frozen member does not move
    for w4, w8 in zip(*snapshots, strict=True):
        np.testing.assert_array_equal(w4, w8)
    _train(*alone, X, y, np.array([1e-3]), 0.9, 4, 6, np.random.default_rng(6))
    for layer in range(len(W)):  # the healthy member never noticed its neighbour
        np.testing.assert_array_equal(Wc[layer][1], alone[0][layer][0])


def test_momentum_step_is_the_sgd_update_of_nnbook_train():
    rng = np.random.default_rng(7)
    p, v, g = rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 4, 2))
    lrs = np.array([0.1, 0.2, 0.3])
    expect_p, expect_v, g_before = p.copy(), v.copy(), g.copy()
    for s in range(3):
        params, vel = {"w": expect_p[s]}, {"w": expect_v[s]}
        train.sgd_update(params, {"w": g[s]}, float(lrs[s]), vel, momentum=0.9)
    batched.momentum_step([p], [v], [g], lrs, 0.9, active=np.array([True, False, True]))
    np.testing.assert_array_equal(p[[0, 2]], expect_p[[0, 2]])
    np.testing.assert_array_equal(v[[0, 2]], expect_v[[0, 2]])
    np.testing.assert_array_equal(g, g_before)  # the gradients are not changed


def test_finite_members_and_freeze():
    loss = np.array([1.0, np.nan, 2.0, 3.0])
    W = np.ones((4, 2, 2))
    W[2, 1, 0] = np.inf
    ok = batched.finite_members(loss, [W])
    np.testing.assert_array_equal(ok, [True, False, False, True])
    batched.freeze(~ok, W)
    assert np.all(W[1:3] == 0) and np.all(W[[0, 3]] == 1)


def test_results_are_new_arrays():
    rng = np.random.default_rng(8)
    W, b = _stack(rng, 2)
    X, y = rng.normal(size=(5, SIZES[0])), rng.integers(0, 3, 5)
    fwd = batched.forward(W, b, X)
    _, delta = batched.softmax_cross_entropy(fwd.logits, y)
    gW1, gb1, _ = batched.backward(W, fwd, delta)
    saved = [g.copy() for g in gW1]
    fwd2 = batched.forward(W, b, 2 * X)
    gW2, _, _ = batched.backward(W, fwd2, batched.softmax_cross_entropy(fwd2.logits, y)[1])
    for g1, g2, s in zip(gW1, gW2, saved, strict=True):
        assert not np.shares_memory(g1, g2)
        np.testing.assert_array_equal(g1, s)
    assert not any(np.shares_memory(g, w) for g, w in zip(gW1, W, strict=True))
    assert not any(np.shares_memory(g, v) for g, v in zip(gb1, b, strict=True))


def test_the_thin_layers_share_the_core_bit_for_bit():
    # seedstack (chapter 3) and stacked (chapter 5, dropout off) are the same arithmetic
    from nnbook import seedstack, stacked

    rng = np.random.default_rng(10)
    net = stacked.StackedMLP(SIZES, [np.random.default_rng(i) for i in range(3)])
    X, y = rng.normal(size=(9, SIZES[0])), rng.integers(0, 3, 9)
    net_loss, g = net.loss_and_grads(X, y, masks=[np.ones((3, 9, n), bool) for n in SIZES[1:-1]])
    loss, gW, gb, _, _ = seedstack.gradients(net.W, X, y, "relu", net.b)
    assert loss.tobytes() == net_loss.tobytes()
    for a, b in zip([*gW, *gb], [*g["W"], *g["b"]], strict=True):
        assert a.tobytes() == b.tobytes()


@pytest.mark.parametrize("activation", ["relu", "linear"])
def test_seedstack_forward_returns_no_array_twice(activation):
    from nnbook import seedstack

    rng = np.random.default_rng(11)
    W, _ = _stack(rng, 2)
    zs, acts = seedstack.forward(W, rng.normal(size=(4, SIZES[0])), activation)
    for z, a in zip(zs, acts, strict=True):
        assert not np.shares_memory(z, a)  # writing into an activation leaves z alone
    np.testing.assert_array_equal(acts[-1], zs[-1])  # the logits: a linear last layer
