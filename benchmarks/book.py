"""Parts a and d, the maintainers' numbers: how long the book's own checks and rebuilds take.

a. book execution overhead: wall time of ``make notebooks`` (strict nbval, ``-n JOBS --dist
   loadscope``, one BLAS thread per kernel as the Makefile sets it) over every
   ``chapters/*.ipynb``, divided by the same command over as many "floor" notebooks that only
   do each chapter's imports (target <= 2.0);
d. incremental rebuild: in a scratch copy of the book, ``make refresh NB=chapter`` plus an
   incremental ``jupyter-book build`` must execute exactly one notebook and take at most 1.2x
   that chapter's bare execution time (nbclient alone).

``python benchmarks/bench.py --parts ad --out benchmarks/results-book.json`` (``make
bench-book``) measures them; benchmarks/README.md explains them.
"""

from __future__ import annotations

import ast
import contextlib
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from common import ROOT, TARGETS, log, median, rel, venv_bin

# ----------------------------------------------------------------------------- (a) notebooks
_TF_USE = re.compile(r"tf_twins\.\w+|import tensorflow|\bkeras\b")


def floor_source(nb_path: Path) -> str:
    """One code cell with only ``nb_path``'s imports (and TensorFlow's, if it uses it)."""
    import nbformat

    nb = nbformat.read(nb_path, as_version=4)
    code = [c.source for c in nb.cells if c.cell_type == "code"]
    lines: list[str] = []
    for src in code:
        try:
            tree = ast.parse(src)
        except SyntaxError:  # a magic or shell line: fall back to import lines
            lines += [ln for ln in src.splitlines() if re.match(r"(import|from) \w", ln)]
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                seg = ast.get_source_segment(src, node)
                names = {a.name.split(".")[0] for a in node.names}
                if isinstance(node, ast.ImportFrom):
                    names.add((node.module or "").split(".")[0])
                if names & {"tensorflow", "keras"}:
                    continue  # imported below, after setup(), as the chapters do
                if seg and seg not in lines:
                    lines.append(seg)
    everything = "\n".join(code)
    if "nnbook.notebook.setup()" in everything:
        lines.append("import nnbook\n\nnnbook.notebook.setup()")
    if _TF_USE.search(everything):
        lines.append("from nnbook import tf_twins as _tfw\n\n_tfw.import_tensorflow()")
        if "keras" in everything:
            lines.append("import keras")
    return "\n".join(lines) + "\n"


def write_floor_notebooks(notebooks: list[Path], dest: Path) -> list[Path]:
    import nbformat
    from nbformat.v4 import new_code_cell, new_notebook

    dest.mkdir(parents=True, exist_ok=True)
    out = []
    for nb_path in notebooks:
        nb = new_notebook(cells=[new_code_cell(floor_source(nb_path))])
        nb.metadata["kernelspec"] = {
            "display_name": "Python 3",
            "language": "python",
            "name": "python3",
        }
        nb.cells[0]["id"] = "floor"
        path = dest / f"floor_{nb_path.name}"
        nbformat.write(nb, path)
        out.append(path)
    return out


def run_nbval(
    notebooks: list[Path], jobs: int, junit: Path, env: dict[str, str] | None = None
) -> tuple[float, int, str, str]:
    """The test command's notebook run: ``make notebooks NOTEBOOKS=... JOBS=...``.

    Runs the Makefile's own target, so whatever options and variables it sets (one BLAS
    thread per kernel, today) are measured too. Returns wall seconds, exit code, the output's
    tail and the command line. Refuses to run without make, the Makefile or an installed
    environment (no silent fallback to another command).
    """
    run_env = {**os.environ, **(env or {})}
    run_env["PYTEST_ADDOPTS"] = f"-q --junitxml={junit}"
    names = [rel(p) for p in notebooks]
    venv = Path(sys.executable).parent.parent  # .venv (or .venv-canary) of this interpreter
    missing = [
        what
        for what, ok in (
            ("make", shutil.which("make") is not None),
            ("Makefile", (ROOT / "Makefile").exists()),
            (f"{rel(venv)}/.installed", (venv / ".installed").exists()),
        )
        if not ok
    ]
    if missing:
        raise SystemExit(f"part a needs {', '.join(missing)}: run `make venv` first")
    cmd = [
        "make",
        "--no-print-directory",
        "notebooks",
        f"NOTEBOOKS={' '.join(names)}",
        f"JOBS={jobs}",
        f"VENV={rel(venv)}",
    ]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=run_env)
    wall = time.perf_counter() - t0
    return wall, out.returncode, (out.stdout + out.stderr)[-2000:], shlex.join(cmd)


