"""How fast is the book, and how fast is from-scratch NumPy? (``make bench``)

Measures four ratios side by side in one run and writes them, with the machine they were
measured on and the raw timings behind them, to a JSON results file (``benchmarks/results.json``
by default; the appendix ``chapters/90_performance.ipynb`` is generated from it):

a. book execution overhead: wall time of the test command's notebook run (strict nbval,
   ``-n JOBS --dist loadscope``, over every ``chapters/*.ipynb``) divided by the same command
   over as many "floor" notebooks that only do each chapter's imports (target <= 2.0);
b. NumPy step efficiency: one ``nnbook`` training step (``loss_and_grads`` + ``sgd_update``) of a
   784-1024-1024-10 ReLU MLP, batch 256, float32, divided by the time of the eight matrix
   products such a step must do (target <= 1.25), with a profile of where the rest goes;
c. NumPy vs TensorFlow: the same step as a compiled ``tf.function`` (also with XLA) and as
   Keras' ``train_on_batch``, in the book's TensorFlow configuration (oneDNN off, deterministic
   ops) and in TensorFlow's default one; ratio = nnbook's throughput / TensorFlow's, the
   smallest over all variants (target >= 0.9);
d. incremental rebuild: in a scratch copy of the book, ``make refresh NB=chapter`` plus an
   incremental ``jupyter-book build`` must execute exactly one notebook and take at most 1.2x
   that chapter's bare execution time (nbclient alone).

Usage::

    python benchmarks/bench.py                 # full run (minutes), writes benchmarks/results.json
    python benchmarks/bench.py --quick --out _build/bench-quick.json   # CI: proves it works
    python benchmarks/bench.py --tiny --out /tmp/b.json                # unit-test size, seconds

``--quick`` and ``--tiny`` use small sizes and one small notebook: their ratios say nothing about
the targets. Nothing here asserts a timing; the results file records whether each target is met.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import contextlib
import datetime
import inspect
import itertools
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_OUT = ROOT / "benchmarks" / "results.json"
APPENDIX = "chapters/90_performance.ipynb"
BASELINE_REV = "0653ae3"  # the last commit before the hot paths were optimized

TARGETS = {
    "a_book_overhead": (2.0, "<="),
    "b_step_over_matmul": (1.25, "<="),
    "c_nnbook_vs_tensorflow": (0.9, ">="),
    "d_incremental_rebuild": (1.2, "<="),
}

# Sizes per mode: MLP widths, batch, timing rounds and steps per round.
MODES: dict[str, dict[str, Any]] = {
    "full": {
        "sizes": [784, 1024, 1024, 10],
        "batch": 256,
        "rounds": 40,
        "number": 10,
        "tf_rounds": 15,
        "a_repeats": 2,
        "d_repeats": 3,
    },
    "quick": {
        "sizes": [784, 256, 256, 10],
        "batch": 64,
        "rounds": 5,
        "number": 5,
        "tf_rounds": 3,
        "a_repeats": 1,
        "d_repeats": 1,
    },
    "tiny": {
        "sizes": [32, 64, 64, 10],
        "batch": 16,
        "rounds": 3,
        "number": 3,
        "tf_rounds": 2,
        "a_repeats": 1,
        "d_repeats": 1,
    },
}


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def _bin(name: str) -> str:
    """An executable of the running environment (.venv/bin/NAME), else from PATH."""
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else (shutil.which(name) or name)


def _median(xs: list[float]) -> float:
    return float(statistics.median(xs))


# ----------------------------------------------------------------------------- machine
def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    mem_gib = None
    with contextlib.suppress(OSError, ValueError, IndexError):
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem_gib = round(int(line.split()[1]) / 2**20, 1)
    blas: list[dict[str, Any]] = []
    with contextlib.suppress(ImportError):
        from threadpoolctl import threadpool_info

        blas = [
            {k: d.get(k) for k in ("internal_api", "version", "architecture", "num_threads")}
            for d in threadpool_info()
            if d.get("user_api") == "blas"
        ]
    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for mod in ("tensorflow", "keras", "jupyter_book", "nbval", "xdist"):
        with contextlib.suppress(Exception):
            from importlib.metadata import version

            dist = {"xdist": "pytest-xdist", "jupyter_book": "jupyter-book"}.get(mod, mod)
            if mod == "tensorflow":
                dist = "tensorflow-cpu"
                try:
                    versions[mod] = version(dist)
                    continue
                except Exception:
                    dist = "tensorflow"
            versions[mod] = version(dist)
    return {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "memory_gib": mem_gib,
        "os": f"{platform.system()} {platform.release()}",
        "blas": blas,
        "versions": versions,
        "env": {
            k: os.environ[k]
            for k in (
                "OPENBLAS_CORETYPE",
                "OPENBLAS_L2_SIZE",
                "OMP_NUM_THREADS",
                "OPENBLAS_NUM_THREADS",
            )
            if k in os.environ
        },
        "date": datetime.date.today().isoformat(),
    }


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # pragma: no cover - not on Linux
        return None


# ----------------------------------------------------------------------------- (b) NumPy
def _matmul_floor(sizes: list[int], batch: int, rng: np.random.Generator) -> Callable[[], None]:
    """The matrix products one training step must do, with preallocated outputs.

    Forward: a^(l-1) W^(l) for every layer. Backward: ∂J/∂W^(l) = a^(l-1)ᵀ δ^(l) for every
    layer and δ^(l) W^(l)ᵀ for every layer but the first (∂J/∂X is not needed for training).
    The operands have the step's shapes, dtype and memory layout (transposes are views).
    """
    f32 = np.float32
    acts = [rng.standard_normal((batch, s)).astype(f32) for s in sizes]
    Ws = [rng.standard_normal((a, b)).astype(f32) for a, b in itertools.pairwise(sizes)]
    outs = [np.empty((batch, s), f32) for s in sizes]
    gWs = [np.empty_like(W) for W in Ws]
    L = len(Ws)

    def products() -> None:
        for i in range(L):  # forward
            np.matmul(acts[i], Ws[i], out=outs[i + 1])
        for i in reversed(range(L)):  # backward: δ^(i+1) is outs[i+1]
            np.matmul(acts[i].T, outs[i + 1], out=gWs[i])
            if i > 0:
                np.matmul(outs[i + 1], Ws[i].T, out=outs[i])

    return products


def _step_flops(sizes: list[int], batch: int) -> float:
    pairs = list(itertools.pairwise(sizes))
    fwd = sum(2 * batch * a * b for a, b in pairs)
    bwd = fwd + sum(2 * batch * a * b for a, b in pairs[1:])
    return float(fwd + bwd)


def _elementwise_bytes(sizes: list[int], batch: int, itemsize: int = 4) -> float:
    """Bytes the step's elementwise kernels read and write (an estimate for the profile).

    Forward per layer: bias add (read + write N·s), ReLU (read z, write a); softmax on the
    logits; backward per hidden layer: ReLU mask (read a, read/write δ), bias gradient
    (read δ); SGD: η g into scratch (read g, write), p -= (read p, read, write).
    """
    hidden = sizes[1:-1]
    n_params = sum(a * b + b for a, b in itertools.pairwise(sizes))
    fwd = sum(2 * batch * s for s in sizes[1:]) + sum(2 * batch * s for s in hidden)
    loss = 6 * batch * sizes[-1]
    bwd = sum(3 * batch * s for s in hidden) + sum(batch * s for s in sizes[1:])
    sgd = 5 * n_params
    return float(itemsize * (fwd + loss + bwd + sgd))


def numpy_step(
    sizes: list[int], batch: int, rounds: int, number: int, seed: int = 0
) -> dict[str, Any]:
    """(b): nnbook's training step against its matrix-product floor, interleaved, plus a profile."""
    import nnbook
    from nnbook.train import sgd_update

    rng = np.random.default_rng(seed)
    model = nnbook.MLP(sizes, rng=rng, dtype=np.float32)
    X = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    lr = 1e-3

    def step() -> None:
        _, grads = model.loss_and_grads(X, y)
        sgd_update(model.params, grads, lr)

    floor = _matmul_floor(sizes, batch, rng)

    # dtype audit: every array a float32 step touches stays float32
    _, grads = model.loss_and_grads(X, y)
    arrays = [*model.z, *model.a, *model.deltas, *grads.values(), *model.params.values()]
    dtypes = sorted({str(a.dtype) for a in arrays})

    # profile pieces (each timed on its own, same data)
    logits = model.forward(X)
    dlogits = nnbook.softmax_cross_entropy(logits, y)[1]
    fwd_only = _matmul_fwd(model, X)

    def backward() -> None:  # what loss_and_grads runs, in each version of nnbook
        params = inspect.signature(getattr(model, "_backward", model.backward)).parameters
        if "owned" in params:  # the in-place kernels (fa0b844 to a7da078)
            model._backward(dlogits.copy(), owned=True, need_dx=False)
        elif "need_dx" in params:  # the plain kernels
            model._backward(dlogits, need_dx=False)
        else:  # nnbook before fa0b844
            model.backward(dlogits)

    pieces: dict[str, Callable[[], Any]] = {
        "checks": lambda: (model._check_X(X), model._check_y(X, y)),
        "forward": lambda: model.forward(X),
        "forward_matmuls": fwd_only,
        "loss": lambda: nnbook.softmax_cross_entropy(logits, y),
        "backward": backward,
        "sgd_update": lambda: sgd_update(model.params, model.grads, lr),
    }
    tiny = nnbook.MLP([1] * len(sizes), rng=np.random.default_rng(1), dtype=np.float32)
    X1, y1 = np.ones((1, 1), np.float32), np.zeros(1, int)

    def tiny_step() -> None:
        _, g = tiny.loss_and_grads(X1, y1)
        sgd_update(tiny.params, g, lr)

    for fn in (step, floor, tiny_step, *pieces.values()):  # warm-up
        for _ in range(3):
            fn()
    t_step, t_floor, ratios = [], [], []
    t_pieces: dict[str, list[float]] = {k: [] for k in [*pieces, "python_overhead"]}
    for _ in range(rounds):
        a = _block(step, number)
        b = _block(floor, number)
        t_step.append(a)
        t_floor.append(b)
        ratios.append(a / b)
        for k, fn in pieces.items():
            t_pieces[k].append(_block(fn, number))
        t_pieces["python_overhead"].append(_block(tiny_step, number))
    step_s, floor_s = _median(t_step), _median(t_floor)
    p = {k: _median(v) for k, v in t_pieces.items()}
    flops = _step_flops(sizes, batch)
    # Split of one step: BLAS = the floor's products; Python = the step of a 1-1-1-1 network,
    # where every array is a scalar; elementwise = the rest (memory-bound passes).
    elementwise = max(step_s - floor_s - p["python_overhead"], 0.0)
    ew_bytes = _elementwise_bytes(sizes, batch)
    return {
        "sizes": sizes,
        "batch": batch,
        "dtype": "float32",
        "dtypes_seen": dtypes,
        "rounds": rounds,
        "steps_per_round": number,
        "step_ms": step_s * 1e3,
        "matmul_floor_ms": floor_s * 1e3,
        "ratio": _median(ratios),
        "ratio_per_round": ratios,
        "gflop_per_step": flops / 1e9,
        "floor_gflops": flops / floor_s / 1e9,
        "step_gflops": flops / step_s / 1e9,
        "throughput_examples_per_s": batch / step_s,
        "profile_ms": {k: v * 1e3 for k, v in p.items()},
        "split_ms": {
            "blas": floor_s * 1e3,
            "python_overhead": p["python_overhead"] * 1e3,
            "elementwise_and_other": elementwise * 1e3,
        },
        "elementwise_mb_per_step": ew_bytes / 1e6,
        "elementwise_gb_per_s": (ew_bytes / elementwise / 1e9) if elementwise > 0 else None,
        "blas_share": floor_s / step_s,
    }


