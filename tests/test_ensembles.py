"""Dropout as an ensemble (chapter 5): exact means over all subnetworks, calibration scores."""

from __future__ import annotations

import numpy as np
import pytest

import nnbook
from nnbook import ensembles
from nnbook.losses import softmax


def _proba(logits):
    return softmax(logits.reshape(-1, logits.shape[-1])).reshape(logits.shape)


def test_all_masks_and_their_probabilities():
    masks = ensembles.all_masks(3)
    assert masks.shape == (8, 3) and len({tuple(m) for m in masks}) == 8
    pi = ensembles.mask_probabilities(masks, 0.7)
    assert abs(pi.sum() - 1.0) < 1e-15
    assert abs(pi[-1] - 0.7**3) < 1e-15 and abs(pi[0] - 0.3**3) < 1e-15


def test_geometric_mean_is_softmax_of_the_mean_logits(rng):
    logits = rng.normal(size=(6, 4, 5))
    w = rng.random(6)
    w /= w.sum()
    G = ensembles.geometric_mean(_proba(logits), w)
    np.testing.assert_allclose(G, softmax(np.tensordot(w, logits, axes=1)), atol=1e-14)
    A = ensembles.arithmetic_mean(_proba(logits), w)
    np.testing.assert_allclose(A, np.tensordot(w, _proba(logits), axes=1), atol=1e-15)
    assert np.abs(A - G).max() > 1e-3  # the two means differ


def test_weight_scaling_is_the_geometric_mean_for_one_dropout_layer(rng):
    net = nnbook.MLP([4, 6, 3], keep_prob=0.7, rng=np.random.default_rng(3))
    X = rng.normal(size=(5, 4))
    out, pi = ensembles.enumerate_subnetworks(net, X)
    assert out.shape == (64, 5, 3) and abs(pi.sum() - 1) < 1e-12
    G = ensembles.geometric_mean(_proba(out), pi)
    np.testing.assert_allclose(G, softmax(net.predict(X)), atol=1e-13)
    assert not any(d.frozen for d in net.dropouts)


def test_two_dropout_layers_make_it_an_approximation(rng):
    net = nnbook.MLP([4, 4, 4, 3], keep_prob=0.5, rng=np.random.default_rng(3))
    X = rng.normal(size=(5, 4))
    out, pi = ensembles.enumerate_subnetworks(net, X)
    assert out.shape == (256, 5, 3)
    G = ensembles.geometric_mean(_proba(out), pi)
    assert np.abs(G - softmax(net.predict(X))).max() > 1e-3


def test_nll_and_entropy_of_known_distributions():
    y = np.array([0, 1])
    assert ensembles.nll(np.eye(3)[[0, 1]], y) == 0.0
    uniform = np.full((2, 4), 0.25)
    assert abs(ensembles.nll(uniform, y) - np.log(4)) < 1e-15
    np.testing.assert_allclose(ensembles.predictive_entropy(uniform), np.log(4), rtol=1e-15)
    assert ensembles.predictive_entropy(np.eye(3)).max() == 0.0


def test_ece_zero_when_calibrated_and_the_gap_when_overconfident():
    # 10 predictions at confidence 0.8, 8 of them right: calibrated
    P = np.tile([0.8, 0.2], (10, 1))
    y = np.array([0] * 8 + [1] * 2)
    assert abs(ensembles.ece(P, y)) < 1e-12
    # the same confidence with only 5 right: |0.5 - 0.8| = 0.3
    y5 = np.array([0] * 5 + [1] * 5)
    assert abs(ensembles.ece(P, y5) - 0.3) < 1e-12
    _, acc, count = ensembles.calibration_bins(P, y5, 5)
    assert count.tolist() == [0, 0, 0, 10, 0] and abs(acc[3] - 0.5) < 1e-15


def test_mutual_information_is_disagreement(rng):
    same = np.tile(_proba(rng.normal(size=(1, 4, 3))), (5, 1, 1))
    np.testing.assert_allclose(ensembles.mutual_information(same), 0.0, atol=1e-12)
    spread = _proba(3 * rng.normal(size=(50, 4, 3)))
    mi = ensembles.mutual_information(spread)
    assert mi.shape == (4,) and np.all(mi > 0.05)


@pytest.mark.parametrize(
    ("call", "exc", "word"),
    [
        (lambda: ensembles.all_masks(17), ValueError, "n_units"),
        (lambda: ensembles.mask_probabilities(np.ones((2, 2), bool), 0.0), ValueError, "keep"),
        (lambda: ensembles.geometric_mean(np.full((2, 3), 0.5)), ValueError, "proba"),
        (
            lambda: ensembles.arithmetic_mean(np.full((2, 1, 2), 0.5), [0.7, 0.7]),
            ValueError,
            "weights",
        ),
        (lambda: ensembles.nll(np.full((2, 2), 0.5), [0, 2]), ValueError, "y"),
        (lambda: ensembles.ece(np.full((2, 2), 0.5), [0, 1], 0), ValueError, "n_bins"),
        (lambda: ensembles.enumerate_subnetworks("net", np.ones((1, 2))), TypeError, "model"),
        (
            lambda: ensembles.enumerate_subnetworks(
                nnbook.MLP([2, 3], rng=np.random.default_rng(0)), np.ones((1, 2))
            ),
            ValueError,
            "no dropout",
        ),
        (
            lambda: ensembles.enumerate_subnetworks(
                nnbook.MLP([2, 17, 3], keep_prob=0.5, rng=np.random.default_rng(0)), np.ones((1, 2))
            ),
            ValueError,
            "2\\^16",
        ),
    ],
)
def test_bad_inputs(call, exc, word):
    with pytest.raises(exc, match=word):
        call()
