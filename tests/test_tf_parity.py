"""NumPy and TensorFlow agree on forward values and every gradient (float64, 1e-10)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import nnbook

pytestmark = pytest.mark.tensorflow


@pytest.fixture(scope="module")
def tf_twins():
    from nnbook import tf_twins

    tf_twins.import_tensorflow()
    return tf_twins


@settings(max_examples=15)
@given(
    sizes=st.lists(st.integers(1, 8), min_size=2, max_size=5),
    activation=st.sampled_from(["sigmoid", "tanh", "relu", "linear"]),
    n=st.integers(1, 6),
    seed=st.integers(0, 10_000),
)
def test_softmax_mlp_parity(tf_twins, sizes, activation, n, seed):
    rng = np.random.default_rng(seed)
    sizes[-1] = max(sizes[-1], 2)
    model = nnbook.MLP(sizes, activation=activation, rng=rng, bias_init=0.05)
    X = rng.normal(size=(n, sizes[0]))
    y = rng.integers(0, sizes[-1], n)
    twin = tf_twins.TFMLP(model)
    np.testing.assert_allclose(twin.forward(X).numpy(), model.forward(X), rtol=1e-10, atol=1e-12)
    loss_np, g_np = model.loss_and_grads(X, y)
    loss_tf, g_tf = twin.loss_and_grads(X, y)
    assert abs(loss_np - loss_tf) <= 1e-10 * max(1.0, abs(loss_np))
    for k in g_np:
        assert nnbook.relative_error(g_np[k], g_tf[k]) < 1e-10, k


def test_mse_sigmoid_parity_and_masks(tf_twins, rng):
    model = nnbook.MLP(
        [3, 3, 1],
        activation="sigmoid",
        output_activation="sigmoid",
        loss="mse",
        weight_init="glorot_normal",
        rng=rng,
        keep_prob=0.6,
    )
    X = rng.normal(size=(5, 3))
    y = rng.uniform(size=(5, 1))
    loss_np, g_np = model.loss_and_grads(X, y)
    scale = [d.mask / d.keep_prob for d in model.dropouts]
    loss_tf, g_tf = tf_twins.TFMLP(model).loss_and_grads(X, y, masks=scale)
    assert abs(loss_np - loss_tf) < 1e-12
    for k in g_np:
        assert nnbook.relative_error(g_np[k], g_tf[k]) < 1e-10, k


def test_keras_mlp_same_outputs(tf_twins, rng):
    model = nnbook.MLP([4, 6, 3], activation="tanh", rng=rng)
    X = rng.normal(size=(7, 4))
    net = tf_twins.keras_mlp(model)
    np.testing.assert_allclose(net(X).numpy(), model.predict(X), rtol=1e-12, atol=1e-12)


def test_importing_nnbook_does_not_import_tensorflow():
    import subprocess
    import sys

    code = (
        "import sys, numpy, nnbook; nnbook.MLP([2, 2], rng=numpy.random.default_rng(0)); "
        "print('tensorflow' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_tf32_is_off(tf_twins):
    tf = tf_twins.import_tensorflow()
    assert not tf.config.experimental.tensor_float_32_execution_enabled()
