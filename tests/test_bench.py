"""benchmarks/bench.py runs end to end and writes every part (no timing is checked).

The ``--tiny`` run uses toy sizes, one two-cell notebook and a two-page scratch book, so it
proves that every part of the benchmark works, not how fast anything is; ``make bench`` takes
the reader's measurement (the appendix "How fast is from-scratch NumPy?" shows it) and
``make bench-book`` the maintainers' (benchmarks/README.md).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import nbformat
import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import book  # noqa: E402
import common  # noqa: E402
import step  # noqa: E402

# The notebook parts start Jupyter kernels, which talk to their client over loopback TCP.
pytestmark = pytest.mark.enable_socket

RATIOS = {
    "a_book_overhead",
    "b_step_over_matmul",
    "c_nnbook_vs_tensorflow",
    "d_incremental_rebuild",
}


def test_tiny_run_writes_every_part(tmp_path: Path):
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--tiny", "--parts", "abcde",
         "--jobs", "0", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results["mode"] == "tiny"
    assert "--tiny" in results["command"] and "benchmarks/bench.py" in results["command"]
    assert set(results["ratios"]) == RATIOS
    for name, entry in results["ratios"].items():
        s = entry["spread"]
        assert entry["value"] > 0 and s["min"] <= s["q1"] <= entry["value"] <= s["q3"] <= s["max"]
        assert entry["sense"] in ("<=", ">=") and entry["target"] > 0
        assert entry["verdict"] == "not judged (toy sizes)", name
        assert name in proc.stdout
    assert "NOT met" not in proc.stdout
    assert results["ratios"]["d_incremental_rebuild"]["executed_notebooks"] == 1
    assert results["part_d"]["documents_reread"] == ["chapters/tiny_bench"]
    assert results["part_a"]["nbval_passed"]
    assert results["part_a"]["command"].startswith("make --no-print-directory notebooks")
    assert results["part_b"]["dtypes_seen"] == ["float32"]
    assert set(results["part_b"]["baselines"]) == {"tuned_kernels"}
    assert results["part_b"]["blas_threads"] == 1  # ratio b is judged as the notebooks run
    assert results["ratios"]["b_step_over_matmul"]["blas_threads"] == 1
    fused = results["part_b"]["fused"]
    assert len(fused["over_floor"]) == len(fused["plain_over_fused"]) == 3
    configs = results["part_c"]["configs"]
    losses = configs["book"]["first_step_loss"]
    assert max(losses.values()) - min(losses.values()) < 1e-4  # the same computation
    assert len(configs["book"]["tf_floor_over_numpy_floor"]) == 2
    conv = results["part_e"]["configs"]["book"]["shapes"]
    assert all(e["max_abs_diff"] < 1e-4 for e in conv.values())  # nnbook's conv = TF's
    assert results["machine"]["logical_cpus"] >= 1


def test_step_flops_and_matmul_floor_match_by_hand():
    # 2-3-2 net, batch 4: forward 2·4·(2·3 + 3·2) = 96; backward xᵀδ for both layers (96)
    # plus δWᵀ for the second layer only (48).
    assert step.step_flops([2, 3, 2], 4) == 96 + 96 + 48
    products = step.matmul_floor([2, 3, 2], 4, np.random.default_rng(0))
    products()  # runs with preallocated outputs


@pytest.mark.parametrize("dtype, tol", [(np.float64, 1e-13), (np.float32, 2e-6)])
def test_fused_step_is_nnbooks_step(dtype, tol):
    # The fused in-place reference computes what MLP.loss_and_grads + sgd_update compute.
    from fused_step import fused_stepper

    import nnbook
    from nnbook.train import sgd_update

    rng = np.random.default_rng(3)
    model = nnbook.MLP([7, 6, 5, 3], rng=rng, dtype=dtype)
    X, y = rng.standard_normal((9, 7)), rng.integers(0, 3, 9)
    start = {k: v.copy() for k, v in model.params.items()}
    fused, fused_params = fused_stepper(model.params, X, y, 0.5)
    for _ in range(3):
        loss_fused = fused()
        loss, grads = model.loss_and_grads(X, y)
        sgd_update(model.params, grads, 0.5)
        assert abs(loss_fused - loss) <= tol * max(1.0, loss)
        for k, p in model.params.items():
            np.testing.assert_allclose(fused_params[k], p, rtol=0, atol=tol)
            assert not np.array_equal(p, start[k])  # the step moved every parameter
            assert not np.shares_memory(fused_params[k], p)  # it trains its own copy


def test_floor_notebook_keeps_only_imports(tmp_path: Path):
    nb = new_notebook(
        cells=[
            new_code_cell("import numpy as np\n\nimport nnbook\nfrom nnbook import tf_twins\n"
                          "nnbook.notebook.setup()\nx = np.ones(3)"),
            new_code_cell("from math import (\n    pi,\n    sqrt,\n)\nprint(sqrt(pi))"),
            new_code_cell("loss, g = tf_twins.tf_loss_and_grads(model, X, y)"),
            new_code_cell("%timeit x.sum()"),
        ]
    )  # fmt: skip
    path = tmp_path / "demo.ipynb"
    nbformat.write(nb, path)
    src = book.floor_source(path)
    assert "import numpy as np" in src and "from math import (" in src
    assert "nnbook.notebook.setup()" in src
    assert "import_tensorflow()" in src  # the chapter uses TensorFlow, so its floor imports it
    assert "print" not in src and "x = " not in src and "timeit" not in src
    compile(src, "floor", "exec")


def test_ratio_entries_know_their_direction_and_their_noise():
    def verdict(key, rounds):
        return common.ratio_entry(key, rounds, "full")["verdict"]

    assert verdict("b_step_over_matmul", [1.10, 1.12, 1.11]) == "met"
    assert verdict("b_step_over_matmul", [1.30, 1.31, 1.29]) == "NOT met"
    assert verdict("b_step_over_matmul", [1.1, 1.2, 1.3, 1.4]) == "within noise"
    assert verdict("c_nnbook_vs_tensorflow", [0.95, 0.97]) == "met"
    assert verdict("c_nnbook_vs_tensorflow", [0.5, 0.6]) == "NOT met"
    assert common.ratio_entry("b_step_over_matmul", [2.0], "quick")["verdict"].startswith("not")
    # ratio b with the machine's default threads is judged against the same target
    assert verdict("b_step_over_matmul_default_threads", [1.30, 1.31, 1.29]) == "NOT met"


def test_quick_run_takes_seconds_and_judges_nothing(tmp_path: Path):
    out = tmp_path / "quick.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "NOT met" not in proc.stdout and "not judged" in proc.stdout
    results = json.loads(out.read_text())
    assert set(results["ratios"]) == {"b_step_over_matmul", "c_nnbook_vs_tensorflow"}
    assert results["wall_s"] < 60
