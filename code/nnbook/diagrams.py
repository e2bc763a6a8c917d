"""Drawing a small fully connected network (chapter 1, figure of the 3-3-1 net; chapter 2).

:func:`draw_network` draws one circle per unit and one line per weight, layer by layer from
left (inputs, layer 0) to right (outputs, layer L), in the book's convention: ``weights[l-1]``
is W^(l) of shape (s_(l-1), s_l), so entry ``W[i, j]`` is the line from unit i of layer l-1 to
unit j of layer l. Nothing is computed here; the function only draws what it is given.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _checks

__all__ = ["draw_network"]


def _unit_name(layer: int, unit: int, n_layers: int) -> str:
    if layer == 0:
        return f"$x_{{{unit + 1}}}$"
    if layer == n_layers:
        return f"$h_{{{unit + 1}}}$"
    return f"$a^{{({layer})}}_{{{unit + 1}}}$"


def draw_network(
    layer_sizes: Sequence[int],
    weights: Sequence[np.ndarray] | None = None,
    ax: Any = None,
    labels: bool = True,
    *,
    biases: Sequence[np.ndarray] | None = None,
    fmt: str = "{:+.1f}",
) -> Any:
    """Draw a fully connected network and return the matplotlib ``Axes``.

    Parameters
    ----------
    layer_sizes
        Widths s_0 (inputs), ..., s_L (outputs); at least two entries.
    weights
        Optional W^(1), ..., W^(L), each of shape (s_(l-1), s_l) (the book's (fan_in, fan_out)
        convention). Line widths grow with |W_ij|; blue lines are positive weights, red negative.
    ax
        Axes to draw into; a new figure is made when ``None``.
    labels
        Write the unit names (x_i, a^(l)_j, h_k) in the circles and, when ``weights`` are given,
        each weight's value on its line; with ``biases``, each bias under its unit.
    biases
        Optional b^(1), ..., b^(L), each of shape (s_l,); only used for labels.
    fmt
        Format of the weight and bias labels.

    The axes hold exactly ``sum(layer_sizes)`` circle patches and one ``Line2D`` per weight,
    ``sum(s_(l-1) * s_l)``, in the order layer by layer, then i (source), then j (target).
    """
    if isinstance(layer_sizes, (str, bytes)) or not isinstance(layer_sizes, Sequence):
        raise TypeError(f"layer_sizes must be a sequence of positive integers, got {layer_sizes!r}")
    sizes = [_checks.positive_int(s, f"layer_sizes[{i}]") for i, s in enumerate(layer_sizes)]
    if len(sizes) < 2:
        raise ValueError(f"layer_sizes needs at least two entries, got {sizes!r}")
    n_layers = len(sizes) - 1
    if not isinstance(fmt, str):
        raise TypeError(f"fmt must be a format string such as '{{:+.1f}}', got {fmt!r}")
    if not isinstance(labels, bool):
        raise TypeError(f"labels must be True or False, got {labels!r}")
    Ws: list[np.ndarray] | None = None
    if weights is not None:
        if len(weights) != n_layers:
            raise ValueError(
                f"weights must have one array per layer ({n_layers}), got {len(weights)}"
            )
        Ws = []
        for layer, W in enumerate(weights, start=1):
            W = _checks.float_array(W, f"weights[{layer - 1}]", ndim=2)
            if W.shape != (sizes[layer - 1], sizes[layer]):
                raise ValueError(
                    f"weights[{layer - 1}] must have shape (fan_in, fan_out) = "
                    f"{(sizes[layer - 1], sizes[layer])}, got {W.shape}"
                )
            Ws.append(W)
    bs: list[np.ndarray] | None = None
    if biases is not None:
        if len(biases) != n_layers:
            raise ValueError(
                f"biases must have one array per layer ({n_layers}), got {len(biases)}"
            )
        bs = []
        for layer, b in enumerate(biases, start=1):
            b = _checks.float_array(b, f"biases[{layer - 1}]", ndim=1)
            if b.shape != (sizes[layer],):
                raise ValueError(
                    f"biases[{layer - 1}] must have shape {(sizes[layer],)}, got {b.shape}"
                )
            bs.append(b)

    from matplotlib.patches import Circle

    if ax is None:
        import matplotlib.pyplot as plt

        _, ax = plt.subplots(figsize=(2.2 * n_layers + 2.0, 0.9 * max(sizes) + 1.2))

    radius = 0.22
    x_gap = 2.2
    tallest = max(sizes)

    def centre(layer: int, unit: int) -> tuple[float, float]:
        # Each layer is centred vertically; unit 0 at the top.
        return layer * x_gap, (sizes[layer] - 1) / 2 - unit

    wmax = max((float(np.abs(W).max()) for W in Ws), default=1.0) if Ws else 1.0
    wmax = wmax or 1.0
    for layer in range(1, n_layers + 1):
        for i in range(sizes[layer - 1]):
            x0, y0 = centre(layer - 1, i)
            for j in range(sizes[layer]):
                x1, y1 = centre(layer, j)
                if Ws is None:
                    color, width = "0.4", 1.0
                else:
                    w = float(Ws[layer - 1][i, j])
                    color = "tab:blue" if w >= 0 else "tab:red"
                    width = 0.6 + 2.4 * abs(w) / wmax
                ax.plot([x0, x1], [y0, y1], color=color, lw=width, zorder=1)
                if labels and Ws is not None:
                    # Each source unit writes its labels at its own distance along the lines,
                    # so labels of different sources never share a column.
                    n_src = sizes[layer - 1]
                    t = 0.25 + 0.5 * i / (n_src - 1) if n_src > 1 else 0.5
                    ax.text(
                        x0 + t * (x1 - x0),
                        y0 + t * (y1 - y0),
                        fmt.format(float(Ws[layer - 1][i, j])),
                        fontsize=7,
                        ha="center",
                        va="center",
                        zorder=3,
                        bbox={
                            "boxstyle": "round,pad=0.1",
                            "fc": "white",
                            "ec": "none",
                            "alpha": 0.9,
                        },
                    )
    for layer, s in enumerate(sizes):
        for u in range(s):
            x, y = centre(layer, u)
            face = "#dfe9f5" if layer == 0 else ("#f7e3c6" if layer == n_layers else "#e4f2dc")
            ax.add_patch(Circle((x, y), radius, facecolor=face, edgecolor="black", zorder=4))
            if labels:
                ax.text(
                    x,
                    y,
                    _unit_name(layer, u, n_layers),
                    ha="center",
                    va="center",
                    fontsize=9,
                    zorder=5,
                )
                if bs is not None and layer > 0:
                    ax.text(
                        x,
                        y - radius - 0.12,
                        "b=" + fmt.format(float(bs[layer - 1][u])),
                        ha="center",
                        va="top",
                        fontsize=7,
                        zorder=5,
                    )
    ax.set_xlim(-0.6, n_layers * x_gap + 0.6)
    ax.set_ylim(-(tallest - 1) / 2 - 0.8, (tallest - 1) / 2 + 0.5)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax
