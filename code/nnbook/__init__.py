"""nnbook: the NumPy library behind "From Zero: weights, biases and backprop, executed".

Modules: :mod:`nnbook.init`, :mod:`nnbook.activations`, :mod:`nnbook.layers`,
:mod:`nnbook.losses`, :mod:`nnbook.mlp`, :mod:`nnbook.gradcheck`, :mod:`nnbook.train`,
:mod:`nnbook.conv`, :mod:`nnbook.symmetry`, :mod:`nnbook.dropconnect`,
:mod:`nnbook.mc_dropout`, :mod:`nnbook.stats`, :mod:`nnbook.data`, :mod:`nnbook.notebook`,
:mod:`nnbook.seeding` (the root seed), :mod:`nnbook.experiments` (median, range, paired),
:mod:`nnbook.batched` (the core of the batched trainers: many networks along a leading axis),
:mod:`nnbook.sweep` (learning-rate sweeps over seeds, batched),
:mod:`nnbook.seedstack`, :mod:`nnbook.meanfield` and :mod:`nnbook.deeplinear` (chapter 3:
seeds as one batched pass, mean-field recursions, deep linear nets),
:mod:`nnbook.tf_twins` (TensorFlow, imported lazily) and :mod:`nnbook.diagrams` (matplotlib,
import it explicitly). Importing nnbook never imports TensorFlow or matplotlib.
"""

from __future__ import annotations

from . import (
    activations,
    batched,
    conv,
    cost,
    data,
    dropconnect,
    ensembles,
    experiments,
    gradcheck,
    init,
    layers,
    losses,
    mc_dropout,
    notebook,
    seeding,
    stacked,
    stats,
    sweep,
    symmetry,
    train,
)
from .gradcheck import check_gradients, numerical_gradient, relative_error
from .layers import Dense, Dropout, ReLU, Sigmoid, Tanh
from .losses import mse, softmax_cross_entropy
from .mlp import MLP
from .train import DivergenceError, History, sgd

__version__ = "0.1.0"

__all__ = [
    "MLP",
    "Dense",
    "DivergenceError",
    "Dropout",
    "History",
    "ReLU",
    "Sigmoid",
    "Tanh",
    "activations",
    "batched",
    "check_gradients",
    "conv",
    "cost",
    "data",
    "dropconnect",
    "ensembles",
    "experiments",
    "gradcheck",
    "init",
    "layers",
    "losses",
    "mc_dropout",
    "mse",
    "notebook",
    "numerical_gradient",
    "relative_error",
    "seeding",
    "sgd",
    "softmax_cross_entropy",
    "stacked",
    "stats",
    "sweep",
    "symmetry",
    "train",
]


def __getattr__(name: str):  # lazy submodule: importing it loads TensorFlow only when used
    if name == "tf_twins":
        import importlib

        return importlib.import_module(".tf_twins", __name__)
    raise AttributeError(f"module 'nnbook' has no attribute {name!r}")
