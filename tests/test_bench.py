"""benchmarks/bench.py runs end to end and writes all four ratios (no timing is checked).

The ``--tiny`` run uses toy sizes, one two-cell notebook and a two-page scratch book, so it
proves that every part of the benchmark works, not how fast anything is; ``make bench`` takes
the real measurement and the appendix "How fast is from-scratch NumPy?" shows it.
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

import bench  # noqa: E402

# The notebook parts start Jupyter kernels, which talk to their client over loopback TCP.
pytestmark = pytest.mark.enable_socket

RATIOS = {
    "a_book_overhead",
    "b_step_over_matmul",
    "c_nnbook_vs_tensorflow",
    "d_incremental_rebuild",
}


def test_tiny_run_writes_all_four_ratios(tmp_path: Path):
    out = tmp_path / "results.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--tiny", "--jobs", "0",
         "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(out.read_text())
    assert results["mode"] == "tiny"
    assert set(results["ratios"]) == RATIOS
    for name, entry in results["ratios"].items():
        assert entry["value"] > 0, name
        assert entry["sense"] in ("<=", ">=") and entry["target"] > 0
        assert isinstance(entry["met"], bool)
        assert name.split("_")[0] in proc.stdout or name in proc.stdout
    assert results["ratios"]["d_incremental_rebuild"]["executed_notebooks"] == 1
    assert results["part_d"]["documents_reread"] == ["chapters/tiny_bench"]
    assert results["part_a"]["nbval_passed"]
    assert results["part_b"]["dtypes_seen"] == ["float32"]
    losses = results["part_c"]["configs"]["book"]["first_step_loss"]
    assert max(losses.values()) - min(losses.values()) < 1e-4  # the same computation
    assert results["machine"]["logical_cpus"] >= 1


def test_step_flops_and_matmul_floor_match_by_hand():
    # 2-3-2 net, batch 4: forward 2·4·(2·3 + 3·2) = 96; backward xᵀδ for both layers (96)
    # plus δWᵀ for the second layer only (48).
    assert bench._step_flops([2, 3, 2], 4) == 96 + 96 + 48
    products = bench._matmul_floor([2, 3, 2], 4, np.random.default_rng(0))
    products()  # runs with preallocated outputs


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
    src = bench.floor_source(path)
    assert "import numpy as np" in src and "from math import (" in src
    assert "nnbook.notebook.setup()" in src
    assert "import_tensorflow()" in src  # the chapter uses TensorFlow, so its floor imports it
    assert "print" not in src and "x = " not in src and "timeit" not in src
    compile(src, "floor", "exec")


def test_ratio_entries_know_their_direction():
    assert bench._ratio_entry("b_step_over_matmul", 1.1)["met"]
    assert not bench._ratio_entry("b_step_over_matmul", 1.3)["met"]
    assert bench._ratio_entry("c_nnbook_vs_tensorflow", 0.95)["met"]
    assert not bench._ratio_entry("c_nnbook_vs_tensorflow", 0.5)["met"]
