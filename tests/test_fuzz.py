"""Fuzzing nnbook's public functions with random shapes, dtypes and values.

Each call either returns a correct result or raises the documented ValueError/TypeError whose
message names the offending parameter: never an exception from deep inside NumPy, never a
silent NaN. Values include NaN, ±inf, empty arrays, 0-d arrays and huge shapes.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import nnbook
from nnbook import activations, gradcheck, init, layers, losses

DTYPES = st.sampled_from([np.float16, np.float32, np.float64])
SPECIAL = st.sampled_from([np.nan, np.inf, -np.inf])


def arrays(min_dims: int = 0, max_dims: int = 3, min_side: int = 0, max_side: int = 5):
    """Float arrays of any dtype and shape (0-d and empty included), moderate finite values."""
    return DTYPES.flatmap(
        lambda dt: hnp.arrays(
            dt,
            hnp.array_shapes(
                min_dims=min_dims, max_dims=max_dims, min_side=min_side, max_side=max_side
            ),
            elements=st.floats(-50, 50, width=16),
        )
    )


def poison(a: np.ndarray, value: float, where: int) -> np.ndarray:
    """A copy of ``a`` with one entry set to NaN or ±inf (``a`` must be non-empty)."""
    b = a.copy()
    b.reshape(-1)[where % b.size] = value
    return b


def expect_named_error(call, name: str, kinds=(ValueError, TypeError)):
    with pytest.raises(kinds) as info:
        call()
    assert name in str(info.value), f"message does not name {name!r}: {info.value}"


# --------------------------------------------------------------------------- activations
@given(z=arrays(), name=st.sampled_from(sorted(activations.ACTIVATIONS)))
def test_activations_on_any_array(z, name):
    f, fprime = activations.ACTIVATIONS[name]
    out, d = f(z), fprime(z)
    assert out.shape == z.shape and d.shape == z.shape
    assert out.dtype == z.dtype and d.dtype == z.dtype
    assert np.all(np.isfinite(out)) and np.all(np.isfinite(d))
    # new arrays, never z itself (the linear unit included): writing into them leaves z alone
    assert not np.shares_memory(out, z) and not np.shares_memory(d, z)
    ref = {
        "sigmoid": lambda x: 1 / (1 + np.exp(-x)),
        "tanh": np.tanh,
        "relu": lambda x: np.maximum(x, 0),
        "linear": lambda x: x,
    }[name]
    np.testing.assert_allclose(out, ref(z.astype(np.float64)), rtol=2e-3, atol=2e-3)


@given(
    z=arrays(min_dims=1, min_side=1),
    bad=SPECIAL,
    where=st.integers(0, 1000),
    name=st.sampled_from(sorted(activations.ACTIVATIONS)),
)
def test_activations_refuse_non_finite(z, bad, where, name):
    f, fprime = activations.ACTIVATIONS[name]
    z = poison(z, bad, where)
    expect_named_error(lambda: f(z), "z")
    expect_named_error(lambda: fprime(z), "z")


@given(value=st.one_of(st.text(max_size=3), st.none(), st.just([1, "a"]), st.just(1 + 2j)))
def test_activations_refuse_non_numbers(value):
    expect_named_error(lambda: activations.sigmoid(value), "z")


# --------------------------------------------------------------------------- initializers
SHAPE_ITEM = st.one_of(st.integers(-3, 6), st.floats(-2, 6), st.just(True), st.none())


@given(
    shape=st.lists(SHAPE_ITEM, min_size=0, max_size=4),
    name=st.sampled_from(sorted(init.BY_NAME)),
    dtype=DTYPES,
    seed=st.integers(0, 99),
)
def test_initializers_on_any_shape(shape, name, dtype, seed):
    rng = np.random.default_rng(seed)
    fn = init.BY_NAME[name]
    valid = len(shape) >= 2 and all(
        isinstance(d, int) and not isinstance(d, bool) and d > 0 for d in shape
    )
    kwargs = {"k": 1} if name == "sparse" else {}
    if not valid:
        expect_named_error(lambda: fn(tuple(shape), rng, dtype=dtype, **kwargs), "shape")
        return
    W = fn(tuple(shape), rng, dtype=dtype, **kwargs)
    assert W.shape == tuple(shape) and W.dtype == dtype
    assert np.all(np.isfinite(W))


@given(
    name=st.sampled_from([*sorted(init.BY_NAME), "zeros", "normal", "uniform"]),
    fan=st.integers(2**16, 2**40),
)
def test_huge_fans_are_refused_before_allocation(name, fan):
    rng = np.random.default_rng(0)
    shape = (fan, 2**15)
    call = {
        "zeros": lambda: init.zeros(shape),
        "normal": lambda: init.normal(shape, 1.0, rng),
        "uniform": lambda: init.uniform(shape, 1.0, rng),
    }.get(name, lambda: init.BY_NAME[name](shape, rng))
    expect_named_error(call, "shape")


@given(
    scale=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=2)),
    which=st.sampled_from(["normal", "uniform", "truncated_normal"]),
)
def test_scale_arguments(scale, which):
    rng = np.random.default_rng(0)
    fn = getattr(init, which)
    name = "limit" if which == "uniform" else "std"
    if isinstance(scale, float) and np.isfinite(scale) and scale >= 0:
        W = fn((4, 3), scale, rng)
        assert np.all(np.isfinite(W))
    else:
        expect_named_error(lambda: fn((4, 3), scale, rng), name)


# --------------------------------------------------------------------------- layers
@given(x=arrays(min_dims=0, max_dims=3), seed=st.integers(0, 99), fo=st.integers(1, 4))
def test_dense_on_any_input(x, seed, fo):
    rng = np.random.default_rng(seed)
    fi = x.shape[1] if x.ndim == 2 and x.shape[1] > 0 else 3
    layer = layers.Dense(rng.normal(size=(fi, fo)), rng.normal(size=fo))
    if x.ndim != 2 or x.shape[1] != fi:
        expect_named_error(lambda: layer.forward(x), "x")
        return
    out = layer.forward(x)
    assert out.shape == (x.shape[0], fo)
    np.testing.assert_allclose(out, x.astype(np.float64) @ layer.W + layer.b, rtol=1e-9, atol=1e-9)
    dx = layer.backward(np.ones_like(out))
    assert dx.shape == x.shape and np.all(np.isfinite(dx))


@given(
    x=arrays(min_dims=1, min_side=1),
    bad=SPECIAL,
    where=st.integers(0, 1000),
    cls=st.sampled_from([layers.Sigmoid, layers.Tanh, layers.ReLU]),
)
def test_layers_refuse_non_finite(x, bad, where, cls):
    layer = cls()
    expect_named_error(lambda: layer.forward(poison(x, bad, where)), "x")
    out = layer.forward(x)
    expect_named_error(lambda: layer.backward(poison(np.ones_like(out), bad, where)), "dout")


@given(
    keep=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(-2, 3)),
    x=arrays(min_dims=1, max_dims=2),
)
def test_dropout_keep_prob_and_inputs(keep, x):
    rng = np.random.default_rng(0)
    if not (np.isfinite(keep) and 0 < keep <= 1):
        expect_named_error(lambda: layers.Dropout(keep, rng), "keep_prob")
        return
    layer = layers.Dropout(keep, rng)
    with np.errstate(over="ignore"):
        overflow = x.size and not np.all(np.isfinite(x.astype(np.float64) / keep).astype(x.dtype))
    if 1.0 / keep > float(np.finfo(x.dtype).max) or overflow:
        expect_named_error(lambda: layer.forward(x), "keep_prob")
        return
    out = layer.forward(x)
    assert out.shape == x.shape and np.all(np.isfinite(out))
    kept = layer.mask
    np.testing.assert_allclose(out[kept], (x[kept] / np.float64(keep)).astype(x.dtype), rtol=1e-2)
    assert np.all(out[~kept] == 0)


# --------------------------------------------------------------------------- losses
@given(logits=arrays(min_dims=0, max_dims=3), seed=st.integers(0, 99))
def test_softmax_cross_entropy_on_any_logits(logits, seed):
    rng = np.random.default_rng(seed)
    if logits.ndim != 2 or logits.size == 0:
        expect_named_error(lambda: losses.softmax_cross_entropy(logits, np.zeros(1, int)), "logits")
        return
    y = rng.integers(0, logits.shape[1], logits.shape[0])
    loss, d = losses.softmax_cross_entropy(logits, y)
    assert np.isfinite(loss) and loss >= -1e-3
    assert d.shape == logits.shape and np.all(np.isfinite(d))
    np.testing.assert_allclose(d.sum(axis=1), 0.0, atol=1e-2)


@given(pred=arrays(min_dims=1, min_side=1), bad=SPECIAL, where=st.integers(0, 1000))
def test_losses_refuse_non_finite(pred, bad, where):
    expect_named_error(lambda: losses.mse(poison(pred, bad, where), pred), "pred")
    expect_named_error(lambda: losses.mse(pred, poison(pred, bad, where)), "target")
    if pred.ndim == 2:
        y = np.zeros(pred.shape[0], int)
        expect_named_error(
            lambda: losses.softmax_cross_entropy(poison(pred, bad, where), y), "logits"
        )


@given(
    y=st.one_of(
        hnp.arrays(np.int64, st.integers(0, 6), elements=st.integers(-3, 6)),
        hnp.arrays(np.float64, st.integers(0, 6), elements=st.floats(-1, 5)),
    )
)
def test_labels_checked(y):
    logits = np.zeros((len(y), 4))
    ok = y.size > 0 and np.all(y == np.round(y)) and y.min() >= 0 and y.max() < 4
    if ok:
        loss, _ = losses.softmax_cross_entropy(logits, y)
        assert loss == pytest.approx(np.log(4))
    elif y.size == 0:
        expect_named_error(lambda: losses.softmax_cross_entropy(logits, y), "logits")
    else:
        expect_named_error(lambda: losses.softmax_cross_entropy(logits, y), "y")


# --------------------------------------------------------------------------- MLP and gradcheck
@given(X=arrays(min_dims=0, max_dims=3, max_side=4), seed=st.integers(0, 99))
def test_mlp_forward_on_any_input(X, seed):
    model = nnbook.MLP([3, 4, 2], rng=np.random.default_rng(seed))
    if X.ndim != 2 or X.size == 0 or X.shape[1] != 3:
        expect_named_error(lambda: model.forward(X), "X")
        return
    out = model.forward(X)
    assert out.shape == (X.shape[0], 2) and np.all(np.isfinite(out))


def test_mlp_overflow_is_reported_not_silent():
    model = nnbook.MLP([2, 3, 2], weight_init=1e200, rng=np.random.default_rng(0))
    with pytest.raises(FloatingPointError, match="not finite"):
        model.forward(np.full((1, 2), 1e200))


@given(
    x=arrays(min_dims=0, max_dims=2, max_side=3), h=st.floats(allow_nan=True, allow_infinity=True)
)
def test_numerical_gradient_on_any_input(x, h):
    x = x.astype(np.float64)
    if not (np.isfinite(h) and h > 0):
        expect_named_error(
            lambda: gradcheck.numerical_gradient(lambda v: float(np.sum(v**2)), x, h), "h"
        )
        return
    # Any valid h is accepted; the accuracy check uses one where central differences are exact
    # for a quadratic up to round-off.
    h = min(max(h, 1e-4), 1e-2)
    g = gradcheck.numerical_gradient(lambda v: float(np.sum(v**2)), x, h)
    np.testing.assert_allclose(g, 2 * x, rtol=1e-3, atol=1e-2)


@pytest.mark.filterwarnings("ignore:overflow encountered in square:RuntimeWarning")
def test_numerical_gradient_reports_overflowing_f():
    expect_named_error(
        lambda: gradcheck.numerical_gradient(lambda v: float(np.sum(v**2)), np.ones(2), 1e300), "f"
    )


@given(a=arrays(min_dims=0, max_dims=2), data=st.data())
def test_relative_error_on_any_input(a, data):
    b = data.draw(hnp.arrays(a.dtype, a.shape, elements=st.floats(-50, 50, width=16)))
    err = gradcheck.relative_error(a, b)
    assert 0.0 <= err <= 2.0 and np.isfinite(err)
    assert gradcheck.relative_error(a, a) == 0.0
    if a.size:
        expect_named_error(lambda: gradcheck.relative_error(poison(a, np.nan, 0), b), "a")
