"""Training loop, divergence handling and the offline data sets."""

from __future__ import annotations

import numpy as np
import pytest

import nnbook
from nnbook import data


def test_sgd_learns_circles(rng):
    X, y = data.circles(400, 0.05, rng)
    model = nnbook.MLP([2, 16, 16, 2], activation="relu", rng=rng)
    hist = nnbook.sgd(model, X, y, epochs=60, lr=0.1, batch_size=32, rng=rng, momentum=0.9)
    assert len(hist.loss) == 60 and len(hist.accuracy) == 60
    assert hist.steps == 60 * 13
    assert hist.accuracy[-1] > 0.95
    assert hist.loss[-1] < hist.loss[0] / 5


def test_sgd_validation_history(rng):
    Xtr, Xte, ytr, yte = data.digits(seed=1)
    model = nnbook.MLP([64, 16, 10], rng=rng)
    hist = nnbook.sgd(
        model, Xtr, ytr, epochs=2, lr=0.05, batch_size=64, rng=rng, X_val=Xte, y_val=yte
    )
    assert len(hist.val_loss) == 2 and len(hist.val_accuracy) == 2


def test_callback_sees_every_step(rng):
    X, y = data.circles(50, 0.1, rng)
    model = nnbook.MLP([2, 4, 2], rng=rng)
    seen = []
    nnbook.sgd(
        model,
        X,
        y,
        epochs=2,
        lr=0.1,
        batch_size=20,
        rng=rng,
        callback=lambda e, s, m: seen.append((e, s)),
    )
    assert seen == [(1, 1), (1, 2), (1, 3), (2, 1), (2, 2), (2, 3)]


def test_divergence_names_epoch_and_step(rng):
    X, y = data.circles(64, 0.1, rng)
    model = nnbook.MLP([2, 32, 2], weight_init=5.0, rng=rng)
    with pytest.raises(nnbook.DivergenceError, match=r"epoch \d+, step \d+"):
        nnbook.sgd(model, X * 1e3, y, epochs=20, lr=1e6, batch_size=16, rng=rng)


def test_digits_split():
    Xtr, Xte, ytr, _ = data.digits(seed=0)
    assert Xtr.shape[1] == 64 and Xtr.shape[0] + Xte.shape[0] == 1797
    assert 0.0 <= Xtr.min() and Xtr.max() <= 1.0
    assert np.array_equal(np.unique(ytr), np.arange(10))
    again = data.digits(seed=0)
    assert np.array_equal(again.X_train, Xtr)
    std = data.digits(seed=0, standardize=True)
    assert np.allclose(std.X_train.mean(axis=0), 0.0, atol=1e-12)


def test_mnist5000_is_bundled():
    Xtr, Xte, ytr, yte = data.mnist5000(seed=0, dtype=np.float32)
    assert Xtr.shape[0] + Xte.shape[0] == 5000 and Xtr.shape[1] == 784
    assert Xtr.dtype == np.float32 and Xtr.max() <= 1.0
    assert np.bincount(np.concatenate([ytr, yte])).tolist() == [500] * 10


def test_synthetic_sets(rng):
    X, y = data.circles(101, 0.0, rng, factor=0.3)
    r = np.linalg.norm(X, axis=1)
    assert np.allclose(r[y == 0], 1.0) and np.allclose(r[y == 1], 0.3)
    X, y = data.spirals(50, rng, n_classes=4)
    assert X.shape == (200, 2) and np.bincount(y).tolist() == [50] * 4


def test_accuracy_and_predict(rng):
    model = nnbook.MLP([3, 2], activation="linear", rng=rng)
    X = rng.normal(size=(10, 3))
    out = model.predict(X)
    assert model.accuracy(X, out.argmax(1)) == 1.0


def test_unit_spread():
    from nnbook.symmetry import unit_spread

    W = np.tile(np.array([[1.0], [2.0]]), (1, 4))
    assert unit_spread(W) == 0.0
    assert unit_spread(W, np.array([0.0, 0.0, 0.5, 0.0])) == 0.5
    W[1, 2] += 1e-3
    assert unit_spread(W) == pytest.approx(1e-3)


def test_paper_scale_switch(monkeypatch):
    from nnbook.notebook import paper_scale

    monkeypatch.delenv("NNBOOK_SCALE", raising=False)
    assert paper_scale() is False
    monkeypatch.setenv("NNBOOK_SCALE", "paper")
    assert paper_scale() is True
    monkeypatch.setenv("NNBOOK_SCALE", "huge")
    with pytest.raises(ValueError, match="NNBOOK_SCALE"):
        paper_scale()