def _matmul_fwd(model: Any, X: np.ndarray) -> Callable[[], None]:
    Ws = [d.params["W"] for d in model.dense]
    acts = [X, *model.a[1:-1]]
    outs = [np.empty((X.shape[0], W.shape[1]), np.float32) for W in Ws]

    def run() -> None:
        for a, W, o in zip(acts, Ws, outs, strict=True):
            np.matmul(a, W, out=o)

    return run


def _block(fn: Callable[[], Any], number: int) -> float:
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def baseline_step(rev: str, sizes: list[int], batch: int, rounds: int, number: int) -> dict:
    """(b) for nnbook as it was at git revision ``rev`` (the "before" of the optimization)."""
    tmp = Path(tempfile.mkdtemp(prefix="nnbook-baseline-"))
    try:
        archive = subprocess.run(
            ["git", "archive", rev, "code/nnbook"], cwd=ROOT, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
        code = (
            "import sys, json; sys.path.insert(0, sys.argv[1]); sys.path.insert(0, sys.argv[2]);"
            "import nnbook, bench; assert nnbook.__file__.startswith(sys.argv[1]), nnbook.__file__;"
            "r = bench.numpy_step(json.loads(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]),"
            " int(sys.argv[6])); print(json.dumps(r))"
        )
        out = subprocess.run(
            [
                sys.executable,
                "-c",
                code,
                str(tmp / "code"),
                str(ROOT / "benchmarks"),
                json.dumps(sizes),
                str(batch),
                str(rounds),
                str(number),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        result = json.loads(out.strip().splitlines()[-1])
        result["rev"] = rev
        return result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ----------------------------------------------------------------------------- (c) TensorFlow
def tf_worker(config: str, sizes: list[int], batch: int, rounds: int, number: int) -> dict:
    """Run in a subprocess: nnbook vs TensorFlow steps in one process, interleaved in rounds.

    ``config`` "book": oneDNN off and deterministic ops, as every chapter imports TensorFlow;
    "default": TensorFlow as installed (oneDNN on, no determinism); "one_thread": "book" with
    one thread for OpenBLAS and for TensorFlow (set by the parent before the worker starts),
    a per-core comparison that a busy machine disturbs least.
    """
    if config in ("book", "one_thread"):
        from nnbook import tf_twins

        tf = tf_twins.import_tensorflow()
    else:
        os.environ.pop("TF_ENABLE_ONEDNN_OPTS", None)
        os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
        import tensorflow as tf
    import keras

    import nnbook
    from nnbook.train import sgd_update

    rng = np.random.default_rng(0)
    model = nnbook.MLP(sizes, rng=rng, dtype=np.float32)
    X = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    lr = 1e-3
    init = {k: v.copy() for k, v in model.params.items()}
    L = len(sizes) - 1

    def np_step() -> float:
        loss, grads = model.loss_and_grads(X, y)
        sgd_update(model.params, grads, lr)
        return loss

    tv = [tf.Variable(init[f"{p}{i}"]) for i in range(1, L + 1) for p in ("W", "b")]
    Xt, yt = tf.constant(X), tf.constant(y.astype(np.int32))
    lr_t = tf.constant(lr, tf.float32)

    def tf_step_py(Xb: Any, yb: Any) -> Any:
        with tf.GradientTape() as tape:
            h = Xb
            for i in range(L):
                h = tf.matmul(h, tv[2 * i]) + tv[2 * i + 1]
                if i < L - 1:
                    h = tf.nn.relu(h)
            loss = tf.reduce_mean(
                tf.nn.sparse_softmax_cross_entropy_with_logits(labels=yb, logits=h)
            )
        for v, g in zip(tv, tape.gradient(loss, tv), strict=True):
            v.assign_sub(lr_t * g)
        return loss

    graph_step = tf.function(tf_step_py)
    xla_step = tf.function(tf_step_py, jit_compile=True)

    net = keras.Sequential(
        [keras.Input(shape=(sizes[0],), dtype="float32")]
        + [keras.layers.Dense(s, activation="relu") for s in sizes[1:-1]]
        + [keras.layers.Dense(sizes[-1])]
    )
    for i, layer in enumerate(net.layers, start=1):
        layer.set_weights([init[f"W{i}"], init[f"b{i}"]])
    net.compile(
        optimizer=keras.optimizers.SGD(learning_rate=lr),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
    )

    def reset() -> None:
        for k, v in init.items():
            model.params[k][...] = v
        for i in range(1, L + 1):
            tv[2 * (i - 1)].assign(init[f"W{i}"])
            tv[2 * (i - 1) + 1].assign(init[f"b{i}"])
            net.layers[i - 1].set_weights([init[f"W{i}"], init[f"b{i}"]])

    # Same computation? First-step losses from the same weights must agree.
    reset()
    first = {
        "nnbook": float(np_step()),
        "tf_function": float(graph_step(Xt, yt)),
        "keras_train_on_batch": float(net.train_on_batch(X, y)),
    }
    reset()
    first["tf_function_xla"] = float(xla_step(Xt, yt))
    variants: dict[str, Callable[[], Any]] = {
        "nnbook": np_step,
        "tf_function": lambda: graph_step(Xt, yt).numpy(),
        "tf_function_xla": lambda: xla_step(Xt, yt).numpy(),
        "keras_train_on_batch": lambda: net.train_on_batch(X, y),
    }
    for fn in variants.values():  # warm-up (tracing, XLA compilation)
        for _ in range(3):
            fn()
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(rounds):
        for k, fn in variants.items():
            time.sleep(0.05)  # let TensorFlow's spinning pool threads go idle first
            times[k].append(_block(fn, number))
    med = {k: _median(v) for k, v in times.items()}
    # Ratios per round (each TensorFlow block against the nnbook block of the same round), then
    # their median: a change of load between rounds cancels out.
    per_round = {
        k: _median([t / n for t, n in zip(times[k], times["nnbook"], strict=True)])
        for k in variants
        if k != "nnbook"
    }
    return {
        "config": config,
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default (on)"),
        "deterministic_ops": config == "book",
        "keras_jit_compile": bool(getattr(net, "jit_compile", False)),
        "first_step_loss": first,
        "step_ms": {k: v * 1e3 for k, v in med.items()},
        "throughput_examples_per_s": {k: batch / v for k, v in med.items()},
        "nnbook_throughput_ratio": per_round,
    }


def tensorflow_compare(
    sizes: list[int], batch: int, rounds: int, number: int, configs: list[str]
) -> dict[str, Any]:
    results = {}
    for config in configs:
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
        if config == "one_thread":
            env.update(ONE_THREAD_ENV)
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--worker-tf",
                config,
                "--worker-args",
                json.dumps([sizes, batch, rounds, number]),
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=ROOT,
        )
        if out.returncode != 0:
            raise RuntimeError(f"TensorFlow worker ({config}) failed:\n{out.stderr[-3000:]}")
        results[config] = json.loads(out.stdout.strip().splitlines()[-1])
    # The headline: TensorFlow at its best with the machine's default threads.
    worst = min(
        (r, c, k)
        for c, res in results.items()
        if c != "one_thread" or len(results) == 1
        for k, r in res["nnbook_throughput_ratio"].items()
    )
    return {
        "sizes": sizes,
        "batch": batch,
        "configs": results,
        "ratio": worst[0],
        "ratio_against": f"{worst[2]} ({worst[1]} configuration)",
    }


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


#: One thread per kernel for BLAS, OpenMP and TensorFlow: with ``-n 2`` on two cores, two kernels
#: that each start two busy BLAS threads oversubscribe the machine. Measured as a variant of (a).
ONE_THREAD_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
}


def _rel(p: Path) -> str:
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p)


