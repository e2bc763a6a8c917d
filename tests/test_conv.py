"""nnbook.conv: loops agree with im2col, gradients pass central differences, TF agrees."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

import nnbook
from nnbook import conv
from nnbook.layers import ReLU

RNG = np.random.default_rng(0)


# ---------------------------------------------------------------------------- naive references
def _pads(size: int, k: int, s: int, padding: str) -> tuple[int, int, int]:
    if padding == "VALID":
        return (size - k) // s + 1, 0, 0
    out = math.ceil(size / s)
    total = max((out - 1) * s + k - size, 0)
    return out, total // 2, total - total // 2


def naive_conv(x, W, s, padding):
    n, h, w, _ = x.shape
    kh, kw, _, cout = W.shape
    ho, top, _ = _pads(h, kh, s, padding)
    wo, left, _ = _pads(w, kw, s, padding)
    out = np.zeros((n, ho, wo, cout))
    for b in range(n):
        for i in range(ho):
            for j in range(wo):
                for p in range(kh):
                    for q in range(kw):
                        r, c = s * i + p - top, s * j + q - left
                        if 0 <= r < h and 0 <= c < w:
                            out[b, i, j] += x[b, r, c] @ W[p, q]
    return out


def naive_pool(x, k, s, padding):
    n, h, w, ch = x.shape
    ho, top, _ = _pads(h, k, s, padding)
    wo, left, _ = _pads(w, k, s, padding)
    out = np.full((n, ho, wo, ch), -np.inf)
    for i in range(ho):
        for j in range(wo):
            for p in range(k):
                for q in range(k):
                    r, c = s * i + p - top, s * j + q - left
                    if 0 <= r < h and 0 <= c < w:
                        out[:, i, j] = np.maximum(out[:, i, j], x[:, r, c])
    return out


geometry = st.fixed_dictionaries(
    {
        "n": st.integers(1, 3),
        "h": st.integers(1, 7),
        "w": st.integers(1, 7),
        "cin": st.integers(1, 4),
        "cout": st.integers(1, 4),
        "k": st.integers(1, 4),
        "s": st.integers(1, 3),
        "padding": st.sampled_from(["SAME", "VALID"]),
        "seed": st.integers(0, 10_000),
    }
)


def _case(g):
    assume(g["padding"] == "SAME" or (g["k"] <= g["h"] and g["k"] <= g["w"]))
    rng = np.random.default_rng(g["seed"])
    x = rng.normal(size=(g["n"], g["h"], g["w"], g["cin"]))
    W = rng.normal(size=(g["k"], g["k"], g["cin"], g["cout"]))
    return rng, x, W


# ---------------------------------------------------------------------------- forward
@given(geometry)
def test_conv2d_matches_loops(g):
    _, x, W = _case(g)
    got = conv.conv2d(x, W, g["s"], g["padding"])
    np.testing.assert_allclose(got, naive_conv(x, W, g["s"], g["padding"]), rtol=1e-12, atol=1e-12)


@given(geometry)
def test_max_pool_matches_loops(g):
    _, x, _ = _case(g)
    got = conv.max_pool(x, g["k"], g["s"], g["padding"])
    np.testing.assert_array_equal(got, naive_pool(x, g["k"], g["s"], g["padding"]))


@pytest.mark.parametrize(
    ("size", "k", "s", "expected"),
    [
        (5, 3, 1, (5, 1, 1)),
        (6, 3, 2, (3, 0, 1)),  # odd total: the extra row goes to the bottom
        (7, 3, 2, (4, 1, 1)),
        (4, 2, 2, (2, 0, 0)),
        (1, 3, 1, (1, 1, 1)),
        (3, 2, 2, (2, 0, 1)),
        (5, 1, 3, (2, 0, 0)),
    ],
)
def test_same_padding_as_tensorflow_formula(size, k, s, expected):
    assert conv.padding_amounts(size, k, s, "SAME") == expected
    assert conv.output_size(size, k, s, "same") == expected[0]


def test_valid_output_size():
    assert conv.padding_amounts(7, 3, 2, "VALID") == (3, 0, 0)
    assert conv.output_size(4, 4, 1, "VALID") == 1


def test_rectangular_stride_and_kernel():
    x = RNG.normal(size=(2, 6, 5, 3))
    W = RNG.normal(size=(3, 2, 3, 2))
    out = conv.conv2d(x, W, stride=(2, 1), padding="SAME")
    assert out.shape == (2, 3, 5, 2)
    pooled = conv.max_pool(x, size=(3, 2), stride=(1, 2), padding="VALID")
    assert pooled.shape == (2, 4, 2, 3)


def test_flatten_is_row_major_nhwc():
    x = np.arange(2 * 2 * 3 * 4, dtype=float).reshape(2, 2, 3, 4)
    f = conv.flatten(x)
    assert f.shape == (2, 24)
    assert f[1, 5] == x[1, 0, 1, 1]


def test_conv_keeps_float32():
    x = RNG.normal(size=(1, 4, 4, 3)).astype(np.float32)
    W = RNG.normal(size=(3, 3, 3, 2)).astype(np.float32)
    assert conv.conv2d(x, W).dtype == np.float32
    assert conv.max_pool(x).dtype == np.float32


# ---------------------------------------------------------------------------- gradients
@given(geometry)
def test_conv2d_backward_matches_central_differences(g):
    rng, x, W = _case(g)
    G = rng.normal(size=conv.conv2d(x, W, g["s"], g["padding"]).shape)
    dx, dW = conv.conv2d_backward(G, x, W, g["s"], g["padding"])

    def f(_):
        return float(np.sum(conv.conv2d(x, W, g["s"], g["padding"]) * G))

    assert nnbook.relative_error(dx, nnbook.numerical_gradient(f, x)) < 1e-8
    assert nnbook.relative_error(dW, nnbook.numerical_gradient(f, W)) < 1e-8


@given(geometry)
def test_max_pool_backward_matches_central_differences(g):
    rng, x, _ = _case(g)
    k, s, pad = g["k"], g["s"], g["padding"]
    # Random normals have no ties, and a step of 1e-5 never changes which entry is the max
    # unless two entries are closer than that.
    flat = np.sort(x.ravel())
    assume(flat.size < 2 or np.min(np.diff(flat)) > 1e-4)
    G = rng.normal(size=conv.max_pool(x, k, s, pad).shape)
    dx = conv.max_pool_backward(G, x, k, s, pad)
    num = nnbook.numerical_gradient(lambda _: float(np.sum(conv.max_pool(x, k, s, pad) * G)), x)
    assert nnbook.relative_error(dx, num) < 1e-8


def test_max_pool_backward_ties_go_to_first_entry():
    x = np.zeros((1, 2, 2, 1))
    dx = conv.max_pool_backward(np.ones((1, 1, 1, 1)), x)
    np.testing.assert_array_equal(dx[0, :, :, 0], [[1.0, 0.0], [0.0, 0.0]])


def test_layer_chain_gradients():
    """Conv2D -> ReLU -> MaxPool2D -> Flatten against central differences, every parameter."""
    rng = np.random.default_rng(3)
    x = rng.normal(size=(2, 5, 5, 2))
    layer = conv.Conv2D(rng.normal(size=(3, 3, 2, 3)), rng.normal(size=3) * 0.1, 2, "SAME")
    chain = [layer, ReLU(), conv.MaxPool2D(2, 1, "SAME"), conv.Flatten()]
    out = x
    for lay in chain:
        out = lay.forward(out)
    G = rng.normal(size=out.shape)

    def loss(_):
        h = x
        for lay in chain:
            h = lay.forward(h)
        return float(np.sum(h * G))

    loss(None)
    g = G
    for lay in reversed(chain):
        g = lay.backward(g)
    analytic = {k: v.copy() for k, v in layer.grads.items()}
    dx = g
    for name, p in layer.params.items():
        assert nnbook.relative_error(analytic[name], nnbook.numerical_gradient(loss, p)) < 1e-7
    assert nnbook.relative_error(dx, nnbook.numerical_gradient(loss, x)) < 1e-7


def test_flatten_layer_roundtrip():
    f = conv.Flatten()
    x = RNG.normal(size=(3, 2, 2, 5))
    out = f.forward(x)
    np.testing.assert_array_equal(f.backward(out), x)


def test_bias_add_is_broadcast_on_channels():
    x = RNG.normal(size=(2, 3, 3, 4))
    b = np.arange(4.0)
    np.testing.assert_array_equal(conv.bias_add(x, b), x + b)


# ---------------------------------------------------------------------------- bad inputs
X4 = np.ones((1, 4, 4, 3))
W4 = np.ones((3, 3, 3, 2))

BAD = [
    (lambda: conv.conv2d(X4, W4, padding="same-ish"), ValueError, "padding"),
    (lambda: conv.conv2d(X4, W4, padding=1), TypeError, "padding"),
    (lambda: conv.conv2d(X4, np.ones((3, 3, 2, 2))), ValueError, "channels"),
    (lambda: conv.conv2d(X4, W4, stride=0), ValueError, "stride"),
    (lambda: conv.conv2d(X4, W4, stride=1.5), TypeError, "stride"),
    (lambda: conv.conv2d(X4, W4, stride=(1, 2, 3)), TypeError, "stride"),
    (lambda: conv.conv2d(np.ones((4, 4, 3)), W4), ValueError, "x"),
    (lambda: conv.conv2d(X4, np.ones((3, 3, 3))), ValueError, "W"),
    (lambda: conv.conv2d(X4, np.ones((5, 5, 3, 2)), padding="VALID"), ValueError, "kernel"),
    (lambda: conv.conv2d_backward(np.ones((1, 3, 3, 2)), X4, W4), ValueError, "dout"),
    (lambda: conv.max_pool(X4, size=0), ValueError, "size"),
    (lambda: conv.max_pool(X4, stride=-1), ValueError, "stride"),
    (lambda: conv.max_pool(X4, padding="FULL"), ValueError, "padding"),
    (lambda: conv.max_pool_backward(np.ones((1, 3, 3, 3)), X4), ValueError, "dout"),
    (lambda: conv.flatten(np.ones(3)), ValueError, "x"),
    (lambda: conv.bias_add(X4, np.ones((3, 1))), ValueError, "b"),
    (lambda: conv.bias_add(X4, np.ones(4)), ValueError, "b"),
    (lambda: conv.Conv2D(W4, np.ones(3)), ValueError, "b"),
    (lambda: conv.Conv2D(W4, np.ones(2, dtype=np.float32)), TypeError, "b"),
    (lambda: conv.Conv2D(W4, np.ones(2)).forward(np.ones((1, 4, 4, 2))), ValueError, "channels"),
    (lambda: conv.Conv2D(W4, np.ones(2)).backward(np.ones((1, 4, 4, 2))), RuntimeError, "forward"),
    (lambda: conv.padding_amounts(0, 3, 1, "SAME"), ValueError, "size"),
]


@pytest.mark.parametrize(("call", "exc", "text"), BAD)
def test_bad_inputs_name_the_parameter(call, exc, text):
    with pytest.raises(exc, match=text):
        call()


# ---------------------------------------------------------------------------- TensorFlow
@pytest.fixture(scope="module")
def tf():
    from nnbook import tf_twins

    return tf_twins.import_tensorflow()


@pytest.mark.tensorflow
@given(geometry)
def test_tensorflow_parity(tf, g):
    rng, x, W = _case(g)
    s, pad, k = g["s"], g["padding"], g["k"]
    xt, Wt = tf.Variable(x), tf.Variable(W)
    out = conv.conv2d(x, W, s, pad)
    G = rng.normal(size=out.shape)
    with tf.GradientTape() as tape:
        out_tf = tf.nn.conv2d(xt, Wt, s, pad)
        loss = tf.reduce_sum(out_tf * G)
    dx_tf, dW_tf = tape.gradient(loss, [xt, Wt])
    np.testing.assert_allclose(out, out_tf.numpy(), rtol=1e-10, atol=1e-12)
    dx, dW = conv.conv2d_backward(G, x, W, s, pad)
    np.testing.assert_allclose(dx, dx_tf.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(dW, dW_tf.numpy(), rtol=1e-10, atol=1e-12)
    # tf.constant: a bare float64 ndarray can reach MaxPool as float32 (its T defaults to float)
    pooled = tf.nn.max_pool(tf.constant(x, dtype=tf.float64), k, s, pad)
    np.testing.assert_array_equal(conv.max_pool(x, k, s, pad), pooled.numpy())


def test_conv2d_layer_grads_are_new_arrays_every_call():
    rng = np.random.default_rng(5)
    layer = conv.Conv2D(rng.standard_normal((3, 3, 2, 4)), np.zeros(4))
    x = rng.standard_normal((2, 5, 5, 2))
    layer.forward(x)
    layer.backward(np.ones((2, 5, 5, 4)))
    first = layer.grads
    layer.forward(x)
    layer.backward(-np.ones((2, 5, 5, 4)))
    assert first["W"] is not layer.grads["W"] and first["b"] is not layer.grads["b"]
    np.testing.assert_allclose(first["W"], -layer.grads["W"])
    np.testing.assert_allclose(first["b"], np.full(4, 50.0))


def test_flatten_results_are_new_arrays():
    x = RNG.normal(size=(3, 2, 2, 5))
    f = conv.flatten(x)
    assert not np.shares_memory(f, x)  # writing into the result leaves x alone
    layer = conv.Flatten()
    out = layer.forward(x)
    assert not np.shares_memory(out, x)
    d = RNG.normal(size=out.shape)
    back = layer.backward(d)
    assert not np.shares_memory(back, d)
    np.testing.assert_array_equal(back.reshape(d.shape), d)
