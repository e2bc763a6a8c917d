"""Every layer and MLP passes a numerical gradient check (property-based over shapes)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import nnbook
from nnbook import gradcheck, layers, losses

TOL = 1e-7
H = 1e-5


def _step(activation: str) -> dict:
    """Difference scheme for a property test.

    A saturated unit or a width-1 bottleneck can make a gradient tiny next to the loss J; the
    two-point formula then cannot reach 1e-7 relative (round-off ≈ ε·J/h, truncation ≈ h²).
    Smooth nets use the five-point stencil with h = 1e-3 (error O(h⁴) + ε/h ≈ 1e-12); ReLU
    nets use h = 1e-5 with every pre-activation kept more than 10h (20h for order 4) from 0.
    """
    return {"h": H, "order": 2} if activation == "relu" else {"h": 1e-3, "order": 4}


def _away_from_kinks(model, X) -> bool:
    """True when no ReLU pre-activation lies within 10h of the kink at 0."""
    model.forward(X, train=True)
    return (
        all(np.abs(z).min() > 10 * H for z in model.z[:-1]) if model.activation == "relu" else True
    )


@given(
    sizes=st.lists(st.integers(1, 6), min_size=2, max_size=5),
    activation=st.sampled_from(["sigmoid", "tanh", "relu", "linear"]),
    weight_init=st.sampled_from(["he_normal", "glorot_uniform", "lecun_normal", "orthogonal"]),
    n=st.integers(1, 6),
    seed=st.integers(0, 10_000),
)
def test_mlp_softmax_gradients(sizes, activation, weight_init, n, seed):
    rng = np.random.default_rng(seed)
    sizes[-1] = max(sizes[-1], 2)
    model = nnbook.MLP(
        sizes, activation=activation, weight_init=weight_init, bias_init=0.1, rng=rng
    )
    X = rng.normal(size=(n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    assume(_away_from_kinks(model, X))
    errors = nnbook.check_gradients(model, X, y, **_step(activation))
    assert set(errors) == set(model.params)
    assert max(errors.values()) < TOL, errors


@given(
    sizes=st.lists(st.integers(1, 5), min_size=2, max_size=4),
    activation=st.sampled_from(["sigmoid", "tanh"]),
    out=st.sampled_from(["sigmoid", "linear", "tanh"]),
    n=st.integers(1, 5),
    seed=st.integers(0, 10_000),
)
def test_mlp_mse_gradients(sizes, activation, out, n, seed):
    rng = np.random.default_rng(seed)
    model = nnbook.MLP(
        sizes,
        activation=activation,
        output_activation=out,
        loss="mse",
        rng=rng,
        weight_init="glorot_normal",
        bias_init=0.2,
    )
    X = rng.normal(size=(n, sizes[0]))
    y = rng.normal(size=(n, sizes[-1]))
    errors = nnbook.check_gradients(model, X, y, **_step(activation))
    assert max(errors.values()) < TOL, errors


@given(
    sizes=st.lists(st.integers(2, 6), min_size=3, max_size=4),
    keep_prob=st.floats(0.3, 1.0),
    n=st.integers(1, 5),
    seed=st.integers(0, 10_000),
)
def test_mlp_with_dropout_frozen_mask(sizes, keep_prob, n, seed):
    rng = np.random.default_rng(seed)
    model = nnbook.MLP(sizes, activation="tanh", keep_prob=keep_prob, rng=rng, bias_init=0.1)
    X = rng.normal(size=(n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    errors = nnbook.check_gradients(model, X, y, h=H)
    assert max(errors.values()) < TOL, errors
    assert all(not d.frozen for d in model.dropouts)  # check_gradients unfreezes afterwards


def _layer_check(layer, x, rng):
    """Check d(sum(out * r))/dx for a random r, and the parameter gradients if any."""
    out = layer.forward(x)
    r = rng.normal(size=out.shape)

    def f(_):
        return float(np.sum(layer.forward(x) * r))

    dx = layer.backward(r)
    analytic_params = {k: g.copy() for k, g in layer.grads.items()}
    assert gradcheck.relative_error(dx, gradcheck.numerical_gradient(f, x, H)) < TOL
    for name, p in layer.params.items():
        numeric = gradcheck.numerical_gradient(f, p, H)
        assert gradcheck.relative_error(analytic_params[name], numeric) < TOL


@given(n=st.integers(1, 5), fi=st.integers(1, 6), fo=st.integers(1, 6), seed=st.integers(0, 10_000))
def test_dense_layer(n, fi, fo, seed):
    rng = np.random.default_rng(seed)
    layer = layers.Dense(rng.normal(size=(fi, fo)), rng.normal(size=fo))
    _layer_check(layer, rng.normal(size=(n, fi)), rng)


@given(
    cls=st.sampled_from([layers.Sigmoid, layers.Tanh, layers.ReLU]),
    shape=st.tuples(st.integers(1, 5), st.integers(1, 6)),
    seed=st.integers(0, 10_000),
)
def test_activation_layers(cls, shape, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=shape)
    assume(np.abs(x).min() > 10 * H)
    _layer_check(cls(), x, rng)


@given(
    shape=st.tuples(st.integers(1, 5), st.integers(1, 6)),
    keep=st.floats(0.2, 1.0),
    seed=st.integers(0, 10_000),
)
def test_dropout_layer_frozen(shape, keep, seed):
    rng = np.random.default_rng(seed)
    layer = layers.Dropout(keep, rng)
    x = rng.normal(size=shape)
    layer.forward(x)
    layer.freeze()
    _layer_check(layer, x, rng)


def test_dropout_fresh_mask_each_pass_and_identity_at_test(rng):
    layer = layers.Dropout(0.5, rng)
    x = np.ones((64, 32))
    a = layer.forward(x)
    m1 = layer.mask.copy()
    layer.forward(x)
    assert not np.array_equal(m1, layer.mask)
    assert set(np.unique(a)) <= {0.0, 2.0}
    assert np.array_equal(layer.forward(x, train=False), x)


def test_dropout_expectation(rng):
    layer = layers.Dropout(0.3, rng)
    x = np.full((2000, 500), 1.5)
    assert abs(layer.forward(x).mean() / 1.5 - 1) < 0.01


def test_losses_gradients(rng):
    logits = rng.normal(size=(5, 4))
    y = rng.integers(0, 4, 5)
    _, d = losses.softmax_cross_entropy(logits, y)
    num = gradcheck.numerical_gradient(lambda z: losses.softmax_cross_entropy(z, y)[0], logits)
    assert gradcheck.relative_error(d, num) < TOL
    target = rng.normal(size=(5, 3))
    pred = rng.normal(size=(5, 3))
    _, d = losses.mse(pred, target)
    num = gradcheck.numerical_gradient(lambda p: losses.mse(p, target)[0], pred)
    assert gradcheck.relative_error(d, num) < TOL


def test_softmax_cross_entropy_values():
    logits = np.array([[0.0, 0.0], [1000.0, 0.0]])
    loss, _ = losses.softmax_cross_entropy(logits, np.array([0, 0]))
    assert loss == pytest.approx(0.5 * np.log(2.0))  # the huge logit does not overflow


def test_gradcheck_catches_a_wrong_gradient(rng):
    model = nnbook.MLP([3, 4, 2], activation="tanh", rng=rng)
    X, y = rng.normal(size=(4, 3)), rng.integers(0, 2, 4)
    _, grads = model.loss_and_grads(X, y)
    wrong = grads["W1"] * 1.01
    numeric = gradcheck.numerical_gradient(lambda _p: model.loss(X, y), model.params["W1"])
    assert gradcheck.relative_error(wrong, numeric) > 5e-3


def test_relative_error_definition():
    assert gradcheck.relative_error(np.zeros(3), np.zeros(3)) == 0.0
    assert gradcheck.relative_error(np.array([1.0, 0.0]), np.array([0.0, 0.0])) == 1.0
    assert gradcheck.relative_error(
        np.array([3.0, 4.0]), np.array([3.0, 4.0 + 5e-8])
    ) == pytest.approx(1e-8)


# --------------------------------------------------------------------------- chapter 1's practice
def _sigmoid_net(rng, sizes=(3, 3, 1)):
    Ws = [rng.normal(size=(a, b)) for a, b in itertools.pairwise(sizes)]
    bs = [rng.normal(size=b) for b in sizes[1:]]
    return nnbook.MLP.from_arrays(Ws, bs, "sigmoid", output_activation="sigmoid", loss="mse")


def test_elementwise_error_finds_the_single_wrong_entry(rng):
    g = rng.normal(size=50)
    g[7] = 1e-3  # one small entry
    bad = g.copy()
    bad[7] *= 3
    assert gradcheck.relative_error(bad, g) < 1e-3  # norm-wise: diluted
    e = gradcheck.elementwise_relative_error(bad, g)
    assert e.shape == g.shape and abs(e[7] - 2 / 3) < 1e-12 and np.all(np.delete(e, 7) == 0)
    # floor caps the error of entries that are zero up to round-off
    assert gradcheck.elementwise_relative_error(np.array([1e-20]), np.array([0.0]))[0] == 1
    tiny = gradcheck.elementwise_relative_error(np.array([1e-20]), np.array([0.0]), floor=1e-8)
    assert tiny[0] == pytest.approx(1e-12)
    assert gradcheck.elementwise_relative_error(np.zeros(2), np.zeros(2)).tolist() == [0, 0]


def test_numerical_grads_fresh_and_h_sweep_v_shape(rng):
    m = _sigmoid_net(rng)
    X, Y = rng.normal(size=(4, 3)), rng.uniform(size=(4, 1))
    _, g = m.loss_and_grads(X, Y)
    g = {k: v.copy() for k, v in g.items()}
    n1 = gradcheck.numerical_grads(m, X, Y)
    n2 = gradcheck.numerical_grads(m, X, Y)
    assert all(n1[k] is not n2[k] for k in n1)
    assert gradcheck.relative_error(gradcheck.flatten(g), gradcheck.flatten(n1)) < 1e-8
    hs = np.logspace(-1, -9, 9)
    errs = gradcheck.h_sweep(m, X, Y, hs, g)
    assert errs[0] > 1e3 * errs.min() and errs[-1] > 10 * errs.min()
    assert abs(gradcheck.loglog_slope(hs, errs, 1e-3, 1e-1) - 2) < 0.3
    e32 = gradcheck.h_sweep(m, X, Y, hs, g, dtype=np.float32)
    assert e32.min() > 100 * errs.min()


def test_loss_differences_vanish_in_float32(rng):
    x = np.ones(4, dtype=np.float32)
    d = gradcheck.loss_differences(lambda v: float(np.sum(v * v)), x, 1e-9)
    assert np.all(d == 0) and np.all(x == 1)
    d64 = gradcheck.loss_differences(lambda v: float(np.sum(v * v)), x.astype(np.float64), 1e-3)
    np.testing.assert_allclose(d64, 4e-3, rtol=1e-9)


def test_loglog_slope_and_errors():
    x = np.logspace(0, 3, 7)
    assert gradcheck.loglog_slope(x, 5 * x**1.5, 1, 1000) == pytest.approx(1.5)
    with pytest.raises(ValueError, match="two points"):
        gradcheck.loglog_slope(x, x, 2000, 3000)


def test_kink_detector_counts_gate_flips(rng):
    W1 = np.array([[1.0, -1.0]])
    m = nnbook.MLP.from_arrays(
        [W1, np.ones((2, 1))],
        [np.array([-0.3 + 1e-6, 0.5]), np.zeros(1)],
        "relu",
        output_activation="sigmoid",
        loss="mse",
    )
    X = np.array([[0.3]])  # unit 1's z = 1e-6, unit 2's z = 0.2
    gates = gradcheck.relu_gates(m, X)
    assert gates(None).tolist() == [True, True]
    c = gradcheck.kink_crossings(gates, m.params["W1"], 1e-5)
    assert c.tolist() == [[1, 0]]
    assert gradcheck.kink_crossings(gates, m.params["b1"], 1e-7).tolist() == [0, 0]
    assert gradcheck.kink_crossings(gates, m.params["W2"], 1e-5).tolist() == [[0], [0]]
    np.testing.assert_array_equal(m.params["W1"], W1)  # restored
    sig = _sigmoid_net(rng)
    assert gradcheck.relu_gates(sig, np.ones((2, 3)))(None).size == 0


def test_descent_ratio_tends_to_one(rng):
    m = _sigmoid_net(rng)
    X, Y = rng.normal(size=(4, 3)), rng.uniform(size=(4, 1))
    _, g = m.loss_and_grads(X, Y)
    g = {k: v.copy() for k, v in g.items()}
    before = {k: p.copy() for k, p in m.params.items()}
    r = gradcheck.descent_ratio(m, X, Y, g, np.array([1e-1, 1e-2, 1e-3]))
    assert abs(r[-1] - 1) < abs(r[0] - 1) and abs(r[-1] - 1) < 1e-2
    assert all(np.array_equal(before[k], m.params[k]) for k in before)
    with pytest.raises(ValueError, match="etas"):
        gradcheck.descent_ratio(m, X, Y, g, np.array([0.0]))


def test_numerical_grads_freezes_dropout(rng):
    m = nnbook.MLP([4, 6, 3], activation="tanh", keep_prob=0.5, rng=rng)
    X, y = rng.normal(size=(5, 4)), rng.integers(0, 3, 5)
    n = gradcheck.numerical_grads(m, X, y)
    m.freeze_dropout()
    _, g = m.loss_and_grads(X, y)
    m.unfreeze_dropout()
    assert max(gradcheck.relative_error(g[k], n[k]) for k in g) < 1e-7
