"""The robustness tools: the seed lane runner and the notebook lint (tools/)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import nblint  # noqa: E402


def _write(path: Path, sources: list[str], outputs: list[str] | None = None) -> Path:
    cells = []
    for i, src in enumerate(sources):
        cell = new_code_cell(src)
        if outputs and outputs[i]:
            cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=outputs[i])]
        cells.append(cell)
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, str(path))
    return path


def test_lint_flags_bare_booleans_literal_seeds_and_bare_markers(tmp_path):
    nb = _write(
        tmp_path / "bad.ipynb",
        [
            "import numpy as np\nrng = np.random.default_rng(3)",
            "print('close:', err < 1e-8)",
            "# NBVAL_IGNORE_OUTPUT\nprint(1)",
            "x = split(seed=4)",
        ],
        ["", "close: True\n", "1\n", ""],
    )
    report = nblint.lint(nb)
    text = "\n".join(report.problems)
    assert report.bools == 1
    assert "default_rng(" in text and "seed=4" in text
    assert "without a comment" in text


def test_lint_passes_magnitudes_and_counts_asserts(tmp_path):
    nb = _write(
        tmp_path / "good.ipynb",
        [
            "err = 1e-9\nprint(f'error {err:.0e}')\nassert err < 1e-8\n"
            "np.testing.assert_allclose(1, 1)",
            "# the kernel's wall time varies from run to run\n# NBVAL_IGNORE_OUTPUT\nprint(2)",
        ],
        ["error 1e-09\n", "2\n"],
    )
    report = nblint.lint(nb)
    assert report.problems == []
    assert report.asserts == 2


def _run_lane(nb: Path, *roots: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(ROOT / "tools" / "seed_lane.py"), str(nb), "--roots", *roots],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


@pytest.mark.tools
def test_seed_lane_names_notebook_cell_and_root(tmp_path):
    nb = _write(
        tmp_path / "root.ipynb",
        ["import os\nroot = int(os.environ['NNBOOK_SEED'])", "assert root != 2, root"],
    )
    proc = _run_lane(nb, "1", "2")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "1 passed, 1 failed" in proc.stdout
    assert f"FAILED {nb} under NNBOOK_SEED=2: cell 1" in proc.stdout
    assert "AssertionError" in proc.stdout


@pytest.mark.tools
def test_seed_lane_passes_and_leaves_the_notebook_alone(tmp_path):
    nb = _write(tmp_path / "ok.ipynb", ["import os\nprint(os.environ['NNBOOK_SEED'])"])
    before = nb.read_bytes()
    proc = _run_lane(nb, "3")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "1 passed, 0 failed" in proc.stdout
    assert nb.read_bytes() == before
