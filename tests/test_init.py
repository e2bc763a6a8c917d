"""Initializers: fans, variances against their formulas, sparse and orthogonal structure."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nnbook import init

# (initializer, variance formula from the fans)
VARIANCE = {
    "lecun_normal": lambda fi, fo: 1.0 / fi,
    "lecun_uniform": lambda fi, fo: 1.0 / fi,
    "glorot_uniform": lambda fi, fo: 2.0 / (fi + fo),
    "glorot_normal": lambda fi, fo: 2.0 / (fi + fo),
    "he_normal": lambda fi, fo: 2.0 / fi,
    "he_uniform": lambda fi, fo: 2.0 / fi,
    "standard_uniform": lambda fi, fo: 1.0 / (3.0 * fi),
}


@pytest.mark.parametrize(
    ("shape", "expected"),
    [((3, 5), (3, 5)), ((3, 3, 16, 32), (144, 288)), ((7, 4, 2), (28, 14)), ((1, 1), (1, 1))],
)
def test_fans(shape, expected):
    assert init.fans(shape) == expected


@pytest.mark.parametrize("bad", [(), (5,), 5])
def test_fans_needs_two_dims(bad):
    with pytest.raises(ValueError, match="shape"):
        init.fans(bad)


@pytest.mark.parametrize("name", sorted(VARIANCE))
@pytest.mark.parametrize("shape", [(400, 300), (3, 3, 64, 32)])
def test_variance_matches_formula(name, shape, rng):
    W = init.BY_NAME[name](shape, rng)
    fi, fo = init.fans(shape)
    expected = VARIANCE[name](fi, fo)
    n = W.size
    # The sample variance of n iid draws has relative standard error sqrt(2/n) for a normal
    # (smaller for a uniform); 5 standard errors is a test that fails only on a real bug.
    assert abs(W.var() / expected - 1.0) < 5 * math.sqrt(2.0 / n)
    assert abs(W.mean()) < 5 * math.sqrt(expected / n)


@pytest.mark.parametrize(
    "name", ["glorot_uniform", "he_uniform", "lecun_uniform", "standard_uniform"]
)
def test_uniform_limits(name, rng):
    W = init.BY_NAME[name]((200, 100), rng)
    limit = math.sqrt(3 * VARIANCE[name](200, 100))
    assert W.min() >= -limit and W.max() <= limit
    assert W.max() > 0.98 * limit and W.min() < -0.98 * limit


def test_normal_uniform_constant_zeros(rng):
    assert np.array_equal(init.zeros((2, 3)), np.zeros((2, 3)))
    assert np.all(init.constant((4,), 0.5) == 0.5)
    W = init.normal((500, 500), 0.01, rng)
    assert abs(W.std() / 0.01 - 1) < 0.01
    U = init.uniform((500, 500), 0.2, rng)
    assert abs(U.var() / (0.2**2 / 3) - 1) < 0.01


def test_truncated_normal_std_factor(rng):
    T = init.truncated_normal((1000, 1000), 0.1, rng)
    assert np.abs(T).max() <= 0.2
    assert abs(T.std() / (0.1 * init.TRUNCATED_NORMAL_STD_FACTOR) - 1) < 0.005


@given(
    fan_in=st.integers(1, 60),
    fan_out=st.integers(1, 40),
    k=st.integers(1, 60),
    seed=st.integers(0, 99),
)
def test_sparse_has_exactly_k_nonzeros_per_unit(fan_in, fan_out, k, seed):
    rng = np.random.default_rng(seed)
    if k > fan_in:
        with pytest.raises(ValueError, match="k must not exceed"):
            init.sparse((fan_in, fan_out), rng, k=k)
        return
    W = init.sparse((fan_in, fan_out), rng, k=k)
    assert W.shape == (fan_in, fan_out)
    assert np.all(np.count_nonzero(W, axis=0) == k)


def test_sparse_conv_shape(rng):
    W = init.sparse((3, 3, 8, 5), rng, k=10)
    assert np.all(np.count_nonzero(W.reshape(-1, 5), axis=0) == 10)


@given(rows=st.integers(1, 40), cols=st.integers(1, 40), seed=st.integers(0, 99))
def test_orthogonal(rows, cols, seed):
    Q = init.orthogonal((rows, cols), np.random.default_rng(seed), gain=1.0)
    if rows >= cols:
        assert np.abs(Q.T @ Q - np.eye(cols)).max() < 1e-12
    else:
        assert np.abs(Q @ Q.T - np.eye(rows)).max() < 1e-12
    s = np.linalg.svd(Q, compute_uv=False)
    assert np.allclose(s, 1.0, atol=1e-12)


def test_orthogonal_gain_and_conv(rng):
    Q = init.orthogonal((3, 3, 4, 6), rng, gain=2.0).reshape(-1, 6)
    assert np.abs(Q.T @ Q - 4.0 * np.eye(6)).max() < 1e-12


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(init.BY_NAME))
def test_dtype_respected(name, dtype, rng):
    W = init.BY_NAME[name]((20, 10), rng, dtype=dtype)
    assert W.dtype == dtype


def test_same_seed_same_weights():
    a = init.he_normal((5, 5), np.random.default_rng(3))
    b = init.he_normal((5, 5), np.random.default_rng(3))
    assert np.array_equal(a, b)
