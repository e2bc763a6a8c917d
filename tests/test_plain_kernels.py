"""The layers are their equations, and what a call returns is never changed by a later call.

Chapter 1 (eq-bp-forward, eq-bp-recursion, eq-bp-grads) and chapter 5 (eq-do-forward,
eq-do-backward): every forward/backward is checked against the formula written out here, and
``loss_and_grads`` against the public forward, loss and backward.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import nnbook
from nnbook import layers, mlp
from nnbook.layers import Dense, Dropout, ReLU, Sigmoid, Tanh
from nnbook.train import sgd_update

DTYPES = [np.float16, np.float32, np.float64]


def _rand(rng, shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


@pytest.mark.parametrize("dtype", DTYPES)
def test_dense_is_its_equations(dtype):
    rng = np.random.default_rng(0)
    x, W, b, d = _rand(rng, (5, 4), dtype), _rand(rng, (4, 3), dtype), _rand(rng, 3, dtype), None
    layer = Dense(W, b)
    z = layer.forward(x)
    np.testing.assert_array_equal(z, x @ W + b)  # eq-bp-forward
    d = _rand(rng, z.shape, dtype)
    dx = layer.backward(d)
    np.testing.assert_array_equal(dx, d @ W.T)
    np.testing.assert_array_equal(layer.grads["W"], x.T @ d)  # eq-bp-grads
    np.testing.assert_array_equal(layer.grads["b"], d.sum(axis=0))
    assert {dx.dtype, layer.grads["W"].dtype, layer.grads["b"].dtype} == {np.dtype(dtype)}


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize(
    ("cls", "f", "fprime"),
    [
        (ReLU, lambda z: np.maximum(z, 0), lambda z, a: z > 0),
        (Sigmoid, lambda z: 1 / (1 + np.exp(-z)), lambda z, a: a * (1 - a)),
        (Tanh, np.tanh, lambda z, a: 1 - a * a),
    ],
)
def test_activation_layers_are_their_equations(cls, f, fprime, dtype):
    rng = np.random.default_rng(1)
    z = _rand(rng, (6, 7), dtype)
    z[0, :2] = [0.0, -0.0]  # ReLU's kink gets slope 0
    d = _rand(rng, z.shape, dtype)
    d_before = d.copy()
    layer = cls()
    a = layer.forward(z)
    tol = {np.float16: 1e-3, np.float32: 1e-6, np.float64: 1e-15}[dtype]
    np.testing.assert_allclose(a, f(z.astype(np.float64)), rtol=tol, atol=tol)
    got = layer.backward(d)
    assert got.dtype == dtype and a.dtype == dtype
    np.testing.assert_array_equal(got, d * fprime(z, a))  # δ = dout ⊙ f'(z)
    assert d.tobytes() == d_before.tobytes()  # the caller's array is untouched
    if cls is ReLU:
        assert np.all(got[0, :2] == 0)


def test_relu_on_a_0d_array():
    layer = ReLU()
    layer.forward(np.array(-2.0))
    assert float(layer.backward(np.array(3.0))) == 0.0


def test_dropout_is_its_equations():
    rng = np.random.default_rng(2)
    x = _rand(rng, (8, 5), np.float32)
    layer = Dropout(0.6, np.random.default_rng(3))
    out = layer.forward(x)
    scale = layer.mask.astype(np.float32) * np.float32(1 / 0.6)
    np.testing.assert_array_equal(out, x * scale)  # eq-do-forward
    d = _rand(rng, x.shape, np.float32)
    np.testing.assert_array_equal(layer.backward(d), d * scale)  # eq-do-backward
    test_out = layer.forward(x, train=False)
    np.testing.assert_array_equal(test_out, x)
    assert not np.shares_memory(test_out, x)  # the identity still returns its own array
    back = layer.backward(d)
    np.testing.assert_array_equal(back, d)
    assert not np.shares_memory(back, d)


def test_no_inplace_or_ownership_variants_left():
    source = inspect.getsource(layers) + inspect.getsource(mlp)
    for word in ("_backward_inplace", "owned", "bitwise", "out="):
        assert word not in source, word


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("keep_prob", [None, 0.7])
def test_loss_and_grads_equal_forward_loss_backward(activation, keep_prob):
    def make() -> nnbook.MLP:
        return nnbook.MLP([6, 8, 7, 3], activation=activation, keep_prob=keep_prob,
                          rng=np.random.default_rng(2), dtype=np.float32)  # fmt: skip

    rng = np.random.default_rng(3)
    X = _rand(rng, (10, 6), np.float32)
    y = rng.integers(0, 3, 10)
    m1, m2 = make(), make()
    loss1, grads1 = m1.loss_and_grads(X, y)
    loss2, dout = nnbook.softmax_cross_entropy(m2.forward(X), y)
    dout_before = dout.copy()
    dX = m2.backward(dout)  # the public path, which also returns ∂J/∂X
    assert loss1 == loss2
    assert dX.shape == X.shape and dX.dtype == np.float32
    assert dout.tobytes() == dout_before.tobytes()  # backward leaves its argument alone
    for k in grads1:
        assert grads1[k].tobytes() == m2.grads[k].tobytes(), k
    for d1, d2 in zip(m1.deltas, m2.deltas, strict=True):
        assert d1.tobytes() == d2.tobytes()


def test_mlp_backward_is_the_delta_recursion():
    # chapter 1, eq-bp-recursion and eq-bp-grads, written out for a 2-hidden-layer tanh net
    rng = np.random.default_rng(4)
    m = nnbook.MLP([4, 5, 6, 3], activation="tanh", rng=rng)
    X, y = _rand(rng, (7, 4)), rng.integers(0, 3, 7)
    _, grads = m.loss_and_grads(X, y)
    a, W = m.a, [m.params[f"W{i}"] for i in (1, 2, 3)]
    delta3 = nnbook.softmax_cross_entropy(a[3], y)[1]
    delta2 = (delta3 @ W[2].T) * (1 - a[2] ** 2)
    delta1 = (delta2 @ W[1].T) * (1 - a[1] ** 2)
    for i, delta in zip((1, 2, 3), (delta1, delta2, delta3), strict=True):
        np.testing.assert_allclose(grads[f"W{i}"], a[i - 1].T @ delta, rtol=1e-13, atol=1e-16)
        np.testing.assert_allclose(grads[f"b{i}"], delta.sum(axis=0), rtol=1e-13, atol=1e-16)
        np.testing.assert_allclose(m.deltas[i - 1], delta, rtol=1e-13, atol=1e-16)


@pytest.mark.parametrize("keep_prob", [None, 0.5])
def test_loss_and_grads_results_are_independent_across_calls(keep_prob):
    rng = np.random.default_rng(5)
    m = nnbook.MLP([6, 8, 3], keep_prob=keep_prob, rng=rng)
    X1, X2 = _rand(rng, (9, 6)), _rand(rng, (9, 6))
    y1, y2 = rng.integers(0, 3, 9), rng.integers(0, 3, 9)
    _, g1 = m.loss_and_grads(X1, y1)
    saved = {k: v.copy() for k, v in g1.items()}
    deltas1 = [d.copy() for d in m.deltas]
    deltas_list = m.deltas
    _, g2 = m.loss_and_grads(X2, y2)
    assert g1 is not g2
    for k in g1:
        assert g1[k].tobytes() == saved[k].tobytes(), k  # unchanged by the second call
        assert not np.shares_memory(g1[k], g2[k]), k
        assert not np.array_equal(g1[k], g2[k]), k  # the second call did compute something
    for d_old, d_saved in zip(deltas_list, deltas1, strict=True):
        assert d_old.tobytes() == d_saved.tobytes()
    assert m.grads is g2  # the model's dict is the last call's


def test_sgd_update_does_not_change_returned_gradients():
    rng = np.random.default_rng(6)
    m = nnbook.MLP([4, 5, 2], rng=rng)
    X, y = _rand(rng, (6, 4)), rng.integers(0, 2, 6)
    _, g = m.loss_and_grads(X, y)
    saved = {k: v.copy() for k, v in g.items()}
    sgd_update(m.params, g, 0.1)
    for k in g:
        assert g[k].tobytes() == saved[k].tobytes()
        assert not np.shares_memory(g[k], m.params[k])


def test_forward_outputs_are_independent_across_calls():
    rng = np.random.default_rng(7)
    m = nnbook.MLP([3, 4, 2], keep_prob=0.5, rng=rng)
    X = _rand(rng, (5, 3))
    out1 = m.forward(X)
    z1, a1 = m.z, m.a
    saved = out1.copy(), [z.copy() for z in z1]
    m.forward(2 * X)
    m.predict(X)
    assert out1.tobytes() == saved[0].tobytes()
    assert all(z.tobytes() == s.tobytes() for z, s in zip(z1, saved[1], strict=True))
    assert a1[0] is X  # a^(0) is the input itself, as documented


def test_mlp_checks_its_input_once(monkeypatch):
    from nnbook import _checks

    calls = []
    real = _checks.float_array

    def counting(value, name, *args, **kwargs):
        calls.append(name)
        return real(value, name, *args, **kwargs)

    rng = np.random.default_rng(8)
    m = nnbook.MLP([3, 4, 2], rng=rng)
    X, y = _rand(rng, (5, 3)), rng.integers(0, 2, 5)
    monkeypatch.setattr(_checks, "float_array", counting)
    m.loss_and_grads(X, y)
    assert calls.count("X") == 1


def test_float32_network_stays_float32():
    rng = np.random.default_rng(4)
    model = nnbook.MLP([5, 6, 4], keep_prob=0.8, rng=rng, dtype=np.float32)
    X = rng.standard_normal((8, 5)).astype(np.float32)
    _, grads = model.loss_and_grads(X, rng.integers(0, 4, 8))
    arrays = [*model.z, *model.a, *model.deltas, *grads.values(), *model.params.values()]
    assert {a.dtype for a in arrays} == {np.dtype(np.float32)}


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_update_equals_the_formula(momentum):
    rng = np.random.default_rng(5)
    params = {"W": rng.standard_normal((4, 3)).astype(np.float32),
              "b": rng.standard_normal(3).astype(np.float32)}  # fmt: skip
    grads = {k: rng.standard_normal(v.shape).astype(np.float32) for k, v in params.items()}
    velocity = {k: rng.standard_normal(v.shape).astype(np.float32) for k, v in params.items()}
    expect_p = {k: v.copy() for k, v in params.items()}
    expect_v = {k: v.copy() for k, v in velocity.items()}
    for k in expect_p:
        if momentum:  # v ← μ v − η g, θ ← θ + v
            expect_v[k] = np.float32(momentum) * expect_v[k] - np.float32(0.1) * grads[k]
            expect_p[k] = expect_p[k] + expect_v[k]
        else:  # θ ← θ − η g
            expect_p[k] = expect_p[k] - np.float32(0.1) * grads[k]
    grads_before = {k: v.copy() for k, v in grads.items()}
    sgd_update(params, grads, 0.1, velocity if momentum else None, momentum)
    for k in params:
        assert params[k].dtype == np.float32
        assert params[k].tobytes() == expect_p[k].tobytes()
        assert grads[k].tobytes() == grads_before[k].tobytes()
        if momentum:
            assert velocity[k].tobytes() == expect_v[k].tobytes()


def test_sgd_update_with_a_gradient_of_another_dtype_follows_numpy():
    p = np.ones(3, np.float32)
    expect = p.copy()
    g = np.full(3, 1 / 3)  # float64
    expect -= np.float32(0.5) * g
    sgd_update({"p": p}, {"p": g}, 0.5)
    assert p.tobytes() == expect.tobytes()