def run_nbval(
    notebooks: list[Path], jobs: int, junit: Path, env: dict[str, str] | None = None
) -> tuple[float, int, str]:
    """The test command's notebook run; returns wall seconds, exit code and the output's tail.

    Runs ``make notebooks NOTEBOOKS=... JOBS=...`` itself when the Makefile and an installed
    .venv are there (so any option or variable the Makefile adds is measured too), else the
    same pytest command line directly.
    """
    run_env = {**os.environ, **(env or {})}
    run_env["PYTEST_ADDOPTS"] = f"-q --junitxml={junit}"
    names = [_rel(p) for p in notebooks]
    venv = Path(sys.executable).parent.parent  # .venv (or .venv-canary) of this interpreter
    if shutil.which("make") and (ROOT / "Makefile").exists() and (venv / ".installed").exists():
        cmd = [
            "make",
            "--no-print-directory",
            "notebooks",
            f"NOTEBOOKS={' '.join(names)}",
            f"JOBS={jobs}",
            f"VENV={venv}",
        ]
    else:
        cmd = [
            sys.executable,
            "-m",
            "pytest",
            "--nbval",
            "--nbval-current-env",
            "-p",
            "no:cacheprovider",
            "-n",
            str(jobs),
            "--dist",
            "loadscope",
            *names,
        ]
    t0 = time.perf_counter()
    out = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, env=run_env)
    wall = time.perf_counter() - t0
    return wall, out.returncode, (out.stdout + out.stderr)[-2000:]


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


