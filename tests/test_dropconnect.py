"""DropConnectDense (chapter 5): gradients with a frozen mask, expectations, shapes, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnbook import gradcheck, layers
from nnbook.dropconnect import DropConnectDense

TOL = 1e-7
H = 1e-5


def _layer(rng, fi, fo, keep=0.5, per_example=True, dtype=np.float64):
    W = rng.normal(size=(fi, fo)).astype(dtype)
    b = rng.normal(size=fo).astype(dtype)
    return DropConnectDense(W, b, keep, rng, per_example=per_example)


@given(
    n=st.integers(1, 5),
    fi=st.integers(1, 6),
    fo=st.integers(1, 6),
    keep=st.floats(0.2, 1.0),
    per_example=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_gradients_with_frozen_mask(n, fi, fo, keep, per_example, seed):
    rng = np.random.default_rng(seed)
    layer = _layer(rng, fi, fo, keep, per_example)
    x = rng.normal(size=(n, fi))
    out = layer.forward(x)
    layer.freeze()
    r = rng.normal(size=out.shape)

    def f(_):
        return float(np.sum(layer.forward(x) * r))

    dx = layer.backward(r)
    analytic = {k: g.copy() for k, g in layer.grads.items()}
    assert gradcheck.relative_error(dx, gradcheck.numerical_gradient(f, x, H)) < TOL
    for name, p in layer.params.items():
        numeric = gradcheck.numerical_gradient(f, p, H)
        assert gradcheck.relative_error(analytic[name], numeric) < TOL


@given(n=st.integers(1, 4), fi=st.integers(1, 5), fo=st.integers(1, 5), seed=st.integers(0, 999))
def test_per_example_is_a_loop_over_examples(n, fi, fo, seed):
    rng = np.random.default_rng(seed)
    layer = _layer(rng, fi, fo, 0.6, per_example=True)
    x = rng.normal(size=(n, fi))
    out = layer.forward(x)
    mask = layer.mask.copy()
    dout = rng.normal(size=out.shape)
    dx = layer.backward(dout)
    gW = layer.grads["W"].copy()
    W, b = layer.params["W"], layer.params["b"]
    expect_out = np.stack([x[i] @ (mask[i] * W) / 0.6 + b for i in range(n)])
    expect_dx = np.stack([dout[i] @ (mask[i] * W).T / 0.6 for i in range(n)])
    expect_gW = sum(mask[i] * np.outer(x[i], dout[i]) for i in range(n)) / 0.6
    np.testing.assert_allclose(out, expect_out, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(dx, expect_dx, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(gW, expect_gW, rtol=1e-12, atol=1e-12)


def test_mask_shapes_and_fresh_masks(rng):
    per = _layer(rng, 5, 3, per_example=True)
    shared = _layer(rng, 5, 3, per_example=False)
    x = rng.normal(size=(7, 5))
    per.forward(x)
    shared.forward(x)
    assert per.mask.shape == (7, 5, 3) == per.mask_shape(7)
    assert shared.mask.shape == (5, 3) == shared.mask_shape(7)
    assert per.mask.dtype == np.bool_
    first = per.mask.copy()
    per.forward(x)
    assert not np.array_equal(first, per.mask)
    per.freeze()
    frozen = per.mask.copy()
    per.forward(x)
    assert np.array_equal(frozen, per.mask)
    per.unfreeze()
    per.forward(x)
    assert not np.array_equal(frozen, per.mask)


def test_test_mode_is_plain_dense_and_backward_matches(rng):
    layer = _layer(rng, 4, 3)
    dense = layers.Dense(layer.params["W"].copy(), layer.params["b"].copy())
    x = rng.normal(size=(6, 4))
    np.testing.assert_array_equal(layer.forward(x, train=False), dense.forward(x))
    d = rng.normal(size=(6, 3))
    np.testing.assert_array_equal(layer.backward(d), dense.backward(d))
    np.testing.assert_array_equal(layer.grads["W"], dense.grads["W"])


@pytest.mark.parametrize("per_example", [True, False])
def test_expectation_is_the_dense_output(per_example):
    rng = np.random.default_rng(3)
    layer = _layer(rng, 6, 4, keep=0.3, per_example=per_example)
    x = rng.normal(size=(1, 6)) if not per_example else np.repeat(rng.normal(size=(1, 6)), 4000, 0)
    exact = x[:1] @ layer.params["W"] + layer.params["b"]
    if per_example:
        mean = layer.forward(x).mean(axis=0)
        draws = x.shape[0]
    else:
        draws = 4000
        mean = np.mean([layer.forward(x)[0] for _ in range(draws)], axis=0)
    # standard error of the mean: sqrt((1-p)/p * sum_i x_i^2 W_ij^2 / draws)
    var = (1 - 0.3) / 0.3 * (x[0] ** 2) @ layer.params["W"] ** 2
    se = np.sqrt(var / draws)
    assert np.all(np.abs(mean - exact[0]) < 5 * se)


def test_keep_prob_one_is_dense(rng):
    layer = _layer(rng, 4, 3, keep=1.0)
    x = rng.normal(size=(5, 4))
    np.testing.assert_allclose(
        layer.forward(x), x @ layer.params["W"] + layer.params["b"], rtol=1e-12
    )
    assert layer.mask.all()


def test_float32_stays_float32(rng):
    layer = _layer(rng, 4, 3, dtype=np.float32)
    out = layer.forward(rng.normal(size=(5, 4)).astype(np.float32))
    assert out.dtype == np.float32
    assert layer.backward(np.ones_like(out)).dtype == np.float32


BAD = [
    (lambda r: DropConnectDense(np.ones((3, 2)), np.ones(2), 0.0, r), ValueError, "keep_prob"),
    (lambda r: DropConnectDense(np.ones((3, 2)), np.ones(2), 1.2, r), ValueError, "keep_prob"),
    (lambda r: DropConnectDense(np.ones((3, 2)), np.ones(2), "0.5", r), TypeError, "keep_prob"),
    (lambda r: DropConnectDense(np.ones((3, 2)), np.ones(2), 0.5, 7), TypeError, "rng"),
    (lambda r: DropConnectDense(np.ones((3, 2)), np.ones(3), 0.5, r), ValueError, "b"),
    (lambda r: DropConnectDense(np.ones(3), np.ones(3), 0.5, r), ValueError, "W"),
    (
        lambda r: DropConnectDense(np.ones((3, 2)), np.ones(2), 0.5, r, per_example=1),
        TypeError,
        "per_example",
    ),
    (
        lambda r: DropConnectDense(np.ones((3, 2)), np.ones(2), 0.5, r).forward(np.ones((4, 5))),
        ValueError,
        "x",
    ),
    (
        lambda r: DropConnectDense(np.ones((3, 2)), np.ones(2), 0.5, r).forward(
            np.full((4, 3), np.nan)
        ),
        ValueError,
        "x",
    ),
    (
        lambda r: DropConnectDense(np.ones((3, 2)), np.ones(2), 0.5, r).freeze(np.ones((3, 2))),
        ValueError,
        "mask",
    ),
    (
        lambda r: DropConnectDense(np.ones((3, 2)), np.ones(2), 0.5, r, per_example=False).freeze(
            np.full((3, 2), 0.5)
        ),
        ValueError,
        "mask",
    ),
    (
        lambda r: DropConnectDense(np.ones((3, 2)), np.ones(2), 0.5, r).freeze(),
        RuntimeError,
        "mask",
    ),
    (
        lambda r: DropConnectDense(np.ones((3, 2)), np.ones(2), 0.5, r).backward(np.ones((4, 2))),
        RuntimeError,
        "backward",
    ),
]


@pytest.mark.parametrize(("make", "exc", "text"), BAD)
def test_bad_inputs(make, exc, text, rng):
    with pytest.raises(exc, match=text):
        make(rng)


def test_frozen_mask_for_other_batch_size_is_refused(rng):
    layer = _layer(rng, 3, 2)
    layer.forward(rng.normal(size=(4, 3)))
    layer.freeze()
    with pytest.raises(ValueError, match="frozen mask"):
        layer.forward(rng.normal(size=(5, 3)))
    with pytest.raises(ValueError, match="dout"):
        layer.forward(rng.normal(size=(4, 3)))
        layer.backward(np.ones((4, 3)))


@pytest.mark.parametrize("per_example", [True, False])
@pytest.mark.parametrize("train", [True, False])
def test_gradients_are_new_arrays_on_every_call(per_example, train):
    # issue 14: a gradient held from one backward pass is never overwritten by the next
    rng = np.random.default_rng(21)
    layer = _layer(rng, 4, 3, 0.5, per_example)
    x1, x2 = rng.normal(size=(6, 4)), rng.normal(size=(6, 4))
    layer.forward(x1, train=train)
    dx1 = layer.backward(rng.normal(size=(6, 3)))
    g1 = layer.grads
    saved = {k: v.copy() for k, v in g1.items()}
    dx1_saved = dx1.copy()
    layer.forward(x2, train=train)
    dx2 = layer.backward(rng.normal(size=(6, 3)))
    g2 = layer.grads
    assert g1 is not g2
    for k in ("W", "b"):
        assert g1[k].tobytes() == saved[k].tobytes(), k  # unchanged by the second call
        assert not np.shares_memory(g1[k], g2[k]), k
        assert not np.array_equal(g1[k], g2[k]), k  # the second call computed something
        assert not np.shares_memory(g2[k], layer.params[k]), k
    assert dx1.tobytes() == dx1_saved.tobytes()
    assert not np.shares_memory(dx1, dx2)
