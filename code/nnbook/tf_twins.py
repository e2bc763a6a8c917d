"""TensorFlow counterparts of the NumPy code (every chapter's "TensorFlow twin").

TensorFlow is imported lazily, on the first call that needs it, so ``import nnbook`` and all
NumPy-only use never load it. :func:`import_tensorflow` sets ``TF_CPP_MIN_LOG_LEVEL`` (no C++
log lines in notebook output) and ``TF_ENABLE_ONEDNN_OPTS=0`` (no oneDNN reordering of
floating-point sums) *before* the import, unless the caller set them already, turns on
TensorFlow's deterministic ops and turns off TF32 (reduced-precision float32 on GPUs).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _checks

__all__ = ["TFMLP", "import_tensorflow", "keras_mlp", "tf_loss_and_grads"]

_TF: Any = None


def import_tensorflow() -> Any:
    """Import TensorFlow quietly and deterministically; return the module."""
    global _TF
    if _TF is None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
        import tensorflow as tf

        tf.config.experimental.enable_op_determinism()
        # On Ampere-or-newer GPUs TensorFlow would run float32 matmuls and convolutions in TF32
        # (a 10-bit mantissa); off, float32 parity checks mean float32 everywhere.
        tf.config.experimental.enable_tensor_float_32_execution(False)
        _TF = tf
    return _TF


def _activation(tf: Any, name: str) -> Any:
    return {
        "sigmoid": tf.math.sigmoid,
        "tanh": tf.math.tanh,
        "relu": tf.nn.relu,
        "linear": tf.identity,
    }[name]


class TFMLP:
    """The same network as an :class:`nnbook.MLP`, as ``tf.Variable`` s and ``tf`` ops.

    Built from the MLP's current arrays (copied), in the MLP's dtype. ``forward(X, masks)``
    applies each hidden layer's dropout as a given multiplier (mask / keep_prob), so that the
    NumPy and TensorFlow passes can be compared with the same masks (chapter 5).
    """

    def __init__(self, model: Any) -> None:
        tf = import_tensorflow()
        self.tf = tf
        self.activation = model.activation
        self.output_activation = model.output_activation
        self.loss_name = model.loss_name
        self.dtype = tf.as_dtype(model.dtype)
        self.variables: dict[str, Any] = {
            name: tf.Variable(np.array(p), name=name) for name, p in model.params.items()
        }
        self.n_layers = len(model.params) // 2

    def forward(self, X: np.ndarray, masks: Sequence[np.ndarray] | None = None) -> Any:
        """Output tensor for ``X``; ``masks[l]`` multiplies hidden activation l+1 if given."""
        tf = self.tf
        if masks is not None and len(masks) != self.n_layers - 1:
            raise ValueError(f"masks must have one entry per hidden layer ({self.n_layers - 1})")
        h = tf.convert_to_tensor(X, dtype=self.dtype)
        for i in range(1, self.n_layers + 1):
            z = tf.matmul(h, self.variables[f"W{i}"]) + self.variables[f"b{i}"]
            last = i == self.n_layers
            h = _activation(tf, self.output_activation if last else self.activation)(z)
            if masks is not None and not last:
                h = h * tf.convert_to_tensor(masks[i - 1], dtype=self.dtype)
        return h

    def loss(self, out: Any, y: np.ndarray) -> Any:
        """The loss tensor: mean softmax cross-entropy, or mean ½‖out − y‖² (as nnbook.losses)."""
        tf = self.tf
        if self.loss_name == "softmax_cross_entropy":
            labels = tf.convert_to_tensor(np.asarray(y), dtype=tf.int64)
            return tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=out)
            )
        target = tf.reshape(tf.convert_to_tensor(y, dtype=self.dtype), tf.shape(out))
        n = tf.cast(tf.shape(out)[0], self.dtype)
        return 0.5 * tf.reduce_sum(tf.square(out - target)) / n

    def loss_and_grads(
        self, X: np.ndarray, y: np.ndarray, masks: Sequence[np.ndarray] | None = None
    ) -> tuple[float, dict[str, np.ndarray]]:
        """Loss and gradients from ``tf.GradientTape``, as NumPy arrays keyed like ``MLP.grads``."""
        tf = self.tf
        names = list(self.variables)
        with tf.GradientTape() as tape:
            loss = self.loss(self.forward(X, masks), y)
        grads = tape.gradient(loss, [self.variables[k] for k in names])
        return float(loss.numpy()), {k: g.numpy() for k, g in zip(names, grads, strict=True)}


def tf_loss_and_grads(
    model: Any, X: np.ndarray, y: np.ndarray
) -> tuple[float, dict[str, np.ndarray]]:
    """Shortcut: ``TFMLP(model).loss_and_grads(X, y)`` (no dropout)."""
    X = _checks.float_array(X, "X", ndim=2)
    return TFMLP(model).loss_and_grads(X, y)


def keras_mlp(model: Any) -> Any:
    """A ``keras.Sequential`` of ``Dense`` layers holding copies of ``model``'s weights.

    Keras stores a Dense kernel as (fan_in, fan_out), the book's convention, so the arrays are
    copied without a transpose.
    """
    import_tensorflow()
    import keras

    dtype = str(np.dtype(model.dtype))
    layers: list[Any] = [keras.Input(shape=(model.layer_sizes[0],), dtype=dtype)]
    for i in range(1, model.n_layers + 1):
        last = i == model.n_layers
        layers.append(
            keras.layers.Dense(
                model.layer_sizes[i],
                activation=model.output_activation if last else model.activation,
                dtype=dtype,
                name=f"dense_{i}",
            )
        )
    net = keras.Sequential(layers)
    for i, layer in enumerate(net.layers, start=1):
        layer.set_weights([np.array(model.params[f"W{i}"]), np.array(model.params[f"b{i}"])])
    return net