def book_overhead(
    notebooks: list[Path], jobs: int, repeats: int, work: Path, variants: dict[str, dict]
) -> dict:
    """(a): every notebook under strict nbval vs the same number of import-only notebooks.

    Each variant (environment added to the run) is measured floor, full, floor, full, ...;
    the ratio reported is the first variant's: the test command as the Makefile runs it.
    """
    floors = write_floor_notebooks(notebooks, work / "floor")
    if repeats > 1:  # warm the disk cache and the kernelspec lookup first
        run_nbval(floors, jobs, work / "warm.xml")
    runs: dict[str, dict[str, Any]] = {}
    for name, env in variants.items():
        full_s, floor_s, rcs, per_nb, failed = [], [], [], {}, []
        for _ in range(repeats):
            t, rc, tail = run_nbval(floors, jobs, work / "floor.xml", env)
            floor_s.append(t)
            if rc != 0:
                raise RuntimeError(f"the floor notebooks failed under nbval:\n{tail}")
            t, rc, tail = run_nbval(notebooks, jobs, work / "full.xml", env)
            full_s.append(t)
            rcs.append(rc)
            per_nb, failed = _junit_per_file(work / "full.xml")
            if rc != 0:
                log(f"(a) {name}: nbval reported failures:\n{tail}")
        runs[name] = {
            "env": env,
            "full_s": full_s,
            "floor_s": floor_s,
            "nbval_passed": all(rc == 0 for rc in rcs),
            "nbval_failed_notebooks": failed,  # of the last repeat
            "per_notebook_s": per_nb,
            "ratio": _median(full_s) / _median(floor_s),
        }
    first = runs[next(iter(variants))]
    return {
        "notebooks": [_rel(p) for p in notebooks],
        "jobs": jobs,
        "command": f"make notebooks JOBS={jobs} (pytest --nbval --nbval-current-env "
        f"-p no:cacheprovider -n {jobs} --dist loadscope)",
        "variants": runs,
        "full_s": first["full_s"],
        "floor_s": first["floor_s"],
        "nbval_passed": first["nbval_passed"],
        "per_notebook_s": first["per_notebook_s"],
        "floor_sources": {p.name: floor_source(p) for p in notebooks},
        "ratio": first["ratio"],
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
    cmd = [_bin("jupyter-book"), "build", ".", "-W", "-n", "--keep-going"]
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
    fixed = _median(total) - _median(bare)  # what the workflow adds to the execution itself
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
        "ratio": _median(total) / _median(bare),
    }