def _junit_per_file(junit: Path) -> tuple[dict[str, float], list[str]]:
    """Seconds per notebook (its cells' test times summed) and the notebooks with a failure."""
    per: dict[str, float] = {}
    failed: set[str] = set()
    with contextlib.suppress(OSError, ET.ParseError):
        for case in ET.parse(junit).getroot().iter("testcase"):
            name = case.get("file") or case.get("classname") or "?"
            if name.endswith(".ipynb") and "/" not in name:  # "chapters.x.ipynb" -> a path
                name = "/".join(name.removesuffix(".ipynb").split(".")) + ".ipynb"
            per[name] = per.get(name, 0.0) + float(case.get("time", 0))
            if case.find("failure") is not None or case.find("error") is not None:
                failed.add(name)
    return {k: round(v, 2) for k, v in sorted(per.items())}, sorted(failed)


def book_overhead(notebooks: list[Path], jobs: int, repeats: int, work: Path) -> dict:
    """(a): every notebook under strict nbval vs the same number of import-only notebooks.

    Measured floor, full, floor, full, ...; the ratio is taken per repeat, full / floor.
    """
    floors = write_floor_notebooks(notebooks, work / "floor")
    if repeats > 1:  # warm the disk cache and the kernelspec lookup first
        run_nbval(floors, jobs, work / "warm.xml")
    full_s, floor_s, rcs, per_nb, failed, command = [], [], [], {}, [], ""
    for _ in range(repeats):
        t, rc, tail, _ = run_nbval(floors, jobs, work / "floor.xml")
        floor_s.append(t)
        if rc != 0:
            raise RuntimeError(f"the floor notebooks failed under nbval:\n{tail}")
        t, rc, tail, command = run_nbval(notebooks, jobs, work / "full.xml")
        full_s.append(t)
        rcs.append(rc)
        per_nb, failed = _junit_per_file(work / "full.xml")
        if rc != 0:
            log(f"(a): nbval reported failures:\n{tail}")
    return {
        "notebooks": [rel(p) for p in notebooks],
        "jobs": jobs,
        "command": command,
        "full_s": full_s,
        "floor_s": floor_s,
        "nbval_passed": all(rc == 0 for rc in rcs),
        "nbval_failed_notebooks": failed,  # of the last repeat
        "per_notebook_s": per_nb,
        "floor_sources": {p.name: floor_source(p) for p in notebooks},
        "ratio_per_round": [f / b for f, b in zip(full_s, floor_s, strict=True)],
    }


# ----------------------------------------------------------------------------- (d) rebuild
def _copy_tree(dest: Path) -> None:
    """The working tree as git sees it (tracked and untracked, not ignored) into ``dest``."""
    try:
        files = (
            subprocess.run(
                ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                cwd=ROOT,
                capture_output=True,
                check=True,
            )
            .stdout.decode()
            .split("\0")
        )
    except (OSError, subprocess.CalledProcessError):
        files = [
            str(p.relative_to(ROOT))
            for p in ROOT.rglob("*")
            if p.is_file() and not {".venv", "_build", ".git"} & set(p.relative_to(ROOT).parts)
        ]
    for name in filter(None, files):
        src = ROOT / name
        if src.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / name)


def _toc_with(book: Path, chapter: str, only: bool) -> None:
    """Make sure ``chapter`` is in the scratch book's _toc.yml (``only``: the sole chapter)."""
    toc = book / "_toc.yml"
    stem = chapter.removesuffix(".ipynb")
    text = toc.read_text()
    if only:
        text = f"format: jb-book\nroot: intro\nchapters:\n  - file: {stem}\n"
    elif f"file: {stem}\n" not in text and not text.rstrip().endswith(f"file: {stem}"):
        text = (
            text.rstrip("\n") + f"\n  - caption: Benchmark\n    chapters:\n      - file: {stem}\n"
        )
    toc.write_text(text)


_READ = re.compile(r"reading sources\.\.\. \[\s*\d+%\] (\S+)")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _build(book: Path) -> tuple[float, int, str]:
    cmd = [venv_bin("jupyter-book"), "build", ".", "-W", "-n", "--keep-going"]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=book, capture_output=True, text=True)
    return time.perf_counter() - t0, out.returncode, _ANSI.sub("", out.stdout + out.stderr)


_EXEC_SNIPPET = """
import sys, time, nbformat
from nbclient import NotebookClient
nb = nbformat.read(sys.argv[1], as_version=4)
t0 = time.perf_counter()
NotebookClient(nb, timeout=600, kernel_name="python3",
               resources={"metadata": {"path": sys.argv[2]}}).execute()
print(time.perf_counter() - t0)
"""


