"""The seed lane: execute notebooks under other root seeds, asserts enforced, outputs not compared.

Every random draw in the book derives from ``NNBOOK_SEED`` (see ``nnbook.seeding``). Strict
nbval checks the committed outputs under the default root (0); this lane checks that every
chapter still *runs* with every assert passing under other roots, so that no claim holds only
for the committed seed. Outputs are not compared (they may differ) and nothing is written back
to the notebooks.

    .venv/bin/python tools/seed_lane.py chapters/*.ipynb --roots 1 2 --jobs 2

Each (notebook, root) pair runs in its own process with one BLAS thread. A failing cell is
reported with the notebook, the cell's index and id, the root and the error; the exit status
is 1 if any pair failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TIMEOUT_S = 600


def run_one(path: Path, root: int, kernel: str) -> int:
    """Execute ``path`` under root ``root`` in this process; print a report and return 0 or 1."""
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=TIMEOUT_S,
        kernel_name=kernel,
        resources={"metadata": {"path": str(path.parent)}},
        allow_errors=False,
        # encrypted kernel channels: no "running over TCP without encryption" warning
        km=KernelManager(kernel_name=kernel, transport_encryption="auto"),
    )
    try:
        client.execute()
    except CellExecutionError as err:
        index = next(
            (
                i
                for i, cell in enumerate(nb.cells)
                if cell.cell_type == "code"
                and any(o.get("output_type") == "error" for o in cell.get("outputs", []))
            ),
            None,
        )
        cell_id = nb.cells[index].get("id", "?") if index is not None else "?"
        print(
            f"FAILED {path} under NNBOOK_SEED={root}: cell {index} (id {cell_id}): "
            f"{err.ename}: {err.evalue}",
            flush=True,
        )
        return 1
    except Exception as err:  # a dead kernel or a timeout: report it the same way
        print(f"FAILED {path} under NNBOOK_SEED={root}: {type(err).__name__}: {err}", flush=True)
        return 1
    return 0


def _child(path: Path, root: int, kernel: str) -> tuple[Path, int, int, float, str]:
    env = dict(os.environ)
    env.update(
        NNBOOK_SEED=str(root),
        OPENBLAS_NUM_THREADS="1",
        OMP_NUM_THREADS="1",
        PYDEVD_DISABLE_FILE_VALIDATION="1",
    )
    start = time.monotonic()
    proc = subprocess.run(
        [sys.executable, __file__, "--one", str(path), str(root), "--kernel", kernel],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.monotonic() - start
    report = proc.stdout.strip()
    if proc.returncode and not report:
        report = f"FAILED {path} under NNBOOK_SEED={root}: {proc.stderr.strip()[-2000:]}"
    return path, root, proc.returncode, elapsed, report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--roots", nargs="+", type=int, default=[1, 2])
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--kernel", default="python3")
    parser.add_argument("--one", nargs=2, metavar=("NOTEBOOK", "ROOT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        return run_one(Path(args.one[0]), int(args.one[1]), args.kernel)
    if not args.notebooks:
        parser.error("give at least one notebook")
    if any(r < 0 for r in args.roots):
        parser.error(f"--roots must be non-negative, got {args.roots}")
    missing = [str(p) for p in args.notebooks if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    # Longest notebooks first, so that two workers finish together.
    jobs = sorted(
        ((p, r) for p in args.notebooks for r in args.roots),
        key=lambda job: -job[0].stat().st_size,
    )
    failed = 0
    with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        for path, root, rc, elapsed, report in pool.map(
            lambda job: _child(job[0], job[1], args.kernel), jobs
        ):
            status = "ok" if rc == 0 else "FAILED"
            print(f"seed lane: {path} NNBOOK_SEED={root}: {status} ({elapsed:.0f} s)", flush=True)
            if rc:
                failed += 1
                print(report, flush=True)
    passed = len(jobs) - failed
    print(f"seed lane: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
