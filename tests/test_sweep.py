"""nnbook.sweep: batched runs follow nnbook.MLP + nnbook.sgd, share draws by seed, freeze."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import nnbook
from nnbook import sweep
from nnbook.sweep import Setting

SIZES = [6, 5, 4, 3]


def _data(n: int = 40):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((n, SIZES[0]))
    y = rng.integers(0, SIZES[-1], size=n)
    return X, y


def _rngs(n: int) -> list[np.random.Generator]:
    return [np.random.default_rng(100 + i) for i in range(n)]


SETTINGS = {"he0": Setting("he", 0.0), "he1": Setting("he", 1.0), "small": Setting(0.01, 1.0)}
LRS = [0.01, 0.05]


def test_each_run_matches_mlp_trained_by_sgd():
    X, y = _data()
    res = sweep.lr_sweep(
        SIZES, X, y, SETTINGS, LRS, _rngs(2), epochs=3, batch_size=8, eval_steps=[2, 5]
    )
    W, b = sweep.init_runs(SIZES, list(SETTINGS.values()), len(LRS), _rngs(2))
    for k, name in enumerate(SETTINGS):
        for li, lr in enumerate(LRS):
            for s in range(2):
                r = (k * len(LRS) + li) * 2 + s
                model = nnbook.MLP.from_arrays(
                    [w[r].copy() for w in W], [v[r, 0].copy() for v in b]
                )
                order = _rngs(2)[s]
                for fan in itertools.pairwise(SIZES):
                    order.standard_normal(fan)  # skip the weight draws, as the sweep does
                losses = []

                def record(epoch, step, m, losses=losses):
                    losses.append(m.loss(X, y, train=False))

                nnbook.sgd(
                    model,
                    X,
                    y,
                    epochs=3,
                    lr=lr,
                    batch_size=8,
                    rng=order,
                    momentum=0.9,
                    callback=record,
                )
                assert res.at(name, lr)[s] == pytest.approx(
                    model.loss(X, y, train=False), rel=1e-10
                )
                assert res.at(name, lr, "loss")[s] == pytest.approx(
                    [losses[1], losses[4]], rel=1e-10
                )
                assert not res.at(name, lr, "diverged")[s]


def test_runs_of_one_seed_share_draws_and_settings_scale_them():
    W, b = sweep.init_runs(SIZES, [Setting("he", 0.0), Setting(0.01, 1.0, -2.0)], 2, _rngs(3))
    R = 2 * 2 * 3
    assert W[0].shape == (R, 6, 5) and b[-1].shape == (R, 1, 3)
    he, small = W[0][0], W[0][2 * 3]  # seed 0 of each setting
    np.testing.assert_allclose(small, he * 0.01 / np.sqrt(2 / 6))
    assert np.array_equal(W[1][0], W[1][3])  # same seed, other learning rate
    assert not np.allclose(W[1][0], W[1][1])  # other seed
    assert np.all(b[0][6:] == 1.0) and np.all(b[-1][6:] == -2.0) and np.all(b[0][:6] == 0.0)


def test_diverged_runs_are_frozen_and_read_nan():
    X, y = _data()
    res = sweep.lr_sweep(
        SIZES,
        X,
        y,
        {"he": Setting("he", 0.0)},
        [1e-4, 1e306],
        _rngs(2),
        epochs=4,
        batch_size=8,
        eval_steps=[20],
    )
    assert not res.diverged[0, 0].any() and res.diverged[0, 1].all()
    assert np.isnan(res.final_loss[0, 1]).all() and np.isfinite(res.final_loss[0, 0]).all()
    assert np.isnan(res.dead[0, 1]).all()
    assert res.median_loss("he")[1] == np.inf and res.best_lr("he") == 1e-4
    assert res.largest_stable_lr("he", threshold=10.0) == 1e-4


def test_dead_fractions_count_units_off_for_every_example():
    W = [np.zeros((1, 2, 3)), np.zeros((1, 3, 2))]
    b = [np.array([[[1.0, -1.0, 0.0]]]), np.zeros((1, 1, 2))]
    X = np.ones((4, 2))
    np.testing.assert_allclose(sweep.dead_fractions(W, b, X), [[2 / 3]])


def test_float32_sweep_agrees_with_float64_early_on():
    X, y = _data()
    kw = dict(epochs=1, batch_size=8, eval_steps=[3])
    r64 = sweep.lr_sweep(SIZES, X, y, SETTINGS, LRS, _rngs(2), **kw)
    r32 = sweep.lr_sweep(SIZES, X, y, SETTINGS, LRS, _rngs(2), dtype=np.float32, **kw)
    np.testing.assert_allclose(r32.loss, r64.loss, rtol=1e-4)


def test_results_are_copies_and_lookups_are_checked():
    X, y = _data()
    res = sweep.lr_sweep(
        SIZES, X, y, SETTINGS, LRS, _rngs(2), epochs=1, batch_size=8, X_test=X, y_test=y
    )
    v = res.at("he0", 0.01)
    v[:] = -1
    assert np.all(res.at("he0", 0.01) > 0)
    assert np.all((res.accuracy >= 0) & (res.accuracy <= 1))
    with pytest.raises(ValueError, match="setting"):
        res.at("nope", 0.01)
    with pytest.raises(ValueError, match="lr"):
        res.at("he0", 0.3)
    with pytest.raises(ValueError, match="what"):
        res.at("he0", 0.01, "weights")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"sizes": [6]}, "sizes"),
        ({"lrs": []}, "lrs"),
        ({"lrs": [-0.1]}, "lrs"),
        ({"settings": {}}, "settings"),
        ({"momentum": 1.0}, "momentum"),
        ({"y": np.zeros(3, int)}, "y"),
        ({"X_eval": np.zeros((2, 6))}, "together"),
    ],
)
def test_bad_arguments_name_the_parameter(kwargs, match):
    X, y = _data()
    args = dict(sizes=SIZES, X=X, y=y, settings=SETTINGS, lrs=LRS, rngs=_rngs(1))
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        sweep.lr_sweep(**args, epochs=1, batch_size=4)


def test_setting_rejects_unknown_weight_rule():
    with pytest.raises(ValueError, match="weight_std"):
        Setting("glorot").std(4)
    assert Setting("he").std(8) == pytest.approx(0.5)