def incremental_rebuild(chapter: str, repeats: int, only: bool) -> dict[str, Any]:
    """(d) on a scratch copy of this working tree (never the checkout itself)."""
    book = Path(tempfile.mkdtemp(prefix="nnbook-bench-book-"))
    try:
        _copy_tree(book)
        _toc_with(book, chapter, only)
        result = _incremental_in(book, chapter, repeats)
        result["scratch_toc"] = "only this chapter" if only else "the book's _toc.yml"
        return result
    finally:
        shutil.rmtree(book, ignore_errors=True)


def _incremental_in(book: Path, chapter: str, repeats: int) -> dict[str, Any]:
    """Refresh one chapter + incremental build vs that chapter's bare execution, in ``book``."""
    t_full, rc_full, _ = _build(book)  # the starting point: a complete build
    nb = book / chapter
    bare, refresh, build, counts, reread, executed_in_build = [], [], [], [], [], []
    warnings = False
    for _ in range(repeats):
        out = subprocess.run(
            [sys.executable, "-c", _EXEC_SNIPPET, str(nb), str(nb.parent)],
            capture_output=True,
            text=True,
            check=True,
            cwd=book,
        )
        bare.append(float(out.stdout.strip().splitlines()[-1]))
        # the documented workflow: make refresh NB=chapter (FORCE=1), then make book-only
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "tools/refresh_outputs.py", chapter, "--force"],
            capture_output=True,
            text=True,
            check=True,
            cwd=book,
        )
        refresh.append(time.perf_counter() - t0)
        counts.append(len(re.findall(r": outputs (?:unchanged|changed)", out.stdout)))
        t, rc, log_text = _build(book)
        build.append(t)
        warnings = warnings or rc != 0
        reread.append(sorted(set(_READ.findall(log_text))))
        executed_in_build.append(len(re.findall(r"Executing notebook", log_text)))
    total = [r + b for r, b in zip(refresh, build, strict=True)]
    fixed = median(total) - median(bare)  # what the workflow adds to the execution itself
    return {
        "chapter": chapter,
        "full_build_s": t_full,
        "full_build_ok": rc_full == 0,
        "bare_execution_s": bare,
        "refresh_s": refresh,
        "incremental_build_s": build,
        "build_warnings": warnings,
        "notebooks_executed_by_refresh": counts,
        "notebooks_executed_by_build": executed_in_build,
        "executed_notebooks": max(c + e for c, e in zip(counts, executed_in_build, strict=True)),
        "documents_reread": reread[-1],
        "fixed_cost_s": fixed,
        # the shortest chapter execution for which (execution + fixed) / execution <= target
        "break_even_execution_s": fixed / (TARGETS["d_incremental_rebuild"][0] - 1.0),
        "ratio_per_round": [t / b for t, b in zip(total, bare, strict=True)],
    }


def _tiny_notebook(dest: Path) -> Path:
    """A two-cell notebook for --tiny, written with the outputs its execution produces."""
    import nbformat
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

    cells = [
        new_markdown_cell("# Tiny benchmark notebook"),
        new_code_cell("import numpy as np", execution_count=1),
        new_code_cell(
            "print(int(np.arange(10).sum()))",
            execution_count=2,
            outputs=[new_output("stream", name="stdout", text="45\n")],
        ),
    ]
    nb = new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {
        "display_name": "Python 3",
        "language": "python",
        "name": "python3",
    }
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"tiny-{i}"
    path = dest / "tiny_bench.ipynb"
    nbformat.write(nb, path)
    return path


def _tiny_rebuild(notebook: Path, repeats: int) -> dict[str, Any]:
    """(d) in --tiny mode: a two-page scratch book (intro + the tiny notebook)."""
    book = Path(tempfile.mkdtemp(prefix="nnbook-bench-tiny-"))
    try:
        (book / "chapters").mkdir()
        (book / "tools").mkdir()
        shutil.copy2(notebook, book / "chapters" / notebook.name)
        shutil.copy2(ROOT / "tools" / "refresh_outputs.py", book / "tools")
        (book / "intro.md").write_text("# Tiny book\n\nOne page and one notebook.\n")
        (book / "_config.yml").write_text(
            'title: Tiny\nexecute:\n  execute_notebooks: "off"\n'
            "only_build_toc_files: true\nexclude_patterns: [_build, tools]\n"
        )
        (book / "_toc.yml").write_text("format: jb-book\nroot: intro\n")
        _toc_with(book, f"chapters/{notebook.name}", True)
        result = _incremental_in(book, f"chapters/{notebook.name}", repeats)
        result["scratch_toc"] = "a two-page scratch book"
        return result
    finally:
        shutil.rmtree(book, ignore_errors=True)
