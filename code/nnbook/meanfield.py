"""Mean-field predictions for deep, wide networks at initialization (chapter 3).

In a wide layer with independent zero-mean weights, ``n_in Var(w) = σ_w²`` and zero biases,
every pre-activation is close to Gaussian, so one number per layer describes the forward
signal: its variance ``q_l``. It obeys (chapter 3, eq-ws-meanfield)

    q_1 = σ_w² E[x²],        q_{l+1} = σ_w² E[φ(√q_l g)²],    g ~ N(0, 1),

and the backward signal δ_l = ∂J/∂z_l shrinks or grows by (eq-ws-chi)

    Var(δ_l) / Var(δ_{l+1}) = χ_l = σ_w² E[φ'(√q_l g)²]        (square layers),

Poole et al.'s and Schoenholz et al.'s χ₁: below 1 at the fixed point the network is in the
*ordered* phase (gradients vanish), above 1 in the *chaotic* phase (they explode), and χ₁ = 1
is the *critical* line. The expectations are fine trapezoid rules over the Gaussian.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from . import _checks

__all__ = ["PHI", "backward_gains", "expect", "forward_second_moments", "forward_variances"]

#: φ and φ' for the activations the chapter uses (φ' as a function of z).
PHI: dict[str, tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]] = {
    "tanh": (np.tanh, lambda z: 1.0 - np.tanh(z) ** 2),
    "relu": (lambda z: np.maximum(z, 0.0), lambda z: (z > 0).astype(float)),
    "linear": (lambda z: z, np.ones_like),
}

_Fn = Callable[[np.ndarray], np.ndarray]


def _phi(
    name: str,
) -> tuple[Callable[[np.ndarray], np.ndarray], Callable[[np.ndarray], np.ndarray]]:
    if name not in PHI:
        raise ValueError(f"activation must be one of {sorted(PHI)}, got {name!r}")
    return PHI[name]


def expect(f: Callable[[np.ndarray], np.ndarray], q: float) -> float:
    """E[f(√q g)] for g ~ N(0, 1), ``q >= 0``: a trapezoid rule on g in [-12, 12].

    The step is small enough (at most 1e-3, and 0.02/√q) to resolve features of f of width 1
    in z = √q g even for huge q, such as tanh'(z)² inside a saturated layer; for smooth f
    the rule is accurate to about 1e-12.
    """
    q = _checks.nonnegative(q, "q")
    step = min(1e-3, 0.02 / np.sqrt(q)) if q > 0 else 1e-3
    g = np.linspace(-12.0, 12.0, int(np.ceil(24.0 / step)) + 1)
    w = np.exp(-0.5 * g * g) / np.sqrt(2.0 * np.pi) * (g[1] - g[0])
    return float(np.sum(w * f(np.sqrt(q) * g)))


def forward_variances(
    sigma_w2: float, input_second_moment: float, depth: int, activation: str = "tanh"
) -> np.ndarray:
    """Pre-activation variances q_1..q_depth of eq-ws-meanfield (chapter 3).

    ``sigma_w2`` is ``n_in Var(w)`` (the same for every layer); ``input_second_moment`` is
    E[x²] of the network's input.
    """
    sigma_w2 = _checks.nonnegative(sigma_w2, "sigma_w2")
    m = _checks.nonnegative(input_second_moment, "input_second_moment")
    depth = _checks.positive_int(depth, "depth")
    f = _phi(activation)[0]
    q = [sigma_w2 * m]
    for _ in range(depth - 1):
        q.append(sigma_w2 * expect(lambda z: f(z) ** 2, q[-1]))
    return np.array(q)


def backward_gains(sigma_w2: float, q: np.ndarray, activation: str = "tanh") -> np.ndarray:
    """χ_l = σ_w² E[φ'(√q_l g)²] for every layer's variance ``q_l`` (eq-ws-chi, chapter 3).

    ``Var(δ_l) = χ_l Var(δ_{l+1})`` on square layers: χ < 1 ordered (δ shrinks toward the
    input), χ > 1 chaotic (δ grows toward the input).
    """
    sigma_w2 = _checks.nonnegative(sigma_w2, "sigma_w2")
    q = _checks.float_array(q, "q", ndim=1)
    if np.any(q < 0):
        raise ValueError("q must hold variances (non-negative)")
    fp = _phi(activation)[1]
    return np.array([sigma_w2 * expect(lambda z: fp(z) ** 2, float(v)) for v in q])


def forward_second_moments(
    gains: np.ndarray, input_second_moment: float, depth: int, activation: str = "tanh"
) -> np.ndarray:
    """E[a_l²] for l = 1..depth when unit j of every layer has its own σ_w² = ``gains[j]``.

    The recursion eq-ws-meanfield averaged over units (chapter 3, sparse init):
    ``m_0 = E[x²]``, ``m_{l} = mean_j E[φ(√(gains_j m_{l-1}) g)²]``. With a single gain it
    is ``E[φ(√q_l g)²]`` of :func:`forward_variances`.
    """
    g = _checks.float_array(gains, "gains", ndim=1)
    if np.any(g < 0):
        raise ValueError("gains must be non-negative (they are n Var(w) per unit)")
    m = _checks.nonnegative(input_second_moment, "input_second_moment")
    depth = _checks.positive_int(depth, "depth")
    f = _phi(activation)[0]
    out = []
    for _ in range(depth):
        m = float(np.mean([expect(lambda z: f(z) ** 2, float(gj) * m) for gj in g]))
        out.append(m)
    return np.array(out)
