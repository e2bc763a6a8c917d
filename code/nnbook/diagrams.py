"""Drawing a small fully connected network (chapter 1, figure of the 3-3-1 net; chapter 2).

:func:`draw_network` draws one circle per unit and one line per weight, layer by layer from
left (inputs, layer 0) to right (outputs, layer L), in the book's convention: ``weights[l-1]``
is W^(l) of shape (s_(l-1), s_l), so entry ``W[i, j]`` is the line from unit i of layer l-1 to
unit j of layer l. Nothing is computed here; the function only draws what it is given.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

import numpy as np

from . import _checks

__all__ = ["draw_network", "label_positions", "line_crossings"]


def _unit_name(layer: int, unit: int, n_layers: int) -> str:
    if layer == 0:
        return f"$x_{{{unit + 1}}}$"
    if layer == n_layers:
        return f"$h_{{{unit + 1}}}$"
    return f"$a^{{({layer})}}_{{{unit + 1}}}$"


def _layer_matrices(
    arrays: Sequence[Any] | None, name: str, sizes: Sequence[int]
) -> list[np.ndarray] | None:
    """One checked (fan_in, fan_out) float matrix per layer, or None when not given."""
    if arrays is None:
        return None
    n_layers = len(sizes) - 1
    if len(arrays) != n_layers:
        raise ValueError(f"{name} must have one array per layer ({n_layers}), got {len(arrays)}")
    out = []
    for layer, A in enumerate(arrays):
        A = _checks.float_array(A, f"{name}[{layer}]", ndim=2)
        if A.shape != (sizes[layer], sizes[layer + 1]):
            raise ValueError(
                f"{name}[{layer}] must have shape (fan_in, fan_out) = "
                f"{(sizes[layer], sizes[layer + 1])}, got {A.shape}"
            )
        out.append(A)
    return out


def draw_network(
    layer_sizes: Sequence[int],
    weights: Sequence[np.ndarray] | None = None,
    ax: Any = None,
    labels: bool = True,
    *,
    biases: Sequence[np.ndarray] | None = None,
    fmt: str = "{:+.1f}",
    line_values: Sequence[np.ndarray] | None = None,
    unit_notes: Sequence[Sequence[str]] | None = None,
    fontsize: float = 9.0,
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
    line_values
        Optional arrays of the weights' shapes whose values label the lines instead of the
        weights (e.g. the gradients ∂J/∂W^(l) of the backward pass); colours and widths
        still show the weights.
    unit_notes
        Optional text per unit, one sequence per layer (layer 0 included, ``""`` for none),
        written in a box beside the unit, e.g. ``"δ=+0.012"``.
    fontsize
        Size in points of every label (at least 9, the book's smallest legible size).

    Line labels are placed along each line where they are farthest from every point where
    two lines cross and from the labels placed before them (:func:`label_positions`), so
    that no label sits on a crossing.

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
    fontsize = _checks.positive(fontsize, "fontsize")
    if fontsize < 9:
        raise ValueError(f"fontsize must be at least 9 points, got {fontsize}")
    values = _layer_matrices(line_values, "line_values", sizes)
    if unit_notes is not None:
        if len(unit_notes) != len(sizes) or any(
            len(n) != s for n, s in zip(unit_notes, sizes, strict=True)
        ):
            raise ValueError(f"unit_notes must hold one string per unit of {sizes}")
    Ws = _layer_matrices(weights, "weights", sizes)
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
    x_gap = 3.0
    y_gap = 1.3 if unit_notes is not None else 1.0
    tallest = max(sizes)

    def centre(layer: int, unit: int) -> tuple[float, float]:
        # Each layer is centred vertically; unit 0 at the top.
        return layer * x_gap, ((sizes[layer] - 1) / 2 - unit) * y_gap

    shown = values if values is not None else Ws
    texts = None
    if labels and shown is not None:
        texts = [
            [[fmt.format(float(V[i, j])) for j in range(V.shape[1])] for i in range(V.shape[0])]
            for V in shown
        ]
    where = (
        label_positions(sizes, texts, x_gap=x_gap, y_gap=y_gap, notes=unit_notes) if texts else None
    )

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
                if where is not None and texts is not None:
                    lx, ly = where[layer - 1][i][j]
                    ax.text(
                        lx,
                        ly,
                        texts[layer - 1][i][j],
                        fontsize=fontsize,
                        ha="center",
                        va="center",
                        zorder=3,
                        color=color,
                        bbox={
                            "boxstyle": "round,pad=0.12",
                            "fc": "white",
                            "ec": "none",
                            "alpha": 0.95,
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
                    fontsize=fontsize,
                    zorder=5,
                )
                if bs is not None and layer > 0:
                    ax.text(
                        x,
                        y - radius - 0.06,
                        "b=" + fmt.format(float(bs[layer - 1][u])),
                        ha="center",
                        va="top",
                        fontsize=fontsize,
                        zorder=5,
                        bbox={
                            "boxstyle": "round,pad=0.1",
                            "fc": "white",
                            "ec": "none",
                            "alpha": 0.95,
                        },
                    )
            if unit_notes is not None and unit_notes[layer][u]:
                # outward from the middle, where fewer lines run: above the upper units,
                # below the lower ones (under the bias label, if there is one)
                # (the output layer's go to the right: no line leaves it)
                up = y >= 0
                below = radius + (0.42 if bs is not None and layer > 0 else 0.06)
                right = layer == n_layers
                ax.text(
                    x + radius + 0.08 if right else x,
                    y if right else (y + radius + 0.06 if up else y - below),
                    unit_notes[layer][u],
                    ha="left" if right else "center",
                    va="center" if right else ("bottom" if up else "top"),
                    fontsize=fontsize,
                    zorder=5,
                    bbox={"boxstyle": "round,pad=0.12", "fc": "#fff8dc", "ec": "0.6", "lw": 0.6},
                )
    top = (tallest - 1) / 2 * y_gap
    extra = 0.0
    if unit_notes is not None and any(unit_notes[-1]):
        extra = 0.075 * max(len(t) for t in unit_notes[-1]) + 0.2
    ax.set_xlim(-0.6, n_layers * x_gap + 0.6 + extra)
    margin = 0.85 if unit_notes is not None else 0.5
    ax.set_ylim(-top - 0.75 - (margin - 0.5), top + margin)
    ax.set_aspect("equal")
    ax.axis("off")
    return ax


def line_crossings(
    layer_sizes: Sequence[int], x_gap: float = 3.0, y_gap: float = 1.0
) -> list[tuple[float, float]]:
    """The points where two weight lines of :func:`draw_network` cross (in data units)."""
    sizes = [_checks.positive_int(s, f"layer_sizes[{i}]") for i, s in enumerate(layer_sizes)]
    out = []
    for layer in range(1, len(sizes)):
        ys0 = [((sizes[layer - 1] - 1) / 2 - i) * y_gap for i in range(sizes[layer - 1])]
        ys1 = [((sizes[layer] - 1) / 2 - j) * y_gap for j in range(sizes[layer])]
        lines = [(a, b) for a in ys0 for b in ys1]
        for (a, b), (c, d) in itertools.combinations(lines, 2):
            denom = (a - c) - (b - d)
            if denom == 0:
                continue
            t = (a - c) / denom  # (1 − t) a + t b = (1 − t) c + t d
            if 1e-9 < t < 1 - 1e-9:
                out.append(((layer - 1 + t) * x_gap, (1 - t) * a + t * b))
    return out


def label_positions(
    layer_sizes: Sequence[int],
    texts: Sequence[Sequence[Sequence[str]]],
    x_gap: float = 3.0,
    y_gap: float = 1.0,
    notes: Sequence[Sequence[str]] | None = None,
) -> list[list[list[tuple[float, float]]]]:
    """Where :func:`draw_network` writes each line's label: ``[layer][i][j] -> (x, y)``.

    Each label goes to the point of its line (between 15 % and 85 % of its length) whose box
    is farthest from every line crossing, from every unit (its circle, its bias label and the
    box of its note, ``notes`` being ``unit_notes`` of :func:`draw_network`) and from every
    label placed before it, distances measured in label widths and heights (a label 0.075
    units wide per character, 0.2 high).
    """
    sizes = [_checks.positive_int(s, f"layer_sizes[{i}]") for i, s in enumerate(layer_sizes)]
    crossings = line_crossings(sizes, x_gap, y_gap)
    placed: list[tuple[float, float, float]] = []  # x, y, half-width
    ts = np.linspace(0.15, 0.85, 71)
    height = 0.2
    # obstacles: (x, y, half-width, half-height) of each circle, bias label and note box
    obstacles: list[tuple[float, float, float, float]] = []
    for layer, s in enumerate(sizes):
        for u in range(s):
            cx, cy = layer * x_gap, ((s - 1) / 2 - u) * y_gap
            obstacles.append((cx, cy, 0.25, 0.25))
            obstacles.append((cx, cy - 0.36, 0.35, 0.12))
            if notes is not None and notes[layer][u]:
                lines = notes[layer][u].split("\n")
                half_w = 0.0375 * max(len(t) for t in lines) + 0.08
                half_h = 0.11 * len(lines) + 0.05
                if layer == len(sizes) - 1:  # right of an output unit (draw_network)
                    obstacles.append((cx + 0.3 + half_w, cy, half_w, half_h))
                elif cy >= 0:  # above the unit, or below it
                    obstacles.append((cx, cy + 0.28 + half_h, half_w, half_h))
                else:
                    obstacles.append((cx, cy - 0.28 - half_h, half_w, half_h))
    out = []
    for layer in range(1, len(sizes)):
        rows = []
        for i in range(sizes[layer - 1]):
            row = []
            y0 = ((sizes[layer - 1] - 1) / 2 - i) * y_gap
            for j in range(sizes[layer]):
                y1 = ((sizes[layer] - 1) / 2 - j) * y_gap
                half = 0.0375 * len(texts[layer - 1][i][j]) + 0.03
                best, best_score = (0.0, 0.0), -np.inf
                for t in ts:
                    x, y = (layer - 1 + t) * x_gap, (1 - t) * y0 + t * y1
                    score = min(
                        [
                            max(abs(x - cx) / half, abs(y - cy) / (height / 2))
                            for cx, cy in crossings
                        ]
                        + [
                            max(abs(x - px) / (half + ph), abs(y - py) / height)
                            for px, py, ph in placed
                        ]
                        + [1e9]
                    )
                    score -= 1e-3 * abs(t - 0.5)  # ties: nearer the middle
                    if score > best_score:
                        best, best_score = (x, y), score
                placed.append((*best, half))
                row.append(best)
            rows.append(row)
        out.append(rows)
    return out
