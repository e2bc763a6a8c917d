"""Per-layer statistics: exact values on small arrays, the MLP recording, the TensorFlow twin."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import nnbook
from nnbook import stats


def test_stds_and_rms_exact():
    a = np.array([[1.0, -1.0], [1.0, -1.0]])
    b = np.array([3.0, 3.0, 3.0])
    np.testing.assert_allclose(stats.stds([a, b]), [1.0, 0.0])
    np.testing.assert_allclose(stats.rms([a, b]), [1.0, 3.0])


def test_stds_any_shape_and_dtype():
    arrays = [np.ones((2, 3, 4, 5), dtype=np.float32), np.arange(6, dtype=np.int64)]
    out = stats.stds(arrays)
    assert out.shape == (2,) and out.dtype == np.float64
    assert out[0] == 0.0 and math.isclose(out[1], np.std(np.arange(6)))


@given(
    first=st.floats(1e-3, 1e3),
    factor=st.floats(0.1, 10.0),
    n=st.integers(2, 40),
)
def test_log_slope_of_a_geometric_sequence(first, factor, n):
    values = first * factor ** np.arange(n)
    assert math.isclose(stats.log_slope(values), math.log(factor), rel_tol=1e-9, abs_tol=1e-9)


def test_saturated_fraction():
    a = np.array([-1.0, -0.5, 0.0, 0.995, 0.999])
    np.testing.assert_allclose(stats.saturated_fraction([a, 2 * a], 0.99), [0.6, 0.8])


def test_histograms_share_edges_and_count_fractions():
    a = np.array([-0.9, -0.1, 0.1, 0.2, 5.0])  # 5.0 lies outside [-1, 1]
    frac, edges = stats.histograms([a, np.zeros(4) + 0.5], bins=4, limit=1.0)
    np.testing.assert_allclose(edges, [-1.0, -0.5, 0.0, 0.5, 1.0])
    np.testing.assert_allclose(frac[0], [0.2, 0.2, 0.4, 0.0])
    np.testing.assert_allclose(frac[1], [0.0, 0.0, 0.0, 1.0])


@pytest.mark.parametrize(
    ("call", "exc", "text"),
    [
        (lambda: stats.stds([]), ValueError, "arrays"),
        (lambda: stats.stds(np.ones((3, 3))), TypeError, "arrays"),
        (lambda: stats.stds([np.ones(3), np.array([1.0, np.nan])]), ValueError, "arrays[1]"),
        (lambda: stats.rms(["abc"]), TypeError, "arrays[0]"),
        (lambda: stats.log_slope([1.0]), ValueError, "values"),
        (lambda: stats.log_slope([1.0, 0.0]), ValueError, "values"),
        (lambda: stats.saturated_fraction([np.ones(2)], -1.0), ValueError, "threshold"),
        (lambda: stats.histograms([np.ones(2)], bins=0, limit=1.0), ValueError, "bins"),
        (lambda: stats.histograms([np.ones(2)], bins=3, limit=0.0), ValueError, "limit"),
        (lambda: stats.layer_stats(object(), np.ones((2, 2)), [0, 1]), TypeError, "model"),
    ],
)
def test_bad_arguments_are_named(call, exc, text):
    with pytest.raises(exc, match=text.replace("[", r"\[").replace("]", r"\]")):
        call()


def test_layer_stats_reads_the_recorded_pass(rng):
    model = nnbook.MLP([5, 7, 6, 3], activation="tanh", weight_init="glorot_uniform", rng=rng)
    X = rng.normal(size=(20, 5))
    y = rng.integers(0, 3, 20)
    s = stats.layer_stats(model, X, y)
    assert all(v.shape == (3,) for v in s)
    # Recompute by hand: forward, then δ^(L) = (softmax − onehot)/N and the recursion.
    h, zs, acts = X, [], []
    for i in range(1, 4):
        z = h @ model.params[f"W{i}"] + model.params[f"b{i}"]
        h = np.tanh(z) if i < 3 else z
        zs.append(z)
        acts.append(h)
    p = np.exp(h - h.max(axis=1, keepdims=True))
    p /= p.sum(axis=1, keepdims=True)
    d = (p - np.eye(3)[y]) / 20
    deltas = [d]
    for i in (3, 2):
        d = (d @ model.params[f"W{i}"].T) * (1 - acts[i - 2] ** 2)
        deltas.insert(0, d)
    np.testing.assert_allclose(s.z_std, [np.std(z) for z in zs], rtol=1e-12)
    np.testing.assert_allclose(s.a_std, [np.std(a) for a in acts], rtol=1e-12)
    np.testing.assert_allclose(s.delta_std, [np.std(d) for d in deltas], rtol=1e-10)
    grads = [(acts[i - 2] if i > 1 else X).T @ deltas[i - 1] for i in (1, 2, 3)]
    np.testing.assert_allclose(s.grad_std, [np.std(g) for g in grads], rtol=1e-10)


def test_relu_xavier_halves_the_second_moment_per_layer():
    # Chapter 3, eq. (3.6): with Var(w) = 1/n, ReLU halves E[a²] at every layer, so the std of
    # z shrinks by 2^(-1/2) per layer; a wide net shows it to within a few percent.
    rng = np.random.default_rng(0)
    model = nnbook.MLP([400] * 9, activation="relu", weight_init="lecun_normal", rng=rng)
    X = rng.normal(size=(400, 400))
    s = stats.layer_stats(model, X, rng.integers(0, 400, 400))
    assert abs(stats.log_slope(s.z_std) + 0.5 * math.log(2)) < 0.03


@pytest.mark.tensorflow
@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear"])
def test_tf_layer_stats_matches_numpy(activation, rng):
    model = nnbook.MLP([6, 8, 8, 4], activation=activation, bias_init=0.1, rng=rng)
    X = rng.normal(size=(16, 6))
    y = rng.integers(0, 4, 16)
    ours = stats.layer_stats(model, X, y)
    theirs = stats.tf_layer_stats(model, X, y)
    for a, b in zip(ours, theirs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-15)


@pytest.mark.tensorflow
def test_tf_layer_stats_refuses_dropout(rng):
    model = nnbook.MLP([3, 4, 2], keep_prob=0.5, rng=rng)
    with pytest.raises(ValueError, match="keep_prob"):
        stats.tf_layer_stats(model, np.ones((2, 3)), [0, 1])


def test_dead_fraction_counts_units_zero_on_every_example():
    a = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])  # unit 0 and unit 2 dead
    b = np.array([[1.0, 2.0], [3.0, 0.0]])
    np.testing.assert_allclose(stats.dead_fraction([a, b]), [2 / 3, 0.0])


def test_update_ratio():
    before = [np.array([1.0, -1.0, 1.0, -1.0]), np.zeros(3)]
    after = [before[0] + np.array([0.1, -0.1, 0.1, -0.1]), np.zeros(3)]
    np.testing.assert_allclose(stats.update_ratio(before, after), [0.1, 0.0])
    with pytest.raises(ValueError, match="layers"):
        stats.update_ratio(before, after[:1])


def test_steps_to_target():
    curves = np.array([[3.0, 2.0, 0.5, 0.1], [3.0, 2.5, 2.0, 1.5], [np.nan, 0.1, 0.0, 0.0]])
    np.testing.assert_array_equal(stats.steps_to_target(curves, 1.0), [2, -1, 1])
    assert stats.steps_to_target(np.array([0.5, 0.1]), 1.0) == 0


def test_curvature_of_a_quadratic_and_a_saddle():
    def f(x):
        return 1.5 * x[0] ** 2 - 2.0 * x[1] ** 2

    x = np.zeros(2)
    assert stats.curvature(f, x, np.array([1.0, 0.0])) == pytest.approx(3.0, abs=1e-6)
    assert stats.curvature(f, x, np.array([0.0, 5.0])) == pytest.approx(-4.0, abs=1e-6)
    with pytest.raises(ValueError, match="direction"):
        stats.curvature(f, x, np.zeros(2))
    with pytest.raises(TypeError, match="callable"):
        stats.curvature(3.0, x, np.ones(2))


def test_plot_layer_histograms_returns_the_fractions():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    arrays = [np.array([-0.5, 0.5]), np.array([0.25, 0.75])]
    fig, axes = plt.subplots(1, 2)
    frac = stats.plot_layer_histograms(axes, arrays, 1.0, "x", bins=4)
    expected, _ = stats.histograms(arrays, bins=4, limit=1.0)
    np.testing.assert_array_equal(frac, expected)
    with pytest.raises(ValueError, match="one axis per layer"):
        stats.plot_layer_histograms(axes[:1], arrays, 1.0, "x")
    plt.close(fig)