# ----------------------------------------------------------------------------- driver
def _ratio_entry(key: str, value: float, extra: dict[str, Any] | None = None) -> dict:
    target, sense = TARGETS[key]
    met = value <= target if sense == "<=" else value >= target
    return {"value": round(value, 4), "target": target, "sense": sense, "met": met, **(extra or {})}


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


def run(
    mode: str, out_path: Path, parts: str, jobs: int, chapter: str | None, baseline: str | None
) -> dict[str, Any]:
    cfg = MODES[mode]
    results: dict[str, Any] = {
        "schema": 1,
        "mode": mode,
        "machine": machine_info(),
        "load_average_start": load_average(),
    }
    ratios: dict[str, Any] = {}
    t_start = time.perf_counter()
    # inside the repository (ignored _build/) so that pytest finds the project's configuration
    (ROOT / "_build").mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bench-", dir=ROOT / "_build"))
    try:
        jobs_list: dict[str, Callable[[], dict]] = {}
        if "b" in parts:
            jobs_list["b"] = lambda: numpy_step(
                cfg["sizes"], cfg["batch"], cfg["rounds"], cfg["number"]
            )
        if "c" in parts:
            configs = ["book"] if mode == "tiny" else ["book", "default", "one_thread"]
            jobs_list["c"] = lambda: tensorflow_compare(
                cfg["sizes"], cfg["batch"], cfg["tf_rounds"], cfg["number"], configs
            )
        if mode == "full":
            notebooks = sorted((ROOT / "chapters").glob("*.ipynb"))
            d_chapter, d_only = chapter or "chapters/00_first_network.ipynb", False
        elif mode == "quick":
            notebooks = [ROOT / APPENDIX] if (ROOT / APPENDIX).exists() else []
            d_chapter, d_only = chapter or APPENDIX, True
        else:
            notebooks = [_tiny_notebook(work)]
            d_chapter, d_only = None, True
        if "a" in parts:
            if not notebooks:
                raise SystemExit(f"no notebook to run for (a) in {mode} mode")
            variants: dict[str, dict] = {"makefile": {}}
            if mode == "full":
                variants["one_thread_per_kernel"] = ONE_THREAD_ENV
            jobs_list["a"] = lambda: book_overhead(
                notebooks, jobs, cfg["a_repeats"], work, variants
            )
        if "d" in parts:
            if d_chapter is None:  # tiny: a scratch book around the tiny notebook
                d_chapter = "chapters/tiny_bench.ipynb"
                jobs_list["d"] = lambda: _tiny_rebuild(notebooks[0], cfg["d_repeats"])
            else:
                jobs_list["d"] = lambda: incremental_rebuild(d_chapter, cfg["d_repeats"], d_only)
        if mode == "tiny":  # seconds, not measurements: run the parts side by side
            with concurrent.futures.ThreadPoolExecutor(len(jobs_list) or 1) as pool:
                futures = {k: pool.submit(fn) for k, fn in jobs_list.items()}
                done = {k: f.result() for k, f in futures.items()}
        else:  # one at a time, so that no part disturbs another's timing
            done = {}
            for k in ("b", "c", "a", "d"):
                if k in jobs_list:
                    log(f"part {k} ...")
                    t0 = time.perf_counter()
                    load = load_average()
                    done[k] = jobs_list[k]()
                    done[k]["load_average_before"] = load
                    log(
                        f"part {k}: ratio {done[k]['ratio']:.3f} ({time.perf_counter() - t0:.0f} s)"
                    )
        if "b" in done and baseline:
            log(f"part b baseline at {baseline} ...")
            done["b"]["baseline"] = baseline_step(
                baseline, cfg["sizes"], cfg["batch"], max(3, cfg["rounds"] // 3), cfg["number"]
            )
        results.update({f"part_{k}": v for k, v in sorted(done.items())})
        names = {
            "a": "a_book_overhead",
            "b": "b_step_over_matmul",
            "c": "c_nnbook_vs_tensorflow",
            "d": "d_incremental_rebuild",
        }
        for k, v in sorted(done.items()):
            extra = {"against": v["ratio_against"]} if k == "c" else None
            if k == "d":
                extra = {"executed_notebooks": v["executed_notebooks"]}
            ratios[names[k]] = _ratio_entry(names[k], v["ratio"], extra)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["ratios"] = ratios
    results["load_average_end"] = load_average()
    results["wall_s"] = round(time.perf_counter() - t_start, 1)
    out_path.parent.mkdir(parents=True, exist_ok=True)
    out_path.write_text(json.dumps(_round(results), indent=1, sort_keys=False) + "\n")
    return results


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


def _round(obj: Any) -> Any:
    if isinstance(obj, float):
        return float(f"{obj:.6g}")
    if isinstance(obj, dict):
        return {k: _round(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_round(v) for v in obj]
    return obj


def print_summary(results: dict[str, Any]) -> None:
    m = results["machine"]
    print(
        f"machine: {m['cpu']}, {m['logical_cpus']} logical CPUs; mode {results['mode']}; "
        f"load average {results['load_average_start']} -> {results['load_average_end']}"
    )
    for name, r in results["ratios"].items():
        verdict = "met" if r["met"] else "NOT met"
        print(f"  {name:26s} {r['value']:8.3f}   target {r['sense']} {r['target']}  {verdict}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="small sizes (CI: proves it works)")
    size.add_argument("--tiny", action="store_true", help="smallest sizes (unit test)")
    parser.add_argument("--out", type=Path, default=None, help="results file")
    parser.add_argument("--parts", default="abcd", help="which ratios to measure (default abcd)")
    parser.add_argument(
        "--jobs",
        type=int,
        default=int(os.environ.get("JOBS", "2")),
        help="pytest-xdist workers for (a), as the test command (default 2)",
    )
    parser.add_argument("--chapter", default=None, help="the chapter touched for (d)")
    parser.add_argument(
        "--baseline",
        default=None,
        metavar="REV",
        help=f"also time (b) for nnbook at git REV (full runs: {BASELINE_REV})",
    )
    parser.add_argument("--worker-tf", default=None, help=argparse.SUPPRESS)
    parser.add_argument("--worker-args", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker_tf:
        sizes, batch, rounds, number = json.loads(args.worker_args)
        print(json.dumps(tf_worker(args.worker_tf, sizes, batch, rounds, number)))
        return 0
    mode = "quick" if args.quick else "tiny" if args.tiny else "full"
    out = args.out or (DEFAULT_OUT if mode == "full" else ROOT / "_build" / f"bench-{mode}.json")
    baseline = (
        args.baseline if args.baseline is not None else (BASELINE_REV if mode == "full" else None)
    )
    results = run(mode, out, args.parts, args.jobs, args.chapter, baseline or None)
    print_summary(results)
    print(f"results written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
