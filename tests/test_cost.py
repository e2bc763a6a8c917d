"""nnbook.cost: path sums and the δ recursion give one gradient; counts match closed forms."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import nnbook
from nnbook import cost


def _net(rng, sizes):
    Ws = [rng.normal(size=(a, b)) for a, b in itertools.pairwise(sizes)]
    bs = [rng.normal(size=b) for b in sizes[1:]]
    return Ws, bs, rng.normal(size=sizes[0]), rng.uniform(size=sizes[-1])


@pytest.mark.parametrize("sizes", [[3, 3, 1], [3, 3, 3, 1], [2, 4, 3, 2], [4, 1]])
def test_paths_and_deltas_agree_with_mlp_and_count_as_predicted(rng, sizes):
    Ws, bs, x, y = _net(rng, sizes)
    g_path, n_path = cost.path_gradient(Ws, bs, x, y)
    g_delta, n_delta = cost.delta_gradient(Ws, bs, x, y)
    m = nnbook.MLP.from_arrays(Ws, bs, "sigmoid", output_activation="sigmoid", loss="mse")
    _, g = m.loss_and_grads(x[None], y[None])
    for k in g:
        assert nnbook.relative_error(g_path[k], g[k]) < 1e-13
        assert nnbook.relative_error(g_delta[k], g[k]) < 1e-13
    assert n_path == cost.path_multiplications(sizes)
    assert n_delta == cost.delta_multiplications(sizes)


def test_counts_on_the_3_3_1_net():
    # 9 weights x 4 + 3 biases x 3 + 3 weights x 2 + 1 (paths); 1 + 3 x 2 + 12 (deltas)
    assert cost.path_multiplications([3, 3, 1]) == 52
    assert cost.delta_multiplications([3, 3, 1]) == 19
    # paths grow like the product of the widths, deltas like their sum of products
    deep = [3] * 6 + [1]
    assert cost.path_multiplications(deep) > 50 * cost.delta_multiplications(deep)


def test_matmul_flops():
    f = cost.matmul_flops([4, 5, 3], 2)
    assert f == {"forward": 2 * (20 + 15), "backward": 2 * 2 * (20 + 15) - 2 * 20}


def test_peak_bytes_sees_numpy_buffers():
    n = cost.peak_bytes(lambda: np.ones(1_000_000))
    assert 8_000_000 <= n < 8_100_000


def test_forward_streaming_matches_mlp(rng):
    Ws, bs, x, _ = _net(rng, [3, 4, 2])
    m = nnbook.MLP.from_arrays(Ws, bs, "sigmoid", output_activation="sigmoid", loss="mse")
    X = np.stack([x, -x])
    np.testing.assert_allclose(cost.forward_streaming(Ws, bs, X), m.forward(X), rtol=1e-14)


def test_best_time_and_bad_inputs():
    assert 0 <= cost.best_time(lambda: None, number=3, repeat=2) < 1
    with pytest.raises(TypeError, match="fn"):
        cost.best_time(3)
    with pytest.raises(ValueError, match="number"):
        cost.best_time(lambda: None, number=0)
    with pytest.raises(ValueError, match="layer_sizes"):
        cost.path_multiplications([3])
    with pytest.raises(ValueError, match="y must have"):
        cost.delta_gradient([np.ones((2, 1))], [np.ones(1)], np.ones(2), np.ones(2))
