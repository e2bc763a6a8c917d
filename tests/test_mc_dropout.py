"""Monte-Carlo dropout inference (chapter 5): shapes, averaging, determinism, bad inputs."""

from __future__ import annotations

import numpy as np
import pytest

import nnbook
from nnbook import mc_dropout
from nnbook.losses import softmax


def _model(seed=0, keep=0.5):
    return nnbook.MLP([4, 16, 3], keep_prob=keep, rng=np.random.default_rng(seed))


def test_shapes_and_probabilities(rng):
    model = _model()
    X = rng.normal(size=(5, 4))
    samples = mc_dropout.sample_outputs(model, X, 7)
    assert samples.shape == (7, 5, 3)
    assert not np.array_equal(samples[0], samples[1])
    for average in ("proba", "logits"):
        p = mc_dropout.mc_predict_proba(model, X, 3, average=average)
        assert p.shape == (5, 3)
        np.testing.assert_allclose(p.sum(axis=1), 1.0, rtol=1e-12)


def test_average_definitions(rng):
    X = rng.normal(size=(5, 4))
    a, b = _model(seed=1), _model(seed=1)
    samples = mc_dropout.sample_outputs(a, X, 4)
    p = mc_dropout.mc_predict_proba(b, X, 4)  # same seed: the same four masks
    np.testing.assert_allclose(p, np.mean([softmax(s) for s in samples], axis=0), rtol=1e-12)
    c = _model(seed=1)
    q = mc_dropout.mc_predict_proba(c, X, 4, average="logits")
    np.testing.assert_allclose(q, softmax(samples.mean(axis=0)), rtol=1e-12)


def test_keep_prob_one_equals_test_mode(rng):
    model = _model(keep=1.0)
    X = rng.normal(size=(5, 4))
    p = mc_dropout.mc_predict_proba(model, X, 3)
    np.testing.assert_allclose(p, softmax(model.predict(X)), rtol=1e-12)


def test_many_samples_approach_the_mean_logits():
    rng = np.random.default_rng(5)
    model = _model(seed=2, keep=0.8)
    X = rng.normal(size=(3, 4))
    samples = mc_dropout.sample_outputs(model, X, 4000)
    # inverted dropout: the expected logits equal the test-mode logits (linear last layer)
    np.testing.assert_allclose(samples.mean(axis=0), model.predict(X), atol=0.05)


@pytest.mark.parametrize(
    ("call", "exc", "text"),
    [
        (lambda m, X: mc_dropout.sample_outputs(m, X, 0), ValueError, "k"),
        (lambda m, X: mc_dropout.sample_outputs(m, X, 2.0), TypeError, "k"),
        (lambda m, X: mc_dropout.sample_outputs(m, X[0], 2), ValueError, "X"),
        (lambda m, X: mc_dropout.sample_outputs("net", X, 2), TypeError, "model"),
        (lambda m, X: mc_dropout.mc_predict_proba(m, X, 2, average="mean"), ValueError, "average"),
    ],
)
def test_bad_inputs(call, exc, text, rng):
    with pytest.raises(exc, match=text):
        call(_model(), rng.normal(size=(5, 4)))


def test_model_without_dropout_or_frozen_is_refused(rng):
    X = rng.normal(size=(5, 4))
    plain = nnbook.MLP([4, 3], rng=rng)
    with pytest.raises(ValueError, match="no dropout"):
        mc_dropout.sample_outputs(plain, X, 2)
    model = _model()
    model.forward(X)
    model.freeze_dropout()
    with pytest.raises(ValueError, match="frozen"):
        mc_dropout.sample_outputs(model, X, 2)
