"""Bad input gets a ValueError/TypeError that names the parameter (one case per rule)."""

from __future__ import annotations

import numpy as np
import pytest

import nnbook
from nnbook import data, init, layers, losses

RNG = np.random.default_rng(0)

CASES = [
    # (callable, exception, text that must appear in the message)
    (lambda: init.zeros((3, 0)), ValueError, "shape"),
    (lambda: init.zeros((3, -1)), ValueError, "shape"),
    (lambda: init.zeros((3, 2.5)), TypeError, "shape"),
    (lambda: init.zeros("33"), TypeError, "shape"),
    (lambda: init.fans(()), ValueError, "shape"),
    (lambda: init.he_normal((7,), RNG), ValueError, "shape"),
    (lambda: init.normal((3, 3), -1.0, RNG), ValueError, "std"),
    (lambda: init.normal((3, 3), float("nan"), RNG), ValueError, "std"),
    (lambda: init.uniform((3, 3), float("inf"), RNG), ValueError, "limit"),
    (lambda: init.uniform((3, 3), -0.1, RNG), ValueError, "limit"),
    (lambda: init.normal((3, 3), 1.0, 42), TypeError, "rng"),
    (lambda: init.he_normal((3, 3), np.random.RandomState(0)), TypeError, "rng"),
    (lambda: init.sparse((10, 4), RNG, k=11), ValueError, "k"),
    (lambda: init.sparse((10, 4), RNG, k=0), ValueError, "k"),
    (lambda: init.sparse((10, 4), RNG, k=2.0), TypeError, "k"),
    (lambda: init.he_normal((3, 3), RNG, dtype=np.int32), TypeError, "dtype"),
    (lambda: init.constant((3,), float("nan")), ValueError, "value"),
    (lambda: layers.Dropout(0.0, RNG), ValueError, "keep_prob"),
    (lambda: layers.Dropout(1.5, RNG), ValueError, "keep_prob"),
    (lambda: layers.Dropout(-0.2, RNG), ValueError, "keep_prob"),
    (lambda: layers.Dropout(0.5, None), TypeError, "rng"),
    (lambda: layers.Dense(np.ones((3, 2)), np.ones(3)), ValueError, "b"),
    (lambda: layers.Dense(np.ones(3), np.ones(3)), ValueError, "W"),
    (lambda: layers.Dense(np.ones((3, 2)), np.ones(2)).forward(np.ones((4, 5))), ValueError, "x"),
    (lambda: nnbook.MLP([3, 0, 2], rng=RNG), ValueError, "layer_sizes[1]"),
    (lambda: nnbook.MLP([3, 2.5, 2], rng=RNG), TypeError, "layer_sizes[1]"),
    (lambda: nnbook.MLP([3], rng=RNG), ValueError, "layer_sizes"),
    (lambda: nnbook.MLP([3, 2]), TypeError, "rng"),
    (lambda: nnbook.MLP([3, 2], rng=RNG, keep_prob=0.0), ValueError, "keep_prob"),
    (lambda: nnbook.MLP([3, 2], rng=RNG, activation="swish"), ValueError, "activation"),
    (lambda: nnbook.MLP([3, 2], rng=RNG, weight_init="kaiming"), ValueError, "weight_init"),
    (lambda: nnbook.MLP([3, 2], rng=RNG, weight_init=-0.1), ValueError, "weight_init"),
    (lambda: nnbook.MLP([3, 2], rng=RNG, bias_init=[0.0, 1.0]), ValueError, "bias_init"),
    (lambda: nnbook.MLP([3, 2], rng=RNG).forward(np.ones((4, 5))), ValueError, "X"),
    (lambda: nnbook.MLP([3, 2], rng=RNG).forward(np.full((4, 3), np.nan)), ValueError, "X"),
    (
        lambda: nnbook.MLP([3, 2], rng=RNG).loss_and_grads(np.ones((4, 3)), np.zeros(5, int)),
        ValueError,
        "y",
    ),
    (
        lambda: nnbook.MLP([3, 2], rng=RNG).loss_and_grads(np.ones((4, 3)), np.array([0, 1, 2, 0])),
        ValueError,
        "y",
    ),
    (
        lambda: nnbook.MLP([3, 2], rng=RNG).loss_and_grads(np.ones((2, 3)), np.array([0, -1])),
        ValueError,
        "y",
    ),
    (
        lambda: nnbook.MLP([3, 2], rng=RNG).loss_and_grads(np.ones((2, 3)), np.array([0.5, 1.0])),
        TypeError,
        "y",
    ),
    (lambda: losses.softmax_cross_entropy(np.ones((2, 3)), np.array([0, 3])), ValueError, "y"),
    (lambda: losses.mse(np.ones((2, 3)), np.ones((3, 2))), ValueError, "target"),
    (lambda: nnbook.numerical_gradient(lambda x: 0.0, np.array([1.0, np.nan])), ValueError, "x"),
    (lambda: nnbook.numerical_gradient(lambda x: 0.0, np.array([1.0, np.inf])), ValueError, "x"),
    (lambda: nnbook.numerical_gradient(lambda x: 0.0, np.ones(2), h=0.0), ValueError, "h"),
    (lambda: nnbook.numerical_gradient(lambda x: np.nan, np.ones(2)), ValueError, "f"),
    (lambda: nnbook.numerical_gradient(lambda x: 0.0, [1.0, 2.0]), TypeError, "x"),
    (lambda: nnbook.relative_error(np.ones(2), np.ones(3)), ValueError, "a and b"),
    (lambda: nnbook.relative_error(np.array([np.nan]), np.ones(1)), ValueError, "a"),
    (
        lambda: nnbook.sgd(
            nnbook.MLP([2, 2], rng=RNG), np.ones((4, 2)), np.zeros(4, int), 1, 0.1, 0, RNG
        ),
        ValueError,
        "batch_size",
    ),
    (
        lambda: nnbook.sgd(
            nnbook.MLP([2, 2], rng=RNG), np.ones((4, 2)), np.zeros(4, int), -1, 0.1, 2, RNG
        ),
        ValueError,
        "epochs",
    ),
    (
        lambda: nnbook.sgd(
            nnbook.MLP([2, 2], rng=RNG), np.ones((4, 2)), np.zeros(4, int), 1, -0.1, 2, RNG
        ),
        ValueError,
        "lr",
    ),
    (
        lambda: nnbook.sgd(
            nnbook.MLP([2, 2], rng=RNG), np.ones((4, 2)), np.zeros(3, int), 1, 0.1, 2, RNG
        ),
        ValueError,
        "y",
    ),
    (
        lambda: nnbook.sgd(
            nnbook.MLP([2, 2], rng=RNG), np.ones((4, 2)), np.zeros(4, int), 1, 0.1, 2, 7
        ),
        TypeError,
        "rng",
    ),
    (
        lambda: nnbook.sgd(
            nnbook.MLP([2, 2], rng=RNG),
            np.ones((4, 2)),
            np.zeros(4, int),
            1,
            0.1,
            2,
            RNG,
            momentum=1.0,
        ),
        ValueError,
        "momentum",
    ),
    (lambda: data.circles(0, 0.1, RNG), ValueError, "n"),
    (lambda: data.circles(10, -0.1, RNG), ValueError, "noise"),
    (lambda: data.spirals(10, "seed"), TypeError, "rng"),
    (lambda: data.digits(test_size=1.5), ValueError, "test_size"),
]


@pytest.mark.parametrize(
    ("call", "exc", "name"), CASES, ids=[f"case{i}" for i in range(len(CASES))]
)
def test_bad_input_is_named(call, exc, name):
    with pytest.raises(exc) as info:
        call()
    assert name in str(info.value), str(info.value)


def test_backward_before_forward_is_an_error():
    with pytest.raises(RuntimeError, match="before forward"):
        layers.ReLU().backward(np.ones((2, 2)))
    with pytest.raises(RuntimeError, match="before forward"):
        nnbook.MLP([2, 2], rng=RNG).backward(np.ones((1, 2)))
