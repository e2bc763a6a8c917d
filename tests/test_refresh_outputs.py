"""tools/refresh_outputs.py: refreshes outputs only, refuses unsaved work, reports changes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import nbbuild  # noqa: E402
import refresh_outputs  # noqa: E402

# The refresh starts a local Jupyter kernel, which talks to this process over loopback TCP.
pytestmark = pytest.mark.enable_socket


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "config", "user.email", "test@example.invalid")
    _git(tmp_path, "config", "user.name", "test")
    nb = tmp_path / "demo.ipynb"
    nbbuild.write(nb, [nbbuild.md("# Demo\n\nSome *prose*."), nbbuild.code("x = 6 * 7\nprint(x)")])
    _git(tmp_path, "add", "demo.ipynb")
    _git(tmp_path, "commit", "-qm", "demo")
    return tmp_path


def test_refresh_fills_outputs_and_keeps_sources(repo: Path, capsys):
    nb_path = repo / "demo.ipynb"
    before = nbformat.read(nb_path, as_version=4)
    assert refresh_outputs.main([str(nb_path)]) == 0
    after = nbformat.read(nb_path, as_version=4)
    assert [c.source for c in after.cells] == [c.source for c in before.cells]
    assert [c.cell_type for c in after.cells] == [c.cell_type for c in before.cells]
    assert after.cells[1].outputs[0]["text"] == "42\n"
    assert "outputs changed in code cells [1]" in capsys.readouterr().out


def test_refresh_refuses_uncommitted_changes_unless_forced(repo: Path, capsys):
    nb_path = repo / "demo.ipynb"
    assert refresh_outputs.main([str(nb_path)]) == 0  # now differs from the commit
    with pytest.raises(SystemExit) as info:
        refresh_outputs.main([str(nb_path)])
    assert info.value.code == 2
    assert "uncommitted changes" in capsys.readouterr().err
    assert refresh_outputs.main([str(nb_path), "--force"]) == 0
    assert "outputs unchanged" in capsys.readouterr().out


def test_check_mode_reports_and_writes_nothing(repo: Path):
    nb_path = repo / "demo.ipynb"
    text = nb_path.read_text()
    assert refresh_outputs.main([str(nb_path), "--check"]) == 1  # outputs would change
    assert nb_path.read_text() == text


def test_split_streams_compare_equal():
    one = {"outputs": [{"output_type": "stream", "name": "stdout", "text": "a\nb\n"}]}
    two = {
        "outputs": [
            {"output_type": "stream", "name": "stdout", "text": "a\n"},
            {"output_type": "stream", "name": "stdout", "text": "b\n"},
        ]
    }
    assert refresh_outputs._outputs_text(one) == refresh_outputs._outputs_text(two)
