"""DropConnect: a Bernoulli mask on the *weights* of a dense layer (chapter 5, eq-do-dropconnect).

Dropout (:class:`nnbook.layers.Dropout`) multiplies unit activations by a mask of the
activations' shape. DropConnect (Wan et al., 2013) multiplies the weight matrix itself by a
mask ``M`` of ``W``'s shape ``(fan_in, fan_out)``, so every *connection* is kept or dropped on
its own. Chapter 5 uses the layer here to show that the two are different operators: dropping
input unit i is the special DropConnect mask whose row i is all zeros.

Conventions of :class:`DropConnectDense`:

* ``keep_prob`` is the probability of keeping a weight, and training uses inverted scaling:
  out = x (M ⊙ W) / keep_prob + b, so E[out] = x W + b. At test time (``train=False``) the
  layer is the plain dense layer x W + b (the mean network); Wan et al. instead approximate
  the test-time average with a Gaussian moment-matching sampler, which is not implemented.
* The bias is never masked.
* ``per_example=True`` (the default, as in Wan et al.) draws an independent mask for every
  example of the mini-batch: ``mask`` has shape ``(N, fan_in, fan_out)`` and
  out[n] = x[n] (M[n] ⊙ W) / keep_prob + b (eq-do-dropconnect). ``per_example=False`` draws one
  ``(fan_in, fan_out)`` mask per forward pass, shared by the whole mini-batch, which is
  cheaper (N times fewer random numbers) but correlates the examples of a batch.

Backward (eq-do-dc-dx, eq-do-dc-dw), with δ = ``dout``:
∂J/∂x[n] = δ[n] (M[n] ⊙ W)ᵀ / keep_prob,
∂J/∂W = Σ_n M[n] ⊙ (x[n]ᵀ δ[n]) / keep_prob, ∂J/∂b = Σ_n δ[n].
As for :class:`nnbook.layers.Dense`, every ``backward`` puts *new* arrays into ``grads``: a
gradient held from an earlier call is never overwritten by a later one.
"""

from __future__ import annotations

import numpy as np

from . import _checks
from .layers import Dense

__all__ = ["DropConnectDense"]


class DropConnectDense(Dense):
    """Dense layer z = x (M ⊙ W) / keep_prob + b with a Bernoulli(keep_prob) weight mask M.

    Parameters
    ----------
    W, b
        Weights of shape ``(fan_in, fan_out)`` and biases of shape ``(fan_out,)``, used as
        given (not copied), exactly as :class:`nnbook.layers.Dense`.
    keep_prob
        Probability of keeping a weight, in (0, 1]; ``1.0`` makes the layer a plain Dense.
    rng
        ``numpy.random.Generator`` that draws the masks.
    per_example
        ``True``: a fresh ``(N, fan_in, fan_out)`` mask per forward pass (one per example);
        ``False``: a fresh ``(fan_in, fan_out)`` mask per forward pass, shared by the batch.

    ``mask`` holds the boolean mask of the last training forward pass. ``freeze(mask)`` fixes
    the mask for every training forward pass until ``unfreeze()`` (``freeze()`` with no
    argument freezes the last mask), which is what a gradient check needs (chapter 5).
    """

    def __init__(
        self,
        W: np.ndarray,
        b: np.ndarray,
        keep_prob: float,
        rng: np.random.Generator,
        per_example: bool = True,
    ) -> None:
        super().__init__(W, b)
        self.keep_prob = _checks.probability(keep_prob, "keep_prob")
        self.rng = _checks.rng(rng)
        if not isinstance(per_example, (bool, np.bool_)):
            raise TypeError(f"per_example must be True or False, got {per_example!r}")
        self.per_example = bool(per_example)
        self.mask: np.ndarray | None = None
        self.frozen = False
        self._masked_W: np.ndarray | None = None  # (M ⊙ W) / keep_prob of the last forward

    def mask_shape(self, n: int) -> tuple[int, ...]:
        """Shape of the mask for a mini-batch of ``n`` examples."""
        n = _checks.nonnegative_int(n, "n")
        fan_in, fan_out = self.params["W"].shape
        return (n, fan_in, fan_out) if self.per_example else (fan_in, fan_out)

    def freeze(self, mask: np.ndarray | None = None) -> None:
        """Reuse ``mask`` (or the last mask) in every training forward pass until unfreeze()."""
        if mask is None:
            if self.mask is None:
                raise RuntimeError("DropConnectDense.freeze() needs a mask: run forward(x) first")
            mask = self.mask
        mask = _checks.bool_mask(mask)
        W = self.params["W"]
        expected_ndim = 3 if self.per_example else 2
        if mask.ndim != expected_ndim or mask.shape[-2:] != W.shape:
            want = "(N, fan_in, fan_out)" if self.per_example else "(fan_in, fan_out)"
            raise ValueError(
                f"mask must have shape {want} with (fan_in, fan_out) = {W.shape}, got {mask.shape}"
            )
        self.mask = mask
        self.frozen = True

    def unfreeze(self) -> None:
        """Draw a fresh mask on every training forward pass again."""
        self.frozen = False

    def _forward(self, x: np.ndarray, train: bool) -> np.ndarray:
        W = self.params["W"]
        if not train:
            self._masked_W = None
            return super()._forward(x, train)
        if x.dtype != W.dtype:
            x = x.astype(W.dtype)
        shape = self.mask_shape(x.shape[0])
        if not self.frozen:
            self.mask = self.rng.random(shape) < self.keep_prob
        assert self.mask is not None
        if self.mask.shape != shape:
            raise ValueError(
                f"the frozen mask has shape {self.mask.shape} but a batch of {x.shape[0]} "
                f"examples needs {shape}"
            )
        inv = 1.0 / self.keep_prob
        if inv > float(np.finfo(W.dtype).max):
            raise ValueError(
                f"keep_prob = {self.keep_prob} is too small for {W.dtype}: 1/keep_prob overflows"
            )
        masked = self.mask * W  # (N, fan_in, fan_out) or (fan_in, fan_out), W's dtype
        masked *= W.dtype.type(inv)
        self._x = x
        self._masked_W = masked
        if self.per_example:
            out = np.einsum("ni,nij->nj", x, masked)
        else:
            out = x @ masked
        out += self.params["b"]
        return out

    def _backward(self, dout: np.ndarray) -> np.ndarray:
        if self._masked_W is None:  # the last forward pass was in test mode: plain Dense
            return super()._backward(dout)
        x, masked = self._x, self._masked_W
        assert x is not None and self.mask is not None
        inv = self.params["W"].dtype.type(1.0 / self.keep_prob)
        if self.per_example:
            gW = np.einsum("ni,nj,nij->ij", x, dout, self.mask)
            dx = np.einsum("nj,nij->ni", dout, masked)
        else:
            gW = (x.T @ dout) * self.mask
            dx = dout @ masked.T
        gW *= inv  # gW is a new array: scaling it in place touches nothing else
        # New arrays every call (as Dense): gradients a caller holds are never overwritten.
        self.grads = {"W": gW, "b": dout.sum(axis=0)}
        return dx

    def forward(self, x: np.ndarray, train: bool = True) -> np.ndarray:
        """Checked forward pass; ``train=False`` is the plain dense layer x W + b."""
        return super().forward(x, train)

    def __repr__(self) -> str:
        fan_in, fan_out = self.params["W"].shape
        return (
            f"DropConnectDense(fan_in={fan_in}, fan_out={fan_out}, keep_prob={self.keep_prob}, "
            f"per_example={self.per_example})"
        )
