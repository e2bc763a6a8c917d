"""nnbook.diagrams.draw_network draws one circle per unit and one line per weight."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from matplotlib.figure import Figure
from matplotlib.patches import Circle

from nnbook import diagrams


def _axes():
    return Figure().add_subplot()


@pytest.mark.parametrize("sizes", [[3, 3, 1], [2, 5], [4, 3, 3, 2]])
def test_counts_of_units_and_weights(sizes):
    ax = diagrams.draw_network(sizes, ax=_axes(), labels=False)
    circles = [p for p in ax.patches if isinstance(p, Circle)]
    assert len(circles) == sum(sizes)
    assert len(ax.lines) == sum(a * b for a, b in itertools.pairwise(sizes))
    assert len(ax.texts) == 0


def test_labels_weights_and_biases(rng):
    W1, W2 = rng.normal(size=(3, 3)), rng.normal(size=(3, 1))
    b1, b2 = rng.normal(size=3), rng.normal(size=1)
    ax = diagrams.draw_network([3, 3, 1], [W1, W2], ax=_axes(), biases=[b1, b2], fmt="{:.3f}")
    texts = [t.get_text() for t in ax.texts]
    # 7 unit names + 12 weight labels + 4 bias labels
    assert len(texts) == 7 + 12 + 4
    assert "$x_{1}$" in texts and "$a^{(1)}_{3}$" in texts and "$h_{1}$" in texts
    assert f"{W1[2, 0]:.3f}" in texts and f"b={b2[0]:.3f}" in texts


def test_line_i_j_is_weight_i_j_with_its_sign():
    W1 = np.array([[1.0, -2.0], [0.5, -0.25]])  # (fan_in, fan_out) = (2, 2)
    ax = diagrams.draw_network([2, 2], [W1], ax=_axes(), labels=False)
    colors = [line.get_color() for line in ax.lines]
    assert colors == ["tab:blue", "tab:red", "tab:blue", "tab:red"]  # order: i, then j
    widths = [line.get_linewidth() for line in ax.lines]
    assert widths[1] == max(widths)  # |W[0, 1]| = 2 is the largest weight
    # the line of W[0, 1] runs from input unit 0 (top left) to output unit 1 (bottom right)
    (x0, x1), (y0, y1) = ax.lines[1].get_xdata(), ax.lines[1].get_ydata()
    assert x0 < x1 and y0 > y1


def test_new_figure_when_no_axes():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = diagrams.draw_network([2, 1])
    try:
        assert len(ax.lines) == 2
    finally:
        plt.close(ax.figure)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"layer_sizes": [3]}, ValueError, "at least two"),
        ({"layer_sizes": "33"}, TypeError, "layer_sizes"),
        ({"layer_sizes": [3, 0]}, ValueError, r"layer_sizes\[1\]"),
        ({"layer_sizes": [3, 2], "weights": [np.ones((2, 3))]}, ValueError, "fan_in, fan_out"),
        ({"layer_sizes": [3, 2], "weights": []}, ValueError, "one array per layer"),
        ({"layer_sizes": [3, 2], "biases": [np.ones(3)]}, ValueError, r"biases\[0\]"),
        ({"layer_sizes": [3, 2], "labels": "yes"}, TypeError, "labels"),
        ({"layer_sizes": [3, 2], "fmt": 3}, TypeError, "fmt"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        diagrams.draw_network(ax=_axes(), **kwargs)


def test_line_labels_sit_off_every_crossing_and_fonts_are_legible(rng):
    W1, W2 = rng.normal(size=(3, 3)), rng.normal(size=(3, 1))
    ax = diagrams.draw_network(
        [3, 3, 1],
        [W1, W2],
        ax=_axes(),
        fmt="{:+.2f}",
        unit_notes=[["", "", ""], ["δ=1"] * 3, ["δ=2"]],
    )
    crossings = diagrams.line_crossings([3, 3, 1], y_gap=1.3)
    assert len(crossings) == 9  # 3x3 full bipartite: C(3,2)^2 crossings
    weight_texts = [t for t in ax.texts if t.get_text().startswith(("+", "-"))]
    assert len(weight_texts) == 12
    for t in weight_texts:
        x, y = t.get_position()
        assert min(np.hypot(x - cx, y - cy) for cx, cy in crossings) > 0.1
    assert min(t.get_fontsize() for t in ax.texts) >= 9
    with pytest.raises(ValueError, match="fontsize"):
        diagrams.draw_network([2, 1], ax=_axes(), fontsize=7)


def test_line_values_label_the_lines():
    W = np.array([[1.0], [-1.0]])
    ax = diagrams.draw_network([2, 1], [W], ax=_axes(), line_values=[np.array([[0.5], [0.25]])])
    texts = {t.get_text() for t in ax.texts}
    assert "+0.5" in texts and "+0.2" in texts and "+1.0" not in texts


def test_unit_notes_sit_outward_and_output_notes_right():
    ax = diagrams.draw_network(
        [2, 3, 1], ax=_axes(), labels=False, unit_notes=[["", ""], ["up", "mid", "down"], ["out"]]
    )
    where = {t.get_text(): t.get_position() for t in ax.texts}
    assert where["up"][1] > 0 and where["down"][1] < 0  # away from the middle
    assert where["out"][0] > 2 * 3.0  # right of the output unit at x = 2 * x_gap
    with pytest.raises(ValueError, match="unit_notes"):
        diagrams.draw_network([2, 1], ax=_axes(), unit_notes=[["a"], ["b"]])
