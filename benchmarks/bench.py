"""How fast is from-scratch NumPy, and how fast is the book? (``make bench``, ``make bench-book``)

The reader's numbers, shown by the appendix ``chapters/90_performance.ipynb`` and written to
``benchmarks/results.json``:

b. one nnbook training step / the matrix products it must do (target <= 1.25) with one BLAS
   thread, as the book runs its kernels, and again with the machine's default threads (judged
   too), with the same for older nnbook versions and a fused in-place step (step.py);
c. nnbook's training throughput / TensorFlow's (tf.function, XLA, Keras; target >= 0.9), with
   both libraries' matrix-product floors (tensorflow_step.py);
e. a 3×3 convolution forward, nnbook's im2col against tf.nn.conv2d (no target; the scope).

The maintainers' numbers, discussed in ``benchmarks/README.md`` and written to
``benchmarks/results-book.json`` (book.py):

a. ``make notebooks`` over every chapter / the same over import-only notebooks (target <= 2);
d. refresh one chapter + incremental build / that chapter's bare execution (target <= 1.2).

Usage::

    python benchmarks/bench.py                        # b, c, e: minutes; writes results.json
    python benchmarks/bench.py --parts ad --out benchmarks/results-book.json   # a, d
    python benchmarks/bench.py --quick                # toy sizes, seconds: proves it runs
    python benchmarks/bench.py --tiny --parts abcde   # unit-test sizes, every part

``--quick`` and ``--tiny`` numbers come from toy sizes and are never judged. Nothing here
asserts a timing; the results file records each ratio's rounds, spread and verdict.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from common import (
    APPENDIX,
    BOOK_OUT,
    MODES,
    READER_OUT,
    ROOT,
    command_line,
    load_average,
    log,
    machine_info,
    median,
    ratio_entry,
    round_floats,
)

NAMES = {
    "a": "a_book_overhead",
    "b": "b_step_over_matmul",
    "c": "c_nnbook_vs_tensorflow",
    "d": "d_incremental_rebuild",
}
#: Ratio b with the machine's default BLAS threads (full mode only).
B_DEFAULT = "b_step_over_matmul_default_threads"


def _jobs(mode: str, parts: str, jobs: int, chapter: str | None, work: Path) -> dict:
    """The parts to run, as callables returning their results."""
    cfg = MODES[mode]
    todo: dict[str, Callable[[], dict]] = {}
    if "b" in parts:
        import step

        def part_b() -> dict:
            baselines = step.BASELINES if mode == "full" else {"tuned_kernels": "a7da078"}
            # judged with one BLAS thread: how make notebooks runs every kernel
            res = step.numpy_step(
                cfg["sizes"], cfg["batch"], cfg["rounds"], cfg["number"],
                baselines, cfg["baseline_rounds"], threads=1,
            )  # fmt: skip
            if mode == "full":  # and with the machine's default threads
                res["default_threads"] = step.numpy_step(
                    cfg["sizes"], cfg["batch"], cfg["rounds"], cfg["number"],
                    baselines, cfg["baseline_rounds"],
                )  # fmt: skip
            return res

        todo["b"] = part_b
    if "c" in parts or "e" in parts:
        import tensorflow_step as tfs

        configs = ["book", "default", "one_thread"] if mode == "full" else ["book"]
        pair: dict[str, Any] = {}

        def part(key: str) -> dict:  # c and e share one TensorFlow process per configuration
            if not pair:
                c, e = tfs.compare(cfg, configs, "c" in parts, "e" in parts)
                pair.update(c=c, e=e)
            return pair[key]

        for key in "ce":
            if key in parts:
                todo[key] = lambda key=key: part(key)
    if "a" in parts or "d" in parts:
        import book

        if mode == "full":
            notebooks = sorted((ROOT / "chapters").glob("*.ipynb"))
        elif mode == "quick":
            notebooks = [ROOT / APPENDIX]
        else:
            notebooks = [book._tiny_notebook(work)]
        if "a" in parts:
            todo["a"] = lambda: book.book_overhead(notebooks, jobs, cfg["a_repeats"], work)
        if "d" in parts:
            if mode == "tiny":  # a scratch book around the tiny notebook
                todo["d"] = lambda: book._tiny_rebuild(notebooks[0], cfg["d_repeats"])
            else:
                d_chapter = chapter or (
                    "chapters/00_first_network.ipynb" if mode == "full" else APPENDIX
                )
                todo["d"] = lambda: book.incremental_rebuild(
                    d_chapter, cfg["d_repeats"], mode != "full"
                )
    return todo


def run(mode: str, parts: str, jobs: int, chapter: str | None, argv: list[str]) -> dict:
    results: dict[str, Any] = {
        "schema": 2,
        "mode": mode,
        "command": command_line(argv),
        "machine": machine_info(),
        "load_average_start": load_average(),
    }
    t_start = time.perf_counter()
    # inside the repository (ignored _build/) so that pytest finds the project's configuration
    (ROOT / "_build").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-", dir=ROOT / "_build"))
    try:
        todo = _jobs(mode, parts, jobs, chapter, work)
        if mode == "tiny":  # seconds, not measurements: run the parts side by side
            with concurrent.futures.ThreadPoolExecutor(len(todo) or 1) as pool:
                futures = {k: pool.submit(fn) for k, fn in todo.items()}
                done = {k: f.result() for k, f in futures.items()}
        else:  # one at a time, so that no part disturbs another's timing
            done = {}
            for k in "bceda":
                if k in todo:
                    log(f"part {k} ...")
                    t0, load = time.perf_counter(), load_average()
                    done[k] = todo[k]()
                    done[k]["load_average_before"] = load
                    log(f"part {k}: {time.perf_counter() - t0:.0f} s")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results.update({f"part_{k}": v for k, v in sorted(done.items())})
    ratios = {}
    for k, v in sorted(done.items()):
        if k in NAMES:
            extra: dict[str, Any] = {}
            if k == "c":
                extra["against"] = v["ratio_against"]
            if k == "d":
                extra["executed_notebooks"] = v["executed_notebooks"]
            if k == "b":
                extra["blas_threads"] = v["blas_threads"]
            ratios[NAMES[k]] = ratio_entry(NAMES[k], v["ratio_per_round"], mode, **extra)
    if "default_threads" in done.get("b", {}):
        b2 = done["b"]["default_threads"]
        ratios[B_DEFAULT] = ratio_entry(
            B_DEFAULT, b2["ratio_per_round"], mode, blas_threads=b2["blas_threads"]
        )
    results["ratios"] = ratios
    results["load_average_end"] = load_average()
    results["wall_s"] = round(time.perf_counter() - t_start, 1)
    return results


def print_summary(results: dict[str, Any]) -> None:
    m = results["machine"]
    print(
        f"machine: {m['cpu']}, {m['logical_cpus']} logical CPUs; mode {results['mode']}; "
        f"load average {results['load_average_start']} -> {results['load_average_end']}"
    )
    width = max((len(name) for name in results["ratios"]), default=0)
    for name, r in results["ratios"].items():
        s = r["spread"]
        print(
            f"  {name:{width}s} {r['value']:6.3f} [{s['q1']:.3f}, {s['q3']:.3f}]  "
            f"target {r['sense']} {r['target']}  {r['verdict']}"
        )
    for config, res in results.get("part_e", {}).get("configs", {}).items():
        for shape, entry in res["shapes"].items():
            ratio = median(entry["nnbook_throughput_ratio"])
            print(f"  conv {shape:22s} nnbook/TF {ratio:6.3f}  ({config})")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="toy sizes, seconds (make test)")
    size.add_argument("--tiny", action="store_true", help="smallest sizes (unit test)")
    parser.add_argument("--out", type=Path, default=None, help="results file")
    parser.add_argument("--parts", default="bce", help="b, c, e (default), a, d, or any mix")
    parser.add_argument(
        "--jobs",
        type=int,
        default=int(os.environ.get("JOBS", "2")),
        help="pytest-xdist workers for (a), as the test command (default 2)",
    )
    parser.add_argument("--chapter", default=None, help="the chapter touched for (d)")
    parser.add_argument("--worker", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--worker-args", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:  # a TensorFlow process of parts c and e
        import tensorflow_step as tfs

        print(json.dumps(tfs.worker(args.worker, *json.loads(args.worker_args))))
        return 0
    unknown = set(args.parts) - set("abcde")
    if unknown:
        parser.error(f"--parts takes letters from abcde, got {args.parts!r}")
    mode = "quick" if args.quick else "tiny" if args.tiny else "full"
    if args.out is not None:
        out = args.out
    elif mode == "full":
        out = BOOK_OUT if set(args.parts) <= set("ad") else READER_OUT
    else:
        out = ROOT / "_build" / f"bench-{mode}.json"
    results = run(mode, args.parts, args.jobs, args.chapter, argv)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(round_floats(results), indent=1) + "\n")
    print_summary(results)
    print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
