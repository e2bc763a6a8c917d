"""Part b's second reference: the fastest NumPy step of the same network we could write.

This is deliberately *not* how the book or ``nnbook`` writes a layer. Every array is
allocated once and overwritten in place (``out=``, ``+=``, ``*=``), the ReLU mask is kept
from the forward pass, the softmax is taken in place on the logits, and the SGD update scales
the gradient in its own buffer instead of making a temporary. It computes the same step as
``nnbook.MLP.loss_and_grads`` + ``nnbook.train.sgd_update`` (a ReLU MLP with a linear output
and softmax cross-entropy; ``tests/test_bench.py`` checks it against them), so timing it in
the same rounds as the plain step says what writing for speed instead of plainly buys: the
question "what do the plain kernels cost" against the best NumPy can do, not only against an
older ``nnbook``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np


def fused_stepper(
    params: dict[str, np.ndarray], X: np.ndarray, y: np.ndarray, lr: float
) -> tuple[Callable[[], float], dict[str, np.ndarray]]:
    """A step function and the copy of ``params`` (keys W1, b1, ..., WL, bL) it trains.

    Each call does one SGD step on (X, y) with learning rate ``lr`` and returns the loss
    before the step, as ``nnbook.MLP.loss_and_grads`` would.
    """
    L = len(params) // 2
    Ws = [params[f"W{k}"].copy() for k in range(1, L + 1)]
    bs = [params[f"b{k}"].copy() for k in range(1, L + 1)]
    dt = Ws[0].dtype
    n = X.shape[0]
    X = X.astype(dt, copy=False)
    rows = np.arange(n)
    lr_, inv_n = dt.type(lr), dt.type(1.0 / n)
    a = [np.empty((n, W.shape[1]), dt) for W in Ws]  # a[k]: z^(k+1), then a^(k+1) in place
    masks = [np.empty((n, W.shape[1]), bool) for W in Ws[:-1]]  # masks[k]: [z^(k+1) > 0]
    d = [np.empty((n, W.shape[0]), dt) for W in Ws[1:]]  # d[k]: ∂J/∂a^(k+1)
    gW = [np.empty_like(W) for W in Ws]
    gb = [np.empty_like(b) for b in bs]

    def step() -> float:
        inp = X
        for k in range(L):
            np.matmul(inp, Ws[k], out=a[k])
            a[k] += bs[k]
            if k < L - 1:
                np.greater(a[k], 0, out=masks[k])
                np.maximum(a[k], 0, out=a[k])
            inp = a[k]
        p = a[-1]  # logits -> softmax -> δ^(L), all in place
        p -= p.max(axis=1, keepdims=True)
        np.exp(p, out=p)
        p /= p.sum(axis=1, keepdims=True)
        loss = -float(np.mean(np.log(p[rows, y])))
        p[rows, y] -= 1
        p *= inv_n
        delta = p
        for k in range(L - 1, -1, -1):
            np.matmul((X if k == 0 else a[k - 1]).T, delta, out=gW[k])
            np.sum(delta, axis=0, out=gb[k])
            if k > 0:  # the next δ before this layer's W changes
                np.matmul(delta, Ws[k].T, out=d[k - 1])
                d[k - 1] *= masks[k - 1]
            gW[k] *= lr_
            Ws[k] -= gW[k]
            gb[k] *= lr_
            bs[k] -= gb[k]
            if k > 0:
                delta = d[k - 1]
        return loss

    trained = {f"W{k + 1}": W for k, W in enumerate(Ws)}
    trained.update({f"b{k + 1}": b for k, b in enumerate(bs)})
    return step, trained
