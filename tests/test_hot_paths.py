"""The optimized kernels give the same bits as the plain formulas they replace.

Appendix "How fast is from-scratch NumPy?": ReLU's backward pass ANDs bit patterns instead of
a boolean-mask assignment, activation and dropout gradients are computed in place on arrays
the network owns, ``loss_and_grads`` skips ∂J/∂X, and ``sgd_update`` uses a scratch buffer.
None of it may change a result, a dtype, or an array the caller passed in.
"""

from __future__ import annotations

import numpy as np
import pytest

import nnbook
from nnbook.layers import ReLU, Sigmoid, Tanh
from nnbook.train import sgd_update


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64])
def test_relu_backward_matches_boolean_mask_bit_for_bit(dtype):
    rng = np.random.default_rng(0)
    z = rng.standard_normal((7, 9)).astype(dtype)
    z[0, :3] = [0.0, -0.0, 1e-30]
    dout = rng.standard_normal(z.shape).astype(dtype)
    dout[1, :4] = [-0.0, 0.0, -1.0, 2.0]
    layer = ReLU()
    out = layer.forward(z)
    expected = dout.copy()
    expected[out <= 0] = 0  # the textbook form
    before = dout.copy()
    got = layer.backward(dout)
    assert got.dtype == dtype
    assert got.tobytes() == expected.tobytes()  # same bits: +0.0 where the unit is off
    assert dout.tobytes() == before.tobytes()  # the caller's array is untouched


def test_relu_kernel_keeps_inf_where_the_unit_is_on_and_zeroes_it_elsewhere():
    layer = ReLU()
    layer._forward(np.array([[1.0, -1.0, 0.0]]), True)
    g = np.array([[np.inf, np.inf, -np.inf]])
    assert layer._backward_inplace(g).tolist() == [[np.inf, 0.0, 0.0]]


def test_relu_on_a_0d_array():
    layer = ReLU()
    layer.forward(np.array(-2.0))
    assert float(layer.backward(np.array(3.0))) == 0.0


@pytest.mark.parametrize("cls", [ReLU, Sigmoid, Tanh])
def test_inplace_kernels_equal_the_copying_ones(cls):
    rng = np.random.default_rng(1)
    layer = cls()
    layer.forward(rng.standard_normal((5, 6)).astype(np.float32))
    dout = rng.standard_normal((5, 6)).astype(np.float32)
    copy = layer._backward(dout)
    inplace = layer._backward_inplace(dout.copy())
    assert copy.tobytes() == inplace.tobytes()


@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "linear"])
@pytest.mark.parametrize("keep_prob", [None, 0.7])
def test_loss_and_grads_equal_forward_loss_backward(activation, keep_prob):
    def make() -> nnbook.MLP:
        return nnbook.MLP([6, 8, 7, 3], activation=activation, keep_prob=keep_prob,
                          rng=np.random.default_rng(2), dtype=np.float32)  # fmt: skip

    rng = np.random.default_rng(3)
    X = rng.standard_normal((10, 6)).astype(np.float32)
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


def test_float32_network_stays_float32():
    rng = np.random.default_rng(4)
    model = nnbook.MLP([5, 6, 4], keep_prob=0.8, rng=rng, dtype=np.float32)
    X = rng.standard_normal((8, 5)).astype(np.float32)
    _, grads = model.loss_and_grads(X, rng.integers(0, 4, 8))
    arrays = [*model.z, *model.a, *model.deltas, *grads.values(), *model.params.values()]
    assert {a.dtype for a in arrays} == {np.dtype(np.float32)}


@pytest.mark.parametrize("momentum", [0.0, 0.9])
def test_sgd_update_equals_the_plain_formula(momentum):
    rng = np.random.default_rng(5)
    params = {"W": rng.standard_normal((4, 3)).astype(np.float32),
              "b": rng.standard_normal(3).astype(np.float32)}  # fmt: skip
    grads = {k: rng.standard_normal(v.shape).astype(np.float32) for k, v in params.items()}
    velocity = {k: rng.standard_normal(v.shape).astype(np.float32) for k, v in params.items()}
    expect_p = {k: v.copy() for k, v in params.items()}
    expect_v = {k: v.copy() for k, v in velocity.items()}
    for k, p in expect_p.items():
        if momentum:
            expect_v[k] *= momentum
            expect_v[k] -= np.float32(0.1) * grads[k]
            p += expect_v[k]
        else:
            p -= np.float32(0.1) * grads[k]
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
