"""nnbook.symmetry: ordered products, the ordered MLP, the width-1 collapse, spread traces."""

from __future__ import annotations

import numpy as np
import pytest

import nnbook
from nnbook import data
from nnbook.symmetry import (
    OrderedDense,
    OrderedMLP,
    blas_kernel,
    constant_init,
    curvatures,
    equal_column_spreads,
    flat_params,
    format_ranges,
    noise_spread_trace,
    ordered_matmul,
    rounding_bound,
    spread_trace,
    swap_directions,
    train_with_twin,
    unit_params,
    unit_spread,
    width_one,
    width_one_learning_rates,
    with_flat_params,
    with_private_inputs,
)
from nnbook.train import sgd_update


def constant(c: float):
    return lambda shape, rng, dtype: np.full(shape, c, dtype=dtype)


# --------------------------------------------------------------------------- ordered_matmul
@pytest.mark.parametrize("shape", [(5, 7, 3), (40, 64, 33), (1, 1, 1), (3, 0, 4), (0, 3, 2)])
def test_ordered_matmul_matches_blas(rng, shape):
    n, k, m = shape
    A, B = rng.normal(size=(n, k)), rng.normal(size=(k, m))
    np.testing.assert_allclose(ordered_matmul(A, B), A @ B, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("width", [1, 5, 9, 17, 33, 100])
def test_ordered_matmul_equal_columns_are_bit_identical(rng, width):
    A = rng.normal(size=(37, 64))
    B = np.repeat(rng.normal(size=(64, 1)), width, axis=1)
    C = ordered_matmul(A, B)
    assert unit_spread(C) == 0.0
    # equal rows of A give equal rows of the result, too
    R = ordered_matmul(np.repeat(A[:1], 11, axis=0), rng.normal(size=(64, width)))
    assert unit_spread(R.T) == 0.0


def test_ordered_matmul_paths_agree_bitwise(rng):
    # the accumulate path (small results) and the loop path give the same bits
    from nnbook import symmetry

    A, B = rng.normal(size=(8, 50)), rng.normal(size=(50, 6))
    small = symmetry._ordered(A, B)
    old = symmetry._SMALL_RESULT
    try:
        symmetry._SMALL_RESULT = 0
        looped = symmetry._ordered(A, B)
    finally:
        symmetry._SMALL_RESULT = old
    assert np.array_equal(small, looped)


def test_ordered_matmul_is_a_left_to_right_sum():
    a = np.array([[1e16, 1.0, -1e16]])
    b = np.ones((3, 1))
    # ((1e16 + 1) - 1e16) = 0 in float64; another order would give 1
    assert ordered_matmul(a, b)[0, 0] == 0.0


def test_ordered_matmul_bad_inputs():
    with pytest.raises(ValueError, match="A has 3 columns"):
        ordered_matmul(np.ones((2, 3)), np.ones((4, 2)))
    with pytest.raises(ValueError, match="A must be 2-dimensional"):
        ordered_matmul(np.ones(3), np.ones((3, 2)))
    with pytest.raises(ValueError, match="B must contain only finite"):
        ordered_matmul(np.ones((2, 2)), np.array([[1.0, np.nan], [0.0, 1.0]]))
    with pytest.raises(TypeError, match="A must hold real"):
        ordered_matmul(np.ones((2, 2), dtype=complex), np.ones((2, 2)))


# --------------------------------------------------------------------------- OrderedMLP
def test_ordered_mlp_matches_mlp_and_passes_gradcheck(rng):
    X, y = data.circles(30, 0.1, rng)
    kwargs = dict(activation="tanh", weight_init="glorot_uniform", bias_init=0.1)
    a = OrderedMLP([2, 7, 5, 2], rng=np.random.default_rng(3), **kwargs)
    b = nnbook.MLP([2, 7, 5, 2], rng=np.random.default_rng(3), **kwargs)
    la, ga = a.loss_and_grads(X, y)
    lb, gb = b.loss_and_grads(X, y)
    assert la == pytest.approx(lb, rel=1e-13)
    for k in gb:
        np.testing.assert_allclose(ga[k], gb[k], rtol=1e-10, atol=1e-14)
    assert all(isinstance(d, OrderedDense) for d in a.dense)
    assert max(nnbook.check_gradients(a, X[:8], y[:8]).values()) < 1e-7


def test_ordered_mlp_grads_match_its_layers(rng):
    X, y = data.circles(20, 0.1, rng)
    m = OrderedMLP([2, 4, 2], rng=rng)
    _, grads = m.loss_and_grads(X, y)
    for i, d in enumerate(m.dense, start=1):
        assert np.array_equal(grads[f"W{i}"], d.grads["W"])
        assert m.params[f"W{i}"] is d.params["W"]


def test_ordered_mlp_results_are_independent_across_calls(rng):
    X, y = data.circles(40, 0.1, rng)
    m = OrderedMLP([2, 5, 2], rng=rng)
    _, g1 = m.loss_and_grads(X[:20], y[:20])
    kept = {k: v.copy() for k, v in g1.items()}
    _, g2 = m.loss_and_grads(X[20:], y[20:])
    for k in g1:
        assert g1[k] is not g2[k]
        assert np.array_equal(g1[k], kept[k])  # the second call changed nothing
    assert any(not np.array_equal(g1[k], g2[k]) for k in g1)


def test_ordered_dense_checked_pair_matches_dense(rng):
    W, b = rng.normal(size=(5, 3)), rng.normal(size=3)
    x, dout = rng.normal(size=(4, 5)), rng.normal(size=(4, 3))
    od, d = OrderedDense(W.copy(), b.copy()), nnbook.layers.Dense(W.copy(), b.copy())
    np.testing.assert_allclose(od.forward(x), d.forward(x), rtol=1e-13)
    np.testing.assert_allclose(od.backward(dout), d.backward(dout), rtol=1e-13)
    for k in ("W", "b"):
        np.testing.assert_allclose(od.grads[k], d.grads[k], rtol=1e-13)
    with pytest.raises(ValueError, match="dout must have the output's shape"):
        od.backward(np.ones((2, 3)))
    with pytest.raises(ValueError, match="x has 4 features"):
        od.forward(np.ones((2, 4)))
    with pytest.raises(RuntimeError, match="before forward"):
        OrderedDense(W.copy(), b.copy()).backward(dout)


def test_ordered_mlp_copy_and_repr(rng):
    m = OrderedMLP([3, 4, 2], rng=rng, keep_prob=0.5)
    c = m.copy()
    assert isinstance(c, OrderedMLP) and c.keep_prob == 0.5
    assert c.params["W1"] is not m.params["W1"]
    assert np.array_equal(c.params["W1"], m.params["W1"])
    assert repr(m).startswith("OrderedMLP(")


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_constant_start_stays_exactly_symmetric(activation):
    Xtr, _, ytr, _ = data.digits(seed=0)
    m = OrderedMLP(
        [64, 33, 10],
        activation=activation,
        weight_init=constant(0.05),
        rng=np.random.default_rng(0),
    )
    hist, spreads = spread_trace(
        m, Xtr[:256], ytr[:256], epochs=2, lr=0.1, batch_size=32, rng=np.random.default_rng(1)
    )
    assert spreads.shape == (hist.steps + 1, 1)
    assert np.all(spreads == 0.0)
    assert unit_spread(m.params["W2"].T) == 0.0
    assert np.abs(m.params["W1"] - 0.05).max() > 0  # it did train


def test_dropout_breaks_symmetry():
    Xtr, _, ytr, _ = data.digits(seed=0)
    m = OrderedMLP(
        [64, 16, 10], weight_init=constant(0.05), keep_prob=0.8, rng=np.random.default_rng(0)
    )
    _, spreads = spread_trace(
        m, Xtr[:128], ytr[:128], epochs=1, lr=0.1, batch_size=32, rng=np.random.default_rng(1)
    )
    assert spreads[0, 0] == 0.0 and spreads[-1, 0] > 1e-4


def test_spread_trace_two_hidden_layers_and_callback(rng):
    X, y = data.circles(40, 0.1, rng)
    m = OrderedMLP([2, 6, 4, 2], weight_init=constant(0.3), rng=rng)
    seen = []
    hist, spreads = spread_trace(
        m, X, y, epochs=3, lr=0.1, batch_size=20, rng=rng, callback=lambda e, s, _: seen.append(s)
    )
    assert spreads.shape == (hist.steps + 1, 2) and len(seen) == hist.steps
    assert np.all(spreads == 0.0)


def test_spread_trace_refuses_non_models(rng):
    with pytest.raises(TypeError, match=r"model must be an nnbook\.MLP"):
        spread_trace("net", np.ones((2, 2)), [0, 1], epochs=1, lr=0.1, batch_size=1, rng=rng)
    with pytest.raises(ValueError, match="at least one hidden layer"):
        spread_trace(
            nnbook.MLP([2, 2], rng=rng),
            np.ones((2, 2)),
            np.array([0, 1]),
            epochs=1,
            lr=0.1,
            batch_size=1,
            rng=rng,
        )


# --------------------------------------------------------------------------- width one
@pytest.mark.parametrize("sizes", [[5, 6, 3], [5, 6, 4, 3], [4, 3, 5, 2, 2]])
def test_width_one_computes_the_same_function(rng, sizes):
    m = OrderedMLP(sizes, activation="tanh", weight_init=constant(0.2), bias_init=0.1, rng=rng)
    # leave the all-constant point: a few training steps keep the symmetry but vary the values
    X = rng.normal(size=(16, sizes[0]))
    y = rng.integers(0, sizes[-1], 16)
    nnbook.sgd(m, X, y, epochs=3, lr=0.2, batch_size=8, rng=rng)
    narrow = width_one(m)
    assert narrow.layer_sizes == [sizes[0], *([1] * (len(sizes) - 2)), sizes[-1]]
    np.testing.assert_allclose(narrow.predict(X), m.predict(X), rtol=1e-12, atol=1e-13)


def test_width_one_refuses_asymmetric_and_dropout(rng):
    m = OrderedMLP([3, 4, 2], weight_init=constant(0.2), rng=rng)
    m.params["W1"][0, 1] += 1e-9
    with pytest.raises(ValueError, match="not symmetric in hidden layer 1"):
        width_one(m)
    assert width_one(m, atol=1e-8).layer_sizes == [3, 1, 2]
    m.params["W1"][0, 1] -= 1e-9
    m.params["W2"][2, 0] += 1.0
    with pytest.raises(ValueError, match="outgoing spread"):
        width_one(m)
    with pytest.raises(ValueError, match="dropout"):
        width_one(OrderedMLP([3, 4, 2], weight_init=constant(0.2), keep_prob=0.5, rng=rng))
    with pytest.raises(TypeError, match=r"model must be an nnbook\.MLP"):
        width_one(np.ones((3, 3)))
    with pytest.raises(ValueError, match="atol must be non-negative"):
        width_one(m, atol=-1.0)


def test_width_one_learning_rates_values():
    assert width_one_learning_rates([64, 48, 10], 0.1) == pytest.approx(
        {"W1": 0.1 / 48, "b1": 0.1 / 48, "W2": 0.1 * 48, "b2": 0.1}
    )
    r = width_one_learning_rates([3, 4, 5, 2], 1.0)
    assert r == pytest.approx(
        {"W1": 1 / 4, "b1": 1 / 4, "W2": 4 / 5, "b2": 1 / 5, "W3": 5.0, "b3": 1.0}
    )
    with pytest.raises(ValueError, match="at least one hidden layer"):
        width_one_learning_rates([3, 2], 0.1)
    with pytest.raises(TypeError, match="layer_sizes"):
        width_one_learning_rates("343", 0.1)
    with pytest.raises(ValueError, match="lr must be non-negative"):
        width_one_learning_rates([3, 4, 2], -0.1)


@pytest.mark.parametrize("sizes", [[5, 6, 3], [5, 6, 4, 3]])
def test_width_one_follows_the_wide_net_with_rescaled_rates(rng, sizes):
    wide = OrderedMLP(sizes, activation="tanh", weight_init=constant(0.15), rng=rng)
    narrow = width_one(wide)
    rates = width_one_learning_rates(sizes, 0.3)
    vel_w = {k: np.zeros_like(p) for k, p in wide.params.items()}
    vel_n = {k: np.zeros_like(p) for k, p in narrow.params.items()}
    X = rng.normal(size=(24, sizes[0]))
    y = rng.integers(0, sizes[-1], 24)
    for step in range(30):
        idx = slice(8 * (step % 3), 8 * (step % 3) + 8)
        _, g = wide.loss_and_grads(X[idx], y[idx])
        sgd_update(wide.params, g, 0.3, vel_w, 0.9)
        _, g = narrow.loss_and_grads(X[idx], y[idx])
        for k in narrow.params:
            sgd_update({k: narrow.params[k]}, {k: g[k]}, rates[k], {k: vel_n[k]}, 0.9)
        np.testing.assert_allclose(narrow.predict(X), wide.predict(X), rtol=1e-10, atol=1e-12)


# --------------------------------------------------------------------------- constant_init
def test_constant_init_is_a_weight_init(rng):
    m = OrderedMLP([3, 4, 2], weight_init=constant_init(-0.25), rng=rng)
    assert np.all(m.params["W1"] == -0.25) and np.all(m.params["W2"] == -0.25)
    m32 = nnbook.MLP([3, 4, 2], weight_init=constant_init(0.5), rng=rng, dtype=np.float32)
    assert m32.params["W1"].dtype == np.float32
    with pytest.raises(ValueError, match="c must be"):
        constant_init(float("nan"))


# --------------------------------------------------------------------------- train_with_twin
def test_train_with_twin_records_exact_symmetry(rng):
    X, y = data.circles(48, 0.1, rng)
    wide = OrderedMLP([2, 6, 2], activation="tanh", weight_init=constant_init(0.3), rng=rng)
    twin, run = train_with_twin(
        wide, X, y, X[:10], y[:10], epochs=2, lr=0.2, batch_size=16, rng=rng, momentum=0.9
    )
    assert run.steps == 6 and run.accuracy_wide.shape == (2,)
    assert np.all(run.spread_in == 0.0) and np.all(run.spread_out == 0.0)
    assert run.collapse_err.max() < 1e-13 and run.twin_err.max() < 1e-11
    assert twin.layer_sizes == [2, 1, 2] and isinstance(twin, OrderedMLP)
    assert np.array_equal(run.accuracy_wide, run.accuracy_twin)
    assert np.abs(wide.params["W1"] - 0.3).max() > 0  # it trained
    with pytest.raises(TypeError, match=r"wide must be an nnbook\.MLP"):
        train_with_twin("w", X, y, X, y, epochs=1, lr=0.1, batch_size=4, rng=rng)


def test_width_one_keeps_the_class(rng):
    m = OrderedMLP([3, 4, 2], weight_init=constant_init(0.2), rng=rng)
    assert type(width_one(m)) is OrderedMLP
    p = nnbook.MLP([3, 4, 2], weight_init=constant_init(0.2), rng=rng)
    assert type(width_one(p)) is nnbook.MLP


# --------------------------------------------------------------------------- BLAS and bits
def test_equal_column_spreads_ordered_is_exact_and_blas_is_bounded(rng):
    X, w = rng.normal(size=(50, 64)), rng.normal(size=64)
    widths = range(1, 20)
    ordered = equal_column_spreads(X, w, widths, matmul=ordered_matmul)
    blas = equal_column_spreads(X, w, widths)
    assert ordered.shape == (19,) and np.all(ordered == 0.0)
    bound = rounding_bound(X, w)
    assert 0 < bound < 1e-12 and blas.max() <= bound
    with pytest.raises(ValueError, match="w must have 64 entries"):
        equal_column_spreads(X, w[:3], widths)
    with pytest.raises(ValueError, match="widths"):
        equal_column_spreads(X, w, [0])


def test_rounding_bound_covers_two_orders(rng):
    X, w = rng.normal(size=(200, 64)), rng.normal(size=64)
    left = ordered_matmul(X, w[:, None])[:, 0]
    reverse = ordered_matmul(X[:, ::-1], w[::-1, None])[:, 0]
    gap = np.abs(left - reverse).max()
    assert 0 < gap <= rounding_bound(X, w)


def test_blas_kernel_names_something():
    name = blas_kernel()
    assert isinstance(name, str) and name


# --------------------------------------------------------------------------- flat parameters
def test_flat_params_round_trip(rng):
    m = OrderedMLP([2, 3, 2], rng=rng)
    theta = flat_params(m)
    assert theta.size == m.n_params
    m2 = with_flat_params(m, theta + 1.0)
    np.testing.assert_array_equal(m2.params["W1"], m.params["W1"] + 1.0)
    np.testing.assert_array_equal(flat_params(m), theta)  # the original is untouched
    with pytest.raises(ValueError, match="theta must have"):
        with_flat_params(m, theta[:-1])


def test_unit_params_and_swap_directions(rng):
    m = OrderedMLP([2, 2, 2], weight_init=constant_init(0.5), rng=rng)
    assert np.array_equal(unit_params(m.params, 0), unit_params(m.params, 1))
    along, across = swap_directions(m, +1.0), swap_directions(m, -1.0)
    assert along.shape == across.shape == (5, m.n_params)
    np.testing.assert_allclose(along @ along.T, np.eye(5), atol=1e-15)
    np.testing.assert_allclose(along @ across.T, 0.0, atol=1e-15)
    moved = with_flat_params(m, flat_params(m) + 0.3 * across[2])
    diff = unit_params(moved.params, 0) - unit_params(moved.params, 1)
    assert np.count_nonzero(diff) == 1  # the bias, moved apart
    with pytest.raises(ValueError, match="sign must be"):
        swap_directions(m, 0.5)
    with pytest.raises(ValueError, match="j must be a unit"):
        unit_params(m.params, 5)


def test_curvatures_of_a_known_quadratic(rng):
    # a linear network with the half squared error is quadratic in the output layer's weights
    X, Y = rng.normal(size=(30, 2)), rng.normal(size=(30, 1))
    m = nnbook.MLP([2, 1], activation="linear", loss="mse", rng=rng)
    U = np.eye(m.n_params)
    eig, vec = curvatures(m, X, Y, U)
    N = len(X)
    A = np.hstack([X, np.ones((N, 1))])
    exact = np.linalg.eigvalsh(A.T @ A / N)
    np.testing.assert_allclose(eig, exact, rtol=1e-6)
    assert vec.shape == (3, 3)


def test_curvatures_saddle_of_a_symmetric_pair():
    # at the constant start the pair is symmetric: the gradient has no sideways part
    rng = np.random.default_rng(0)
    X, y = data.circles(60, 0.1, rng)
    m = OrderedMLP([2, 2, 2], activation="tanh", weight_init=constant_init(0.5), rng=rng)
    _, g = m.loss_and_grads(X, y)
    across = swap_directions(m, -1.0)
    g_flat = np.concatenate([g[k].ravel() for k in ("W1", "b1", "W2", "b2")])
    assert np.all(across @ g_flat == 0.0)
    eig, _ = curvatures(m, X, y, across)
    assert eig.shape == (5,) and np.all(np.isfinite(eig))


# --------------------------------------------------------------------------- noise per unit
def test_private_noise_breaks_and_shared_noise_keeps_symmetry(rng):
    X, y = data.circles(64, 0.1, rng)
    base = OrderedMLP([2, 5, 2], activation="tanh", weight_init=constant_init(0.3), rng=rng)
    shared = noise_spread_trace(
        base.copy(),
        X,
        y,
        lambda xb: xb + rng.normal(0, 0.1, xb.shape),
        epochs=2,
        lr=0.2,
        batch_size=16,
        rng=rng,
        momentum=0.9,
    )
    assert shared.shape == (9,) and np.all(shared == 0.0)
    private = with_private_inputs(base)
    assert private.layer_sizes == [7, 5, 2]
    W_fixed = private.params["W1"][2:].copy()
    trace = noise_spread_trace(
        private,
        X,
        y,
        lambda xb: np.hstack([xb, rng.normal(0, 0.1, (len(xb), 5))]),
        epochs=2,
        lr=0.2,
        batch_size=16,
        rng=rng,
        momentum=0.9,
        frozen_rows=5,
    )
    assert trace[0] == 0.0 and trace[-1] > 1e-4
    assert np.array_equal(private.params["W1"][2:], W_fixed)


def test_format_ranges():
    assert format_ranges([9, 5, 6, 7, 12, 11]) == "5-7, 9, 11-12"
    assert format_ranges([]) == "none"
    assert format_ranges(np.array([3])) == "3"


def test_with_arrays_keeps_the_class_and_optionally_the_dropout(rng):
    m = OrderedMLP([3, 4, 2], activation="tanh", rng=rng, keep_prob=0.5)
    Ws = [m.params["W1"] * 2, m.params["W2"]]
    bs = [m.params["b1"], m.params["b2"]]
    kept = m.with_arrays(Ws, bs)
    plain = m.with_arrays(Ws, bs, keep_dropout=False)
    assert isinstance(kept, OrderedMLP) and isinstance(plain, OrderedMLP)
    assert kept.keep_prob == 0.5 and kept.rng is m.rng and plain.keep_prob is None
    assert kept.activation == plain.activation == "tanh"
    assert kept.params["W1"] is Ws[0]  # used as given, not copied
