"""The multilayer perceptron every chapter trains (chapter 1, eq-bp-forward to eq-bp-grads).

Layer l (1-based, l = 1..L) computes z^(l) = a^(l-1) W^(l) + b^(l) and a^(l) = f(z^(l)), with
a^(0) = X and W^(l) of shape (s_(l-1), s_l) (chapter 1, eq-bp-forward, eq-bp-activation). The
last layer uses ``output_activation`` (linear logits by default). Backward runs the δ recursion
δ^(l) = (δ^(l+1) W^(l+1)ᵀ) ⊙ f'(z^(l)) (chapter 1, eq-bp-recursion) through the same layer
objects and collects ∂J/∂W^(l) = a^(l-1)ᵀ δ^(l), ∂J/∂b^(l) = Σ_rows δ^(l) (eq-bp-grads).

After ``forward`` the model keeps, for the statistics chapters, ``z`` (the pre-activations
z^(1..L)) and ``a`` (a^(0) = X, then a^(1..L), each before dropout); after a backward pass
``deltas`` holds ∂J/∂z^(l) for l = 1..L and ``grads`` the gradients. Every pass computes new
arrays (nothing is updated in place except ``params``, by an optimizer), so what one call
returns is never changed by the next.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
from numpy.typing import DTypeLike

from . import _checks
from . import init as _init
from .layers import Dense, Dropout, Layer, ReLU, Sigmoid, Tanh
from .losses import mse, softmax_cross_entropy

__all__ = ["MLP"]

_ACTIVATION_LAYERS: dict[str, Callable[[], Layer] | None] = {
    "sigmoid": Sigmoid,
    "tanh": Tanh,
    "relu": ReLU,
    "linear": None,
}
_LOSSES = {"softmax_cross_entropy": softmax_cross_entropy, "mse": mse}

WeightInit = str | float | Callable[..., np.ndarray]


def _make_weight(
    spec: WeightInit, shape: tuple[int, int], rng: np.random.Generator, dtype: np.dtype
) -> np.ndarray:
    if isinstance(spec, str):
        if spec == "zeros":
            return _init.zeros(shape, dtype)
        if spec not in _init.BY_NAME:
            names = ", ".join(["zeros", *sorted(_init.BY_NAME)])
            raise ValueError(
                f"weight_init must be one of {names}, a std or a callable; got {spec!r}"
            )
        return _init.BY_NAME[spec](shape, rng=rng, dtype=dtype)
    if isinstance(spec, (int, float)) and not isinstance(spec, bool):
        return _init.normal(shape, _checks.nonnegative(spec, "weight_init"), rng, dtype)
    if callable(spec):
        W = np.asarray(spec(shape, rng=rng, dtype=dtype))
        if W.shape != shape:
            raise ValueError(f"weight_init returned shape {W.shape}, expected {shape}")
        return _checks.float_array(W, "weight_init(...)").astype(dtype, copy=False)
    raise TypeError(f"weight_init must be a name, a std or a callable, got {spec!r}")


def _per_layer(value: Any, n: int, name: str) -> list[Any]:
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name} must have one entry per layer ({n}), got {len(value)}")
        return list(value)
    return [value] * n


class MLP:
    """A fully connected network (chapter 1; used by chapters 2-5).

    Parameters
    ----------
    layer_sizes
        Widths s_0 (inputs), s_1, ..., s_L (outputs); at least two entries.
    activation
        Hidden-unit nonlinearity: ``"relu"``, ``"tanh"``, ``"sigmoid"`` or ``"linear"``.
    weight_init
        An initializer name from :mod:`nnbook.init` (``"he_normal"``, ``"glorot_uniform"``, ...,
        or ``"zeros"``), a float std for a plain normal (the seed's ``0.01 * randn`` is
        ``0.01``), or a callable ``(shape, rng=..., dtype=...) -> array``; or a list with one
        of those per layer.
    bias_init
        Constant bias value, or a list with one value per layer.
    keep_prob
        ``None`` for no dropout, else the keep probability of every hidden unit (chapter 5).
    rng
        ``numpy.random.Generator`` for the weights and the dropout masks (required).
    dtype
        float64 (default), float32 or float16.
    output_activation
        ``"linear"`` (logits, default) or any hidden activation name, for the last layer.
    loss
        ``"softmax_cross_entropy"`` (default; ``y`` holds class labels) or ``"mse"``
        (half squared error; ``y`` holds targets of the output's shape).
    """

    #: The affine layer class; a subclass may swap in another ``Dense`` (chapter 2's
    #: ``OrderedMLP`` uses a fixed-order product).
    _dense_class: type[Dense] = Dense

    def __init__(
        self,
        layer_sizes: Sequence[int],
        activation: str = "relu",
        weight_init: WeightInit | Sequence[WeightInit] = "he_normal",
        bias_init: float | Sequence[float] = 0.0,
        keep_prob: float | None = None,
        rng: np.random.Generator | None = None,
        dtype: DTypeLike = np.float64,
        *,
        output_activation: str = "linear",
        loss: str = "softmax_cross_entropy",
    ) -> None:
        if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Sequence):
            raise TypeError(
                f"layer_sizes must be a sequence of positive integers, got {layer_sizes!r}"
            )
        if len(layer_sizes) < 2:
            raise ValueError(
                "layer_sizes needs at least an input and an output width, "
                f"got {list(layer_sizes)!r}"
            )
        sizes = [_checks.positive_int(s, f"layer_sizes[{i}]") for i, s in enumerate(layer_sizes)]
        rng = _checks.rng(rng)
        dt = _checks.float_dtype(dtype)
        n_layers = len(sizes) - 1
        weights, biases = [], []
        for spec, bias, (fan_in, fan_out) in zip(
            _per_layer(weight_init, n_layers, "weight_init"),
            _per_layer(bias_init, n_layers, "bias_init"),
            itertools.pairwise(sizes),
            strict=True,
        ):
            weights.append(_make_weight(spec, (fan_in, fan_out), rng, dt))
            biases.append(_init.constant((fan_out,), _checks.real(bias, "bias_init"), dt))
        self._build(weights, biases, activation, output_activation, loss, keep_prob, rng)

    @classmethod
    def from_arrays(
        cls,
        weights: Sequence[np.ndarray],
        biases: Sequence[np.ndarray],
        activation: str = "relu",
        *,
        output_activation: str = "linear",
        loss: str = "softmax_cross_entropy",
        keep_prob: float | None = None,
        rng: np.random.Generator | None = None,
    ) -> MLP:
        """Build a network from given weights W^(l) (fan_in, fan_out) and biases b^(l).

        The arrays are used as they are (not copied). ``rng`` is needed only with dropout.
        """
        if len(weights) == 0 or len(weights) != len(biases):
            raise ValueError(
                f"weights and biases must be non-empty and of equal length, got "
                f"{len(weights)} and {len(biases)}"
            )
        weights = [_checks.float_array(W, f"weights[{i}]", ndim=2) for i, W in enumerate(weights)]
        biases = [_checks.float_array(b, f"biases[{i}]", ndim=1) for i, b in enumerate(biases)]
        for i in range(1, len(weights)):
            if weights[i].shape[0] != weights[i - 1].shape[1]:
                raise ValueError(
                    f"weights[{i}] has fan_in {weights[i].shape[0]} but weights[{i - 1}] "
                    f"has fan_out {weights[i - 1].shape[1]}"
                )
        self = cls.__new__(cls)
        if keep_prob is not None:
            rng = _checks.rng(rng)
        self._build(weights, biases, activation, output_activation, loss, keep_prob, rng)
        return self

    def _build(
        self,
        weights: list[np.ndarray],
        biases: list[np.ndarray],
        activation: str,
        output_activation: str,
        loss: str,
        keep_prob: float | None,
        rng: np.random.Generator | None,
    ) -> None:
        for name, value in (("activation", activation), ("output_activation", output_activation)):
            if value not in _ACTIVATION_LAYERS:
                raise ValueError(
                    f"{name} must be one of {sorted(_ACTIVATION_LAYERS)}, got {value!r}"
                )
        if loss not in _LOSSES:
            raise ValueError(f"loss must be one of {sorted(_LOSSES)}, got {loss!r}")
        if keep_prob is not None:
            keep_prob = _checks.probability(keep_prob, "keep_prob")
        self.activation = activation
        self.output_activation = output_activation
        self.loss_name = loss
        self._loss_fn = _LOSSES[loss]
        self.keep_prob = keep_prob
        self.rng = rng
        self.dtype = weights[0].dtype
        self.layer_sizes = [weights[0].shape[0]] + [W.shape[1] for W in weights]
        self.dense: list[Dense] = [
            self._dense_class(W, b) for W, b in zip(weights, biases, strict=True)
        ]
        self.dropouts: list[Dropout] = []
        # One "stage" per layer: (dense, activation layer or None, dropout or None).
        self._stages: list[tuple[Dense, Layer | None, Dropout | None]] = []
        n = len(self.dense)
        for i, dense in enumerate(self.dense):
            last = i == n - 1
            make = _ACTIVATION_LAYERS[output_activation if last else activation]
            act = make() if make is not None else None
            drop = None
            if keep_prob is not None and not last:
                assert rng is not None
                drop = Dropout(keep_prob, rng)
                self.dropouts.append(drop)
            self._stages.append((dense, act, drop))
        self.params: dict[str, np.ndarray] = {}
        for i, dense in enumerate(self.dense, start=1):
            self.params[f"W{i}"] = dense.params["W"]
            self.params[f"b{i}"] = dense.params["b"]
        self.grads: dict[str, np.ndarray] = self._collect_grads()
        self.z: list[np.ndarray] = []
        self.a: list[np.ndarray] = []
        self.deltas: list[np.ndarray] = []

    # ------------------------------------------------------------------ properties
    @property
    def n_layers(self) -> int:
        """Number of weight layers L."""
        return len(self.dense)

    @property
    def n_params(self) -> int:
        """Number of trainable scalars."""
        return int(sum(p.size for p in self.params.values()))

    # ------------------------------------------------------------------ passes
    def _check_X(self, X: Any) -> np.ndarray:
        X = _checks.float_array(X, "X", ndim=2)
        if X.shape[1] != self.layer_sizes[0]:
            raise ValueError(
                f"X has {X.shape[1]} features but the network expects {self.layer_sizes[0]} "
                f"(X shape {X.shape})"
            )
        return X.astype(self.dtype, copy=False)

    def forward(self, X: np.ndarray, train: bool = True) -> np.ndarray:
        """Output a^(L) for a mini-batch X of shape (N, s_0); dropout is active iff ``train``."""
        return self._forward(self._check_X(X), train)

    def _forward(self, X: np.ndarray, train: bool) -> np.ndarray:
        """Chapter 1, eq-bp-forward and eq-bp-activation, layer by layer, on a checked X."""
        self.z, self.a, self.deltas = [], [X], []
        a = X
        # An overflow inside the network is reported once, below, not as NumPy warnings.
        with np.errstate(over="ignore", invalid="ignore"):
            for dense, act, drop in self._stages:
                z = dense._forward(a, train)  # z^(l) = a^(l-1) W^(l) + b^(l)
                a = act._forward(z, train) if act is not None else z  # a^(l) = f(z^(l))
                self.z.append(z)
                self.a.append(a)
                if drop is not None:  # chapter 5, eq-do-forward
                    a = drop._forward(a, train)
        if not np.isfinite(a).all():
            largest = max(float(np.abs(p).max()) for p in self.params.values())
            raise FloatingPointError(
                "the network's output is not finite: activations overflowed "
                f"(largest |parameter| {largest:.3g}); "
                "lower the learning rate or the initial weight scale"
            )
        return a

    def backward(self, dout: np.ndarray) -> np.ndarray:
        """Run the δ recursion from ∂J/∂a^(L) = ``dout``; fills ``grads``, returns ∂J/∂X."""
        if not self.z:
            raise RuntimeError("MLP.backward called before forward")
        g = _checks.float_array(dout, "dout")
        if g.shape != self.a[-1].shape:
            raise ValueError(f"dout must have the output's shape {self.a[-1].shape}, got {g.shape}")
        dX = self._backward(g, need_dx=True)
        assert dX is not None
        return dX

    def _backward(self, g: np.ndarray, need_dx: bool) -> np.ndarray | None:
        """The δ recursion of chapter 1 (eq-bp-recursion, eq-bp-grads), from g = ∂J/∂a^(L).

        For l = L, ..., 1:  δ^(l) = g ⊙ f'(z^(l));  ∂J/∂W^(l) = a^(l-1)ᵀ δ^(l),
        ∂J/∂b^(l) = Σ_rows δ^(l);  then g = δ^(l) W^(l)ᵀ = ∂J/∂a^(l-1), through the dropout
        mask of layer l-1 if there is one (chapter 5, eq-do-backward). The last product,
        ∂J/∂X = δ^(1) W^(1)ᵀ, is skipped when ``need_dx`` is false (returns ``None`` then):
        no parameter gradient needs it. Every array computed here is new.
        """
        L = self.n_layers
        deltas: list[np.ndarray] = [g] * L
        for l in range(L, 0, -1):  # noqa: E741 - the book's layer number
            dense, act, drop = self._stages[l - 1]
            if drop is not None:
                g = drop._backward(g)
            delta = act._backward(g) if act is not None else g  # δ^(l)
            deltas[l - 1] = delta
            if l == 1 and not need_dx:
                dense._param_grads(delta)
                g = None
            else:
                g = dense._backward(delta)  # grads of layer l, and ∂J/∂a^(l-1) = δ^(l) W^(l)ᵀ
        self.deltas = deltas
        self.grads = self._collect_grads()
        return g

    def _collect_grads(self) -> dict[str, np.ndarray]:
        """A new dict of the layers' gradients, keyed W1, b1, ..., WL, bL."""
        grads: dict[str, np.ndarray] = {}
        for i, dense in enumerate(self.dense, start=1):
            grads[f"W{i}"] = dense.grads["W"]
            grads[f"b{i}"] = dense.grads["b"]
        return grads

    def _check_y(self, X: np.ndarray, y: Any) -> np.ndarray:
        if self.loss_name == "softmax_cross_entropy":
            return _checks.labels(y, "y", X.shape[0], self.layer_sizes[-1])
        y = _checks.float_array(y, "y")
        if y.shape[0] != X.shape[0]:
            raise ValueError(f"y has {y.shape[0]} rows but X has {X.shape[0]} examples")
        return y

    def loss(self, X: np.ndarray, y: np.ndarray, train: bool = True) -> float:
        """The loss J on (X, y) without a backward pass."""
        X = self._check_X(X)
        y = self._check_y(X, y)
        return self._loss_fn(self._forward(X, train), y)[0]

    def loss_and_grads(self, X: np.ndarray, y: np.ndarray) -> tuple[float, dict[str, np.ndarray]]:
        """Forward (training mode), loss, backward; returns ``(loss, grads)``.

        ``grads`` maps ``"W1"``, ``"b1"``, ..., to ∂J/∂W^(l) and ∂J/∂b^(l) (chapter 1,
        eq-bp-grads): new arrays on every call, which later calls never change (``self.grads``
        is the same dict until the next backward pass).
        """
        X = self._check_X(X)
        y = self._check_y(X, y)
        loss, dout = self._loss_fn(self._forward(X, train=True), y)
        self._backward(dout, need_dx=False)  # no parameter gradient needs ∂J/∂X
        return loss, self.grads

    def predict(self, X: np.ndarray) -> np.ndarray:
        """Test-mode output (dropout off)."""
        return self.forward(X, train=False)

    def accuracy(self, X: np.ndarray, y: np.ndarray) -> float:
        """Fraction of rows whose largest output is the label ``y``."""
        out = self.predict(X)
        y = _checks.labels(y, "y", out.shape[0], out.shape[1])
        return float(np.mean(np.argmax(out, axis=1) == y))

    # ------------------------------------------------------------------ dropout control
    def freeze_dropout(self) -> None:
        """Freeze every dropout layer at its last mask (for gradient checks, chapter 5)."""
        for d in self.dropouts:
            d.freeze()

    def unfreeze_dropout(self) -> None:
        """Draw fresh masks again."""
        for d in self.dropouts:
            d.unfreeze()

    def with_arrays(
        self,
        weights: Sequence[np.ndarray],
        biases: Sequence[np.ndarray],
        *,
        keep_dropout: bool = True,
    ) -> MLP:
        """A network of this class, activations and loss with the given arrays (not copied).

        With ``keep_dropout`` it also has this network's dropout (``keep_prob``, the rng
        shared); without, it has none.
        """
        return type(self).from_arrays(
            weights,
            biases,
            self.activation,
            output_activation=self.output_activation,
            loss=self.loss_name,
            keep_prob=self.keep_prob if keep_dropout else None,
            rng=self.rng if keep_dropout else None,
        )

    def copy(self) -> MLP:
        """A deep copy of the same class (parameters copied, the rng shared)."""
        weights = [d.params["W"].copy() for d in self.dense]
        biases = [d.params["b"].copy() for d in self.dense]
        return self.with_arrays(weights, biases)

    def __repr__(self) -> str:
        return (
            f"MLP(layer_sizes={self.layer_sizes}, activation={self.activation!r}, "
            f"output_activation={self.output_activation!r}, loss={self.loss_name!r}, "
            f"keep_prob={self.keep_prob}, dtype={self.dtype})"
        )
