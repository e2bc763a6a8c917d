"""Re-execute chapter notebooks and store their fresh outputs (``make refresh``).

Only outputs and execution counts change: every code cell's source and every markdown cell
is checked to be byte-for-byte what it was before the notebook is written back. A notebook
with uncommitted changes in git is refused unless ``--force`` is given (the refresh would
mix an edit and its outputs in one unreviewed step), and the script reports, cell by cell,
which stored outputs changed.

Usage: python tools/refresh_outputs.py chapters/01_backprop.ipynb [...] [--force] [--check]
"""

from __future__ import annotations

import argparse
import copy
import json
import subprocess
import sys
from pathlib import Path

import nbformat
from jupyter_client.manager import KernelManager
from nbclient import NotebookClient

TIMEOUT_S = 600


def _git_dirty(path: Path) -> bool:
    try:
        out = subprocess.run(
            ["git", "status", "--porcelain", "--", path.name],
            cwd=path.parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return False  # not a git checkout: nothing to protect
    return any(line[:2].strip() not in ("", "??") for line in out.splitlines())


def _outputs_text(cell: dict) -> str:
    """Outputs as nbval compares them, for the change report.

    Images are left out, and consecutive stream outputs of the same name are merged: how a
    cell's prints are split into chunks depends on timing, not on what was printed.
    """
    keep: list[dict] = []
    for out in cell.get("outputs", []):
        out = {k: v for k, v in out.items() if k not in ("execution_count", "metadata")}
        if "data" in out:
            out["data"] = {k: v for k, v in out["data"].items() if not k.startswith("image/")}
        if (
            out.get("output_type") == "stream"
            and keep
            and keep[-1].get("output_type") == "stream"
            and keep[-1].get("name") == out.get("name")
        ):
            keep[-1] = {**keep[-1], "text": keep[-1]["text"] + out["text"]}
            continue
        keep.append(out)
    return json.dumps(keep, sort_keys=True)


def refresh(path: Path, force: bool, check_only: bool) -> int:
    """Execute ``path`` and write it back unless ``check_only``; return the changed-cell count."""
    if not force and not check_only and _git_dirty(path):
        print(
            f"{path}: has uncommitted changes; commit them first or pass --force", file=sys.stderr
        )
        raise SystemExit(2)
    original = nbformat.read(path, as_version=4)
    nb = copy.deepcopy(original)
    client = NotebookClient(
        nb,
        timeout=TIMEOUT_S,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
        # encrypted kernel channels: no "running over TCP without encryption" warning
        km=KernelManager(kernel_name="python3", transport_encryption="auto"),
    )
    client.execute()
    changed = []
    for i, (old, new) in enumerate(zip(original.cells, nb.cells, strict=True)):
        if old.cell_type != new.cell_type or old.source != new.source:
            raise RuntimeError(f"{path}: cell {i} source changed during execution; not writing")
        if new.cell_type == "code" and _outputs_text(old) != _outputs_text(new):
            changed.append(i)
    for cell in nb.cells:  # keep notebooks free of per-run metadata
        if cell.cell_type == "code":
            cell.metadata.pop("execution", None)
    if changed:
        print(f"{path}: outputs changed in code cells {changed}")
    else:
        print(f"{path}: outputs unchanged")
    if not check_only:
        nbformat.write(nb, path)
    return len(changed)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument(
        "--force", action="store_true", help="refresh even with uncommitted changes"
    )
    parser.add_argument("--check", action="store_true", help="report changes, write nothing")
    args = parser.parse_args(argv)
    total = 0
    for nb in args.notebooks:
        total += refresh(nb.resolve(), args.force, args.check)
    return 1 if (args.check and total) else 0


if __name__ == "__main__":
    sys.exit(main())
