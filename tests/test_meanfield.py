"""Mean-field recursions (chapter 3): exact cases, a simulated wide layer, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from nnbook import meanfield, seedstack


def test_expect_gaussian_moments():
    assert math.isclose(meanfield.expect(lambda z: z**2, 2.5), 2.5, rel_tol=1e-10)
    assert math.isclose(meanfield.expect(lambda z: z**4, 2.0), 3 * 4.0, rel_tol=1e-9)
    assert meanfield.expect(np.ones_like, 0.0) == pytest.approx(1.0, rel=1e-12)


def test_expect_resolves_narrow_features_at_huge_q():
    # E[sech^4(z)] for z ~ N(0, q) ≈ (4/3) / sqrt(2 pi q) when q is large
    q = 1e4
    got = meanfield.expect(lambda z: (1 - np.tanh(z) ** 2) ** 2, q)
    assert got == pytest.approx((4 / 3) / math.sqrt(2 * math.pi * q), rel=1e-3)


def test_linear_and_relu_recursions_are_geometric():
    q = meanfield.forward_variances(1.5, 2.0, 5, activation="linear")
    np.testing.assert_allclose(q, 2.0 * 1.5 ** np.arange(1, 6))
    q = meanfield.forward_variances(2.0, 1.0, 6, activation="relu")
    np.testing.assert_allclose(q, 2.0, rtol=1e-3)  # He: E[relu(z)^2] = q/2
    chi = meanfield.backward_gains(2.0, q, activation="relu")
    np.testing.assert_allclose(chi, 1.0, rtol=1e-3)


def test_tanh_critical_point_and_chaos():
    chi_small = meanfield.backward_gains(1.0, np.array([1e-8]))
    assert chi_small[0] == pytest.approx(1.0, abs=1e-6)
    q = meanfield.forward_variances(500.0, 1.0, 3)
    chi = meanfield.backward_gains(500.0, q)
    assert 11 < chi[-1] < 13  # the review's "about 3.5x per layer" in std


def test_prediction_matches_a_simulated_wide_tanh_stack():
    rng = np.random.default_rng(3)
    X = rng.standard_normal((400, 400))
    Ws = [W * (1.3 / 20) for W in seedstack.stack_normal([400] * 5, [rng])]
    acts = seedstack.forward(Ws, X, "tanh")[1]
    q = meanfield.forward_variances(1.3**2, 1.0, 4)
    pred = np.sqrt([meanfield.expect(lambda z: np.tanh(z) ** 2, v) for v in q])
    measured = np.array([a[0].std() for a in acts[:3]])
    np.testing.assert_allclose(measured, pred[:3], rtol=0.03)


def test_second_moments_with_one_gain_equal_the_plain_recursion():
    q = meanfield.forward_variances(0.9, 1.0, 4)
    m = [meanfield.expect(lambda z: np.tanh(z) ** 2, v) for v in q]
    np.testing.assert_allclose(meanfield.forward_second_moments(np.array([0.9]), 1.0, 4), m)


@pytest.mark.parametrize(
    ("call", "text"),
    [
        (lambda: meanfield.expect(np.tanh, -1.0), "q"),
        (lambda: meanfield.forward_variances(1.0, 1.0, 0), "depth"),
        (lambda: meanfield.forward_variances(1.0, 1.0, 3, activation="elu"), "activation"),
        (lambda: meanfield.backward_gains(1.0, np.array([-1.0])), "q"),
        (lambda: meanfield.forward_second_moments(np.array([-1.0]), 1.0, 2), "gains"),
    ],
)
def test_bad_input(call, text):
    with pytest.raises(ValueError, match=text):
        call()
