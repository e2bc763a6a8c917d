"""Part b: one nnbook training step against the matrix products it must do.

The step is ``loss_and_grads`` + ``sgd_update`` of a ReLU MLP (784-1024-1024-10, batch 256,
float32 in full mode). Its floor is the eight matrix products of that step with preallocated
outputs: forward a^(l-1) W^(l) for every layer, ∂J/∂W^(l) = a^(l-1)ᵀ δ^(l) for every layer
and δ^(l) W^(l)ᵀ for every layer but the first (training never needs ∂J/∂X). Step and floor
are timed in alternating blocks, and the ratio is taken round by round.

Two references answer "what do the plain kernels cost", each as a paired comparison timed in
the same rounds: earlier versions of nnbook (git revisions, extracted with ``git archive`` and
imported under another name), and the fastest NumPy step of the same network we could write,
everything preallocated and in place (``fused_step.py``).

Ratio b is judged with one BLAS thread, the way the book runs every notebook kernel; ``make
bench`` also measures it with the machine's default threads (``bench.py``).
"""

from __future__ import annotations

import importlib
import itertools
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from common import ROOT, block, spread
from fused_step import fused_stepper

#: Older nnbook versions timed beside the current one: label -> git revision.
BASELINES = {
    "tuned_kernels": "a7da078",  # in-place kernels, bit-pattern ReLU mask, scratch buffers
    "before_tuning": "0653ae3",  # plain code that also computed ∂J/∂X = δ^(1) W^(1)ᵀ
}


def matmul_floor(sizes: list[int], batch: int, rng: np.random.Generator) -> Callable[[], None]:
    """The matrix products one training step must do, with preallocated outputs.

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


def step_flops(sizes: list[int], batch: int) -> float:
    """Floating-point operations of those products (appendix, eq-perf-flops)."""
    pairs = list(itertools.pairwise(sizes))
    fwd = sum(2 * batch * a * b for a, b in pairs)
    bwd = fwd + sum(2 * batch * a * b for a, b in pairs[1:])
    return float(fwd + bwd)


def _import_revision(rev: str, dest: Path) -> Any:
    """nnbook as it was at git revision ``rev``, imported as the package ``nnbook_<rev>``."""
    archive = subprocess.run(
        ["git", "archive", rev, "code/nnbook"], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
    name = f"nnbook_{rev}"
    shutil.move(dest / "code" / "nnbook", dest / name)
    sys.path.insert(0, str(dest))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(dest))


def _stepper(lib: Any, sizes: list[int], X: np.ndarray, y: np.ndarray) -> tuple[Any, Callable]:
    model = lib.MLP(sizes, rng=np.random.default_rng(1), dtype=np.float32)
    update = lib.train.sgd_update

    def step() -> None:
        _, grads = model.loss_and_grads(X, y)
        update(model.params, grads, 1e-3)

    return model, step


def _profile(model: Any, X: np.ndarray, y: np.ndarray) -> dict[str, Callable[[], Any]]:
    """The pieces of a step, each timed alone (private methods of the current nnbook)."""
    import nnbook
    from nnbook.train import sgd_update

    logits = model.forward(X)
    dlogits = nnbook.softmax_cross_entropy(logits, y)[1]
    return {
        "checks": lambda: (model._check_X(X), model._check_y(X, y)),
        "forward": lambda: model._forward(X, True),
        "loss": lambda: nnbook.softmax_cross_entropy(logits, y),
        "backward": lambda: model._backward(dlogits, need_dx=False),
        "sgd_update": lambda: sgd_update(model.params, model.grads, 1e-3),
    }


def numpy_step(
    sizes: list[int],
    batch: int,
    rounds: int,
    number: int,
    baselines: dict[str, str] | None = None,
    baseline_rounds: int = 0,
    threads: int | None = None,
) -> dict[str, Any]:
    """Part b, optionally with BLAS limited to ``threads`` threads (threadpoolctl)."""
    from threadpoolctl import threadpool_limits

    limit = threadpool_limits(threads, user_api="blas") if threads else None
    try:
        return _numpy_step(sizes, batch, rounds, number, baselines or {}, baseline_rounds)
    finally:
        if limit is not None:
            limit.restore_original_limits()


def _numpy_step(
    sizes: list[int],
    batch: int,
    rounds: int,
    number: int,
    baselines: dict[str, str],
    baseline_rounds: int,
) -> dict[str, Any]:
    import nnbook

    rng = np.random.default_rng(0)
    X = rng.standard_normal((batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], batch)
    model, step = _stepper(nnbook, sizes, X, y)
    floor = matmul_floor(sizes, batch, rng)

    # dtype audit: every array a float32 step touches stays float32
    _, grads = model.loss_and_grads(X, y)
    arrays = [*model.z, *model.a, *model.deltas, *grads.values(), *model.params.values()]
    dtypes = sorted({str(a.dtype) for a in arrays})

    pieces = _profile(model, X, y)
    _, tiny_step = _stepper(nnbook, [1] * len(sizes), np.ones((1, 1), np.float32), np.zeros(1, int))
    fused, _ = fused_stepper(model.params, X, y, 1e-3)  # trains its own copy
    for fn in (step, floor, fused, tiny_step, *pieces.values()):  # warm-up
        for _ in range(3):
            fn()
    t_step, t_floor, ratios = [], [], []
    fused_rounds: dict[str, list[float]] = {"over_floor": [], "plain_over_fused": []}
    t_pieces: dict[str, list[float]] = {k: [] for k in [*pieces, "python_overhead"]}
    for _ in range(rounds):
        a = block(step, number)
        b = block(floor, number)
        c = block(fused, number)
        t_step.append(a)
        t_floor.append(b)
        ratios.append(a / b)
        fused_rounds["over_floor"].append(c / b)
        fused_rounds["plain_over_fused"].append(a / c)
        for k, fn in pieces.items():
            t_pieces[k].append(block(fn, number))
        t_pieces["python_overhead"].append(block(tiny_step, number))

    old = _baselines(sizes, X, y, step, floor, baselines, baseline_rounds, number)
    flops = step_flops(sizes, batch)
    step_s, floor_s = spread(t_step)["median"], spread(t_floor)["median"]
    return {
        "sizes": sizes,
        "batch": batch,
        "dtype": "float32",
        "dtypes_seen": dtypes,
        "rounds": rounds,
        "steps_per_round": number,
        "blas_threads": _blas_threads(),
        "step_ms": spread([t * 1e3 for t in t_step]),
        "matmul_floor_ms": spread([t * 1e3 for t in t_floor]),
        "ratio_per_round": ratios,
        "gflop_per_step": flops / 1e9,
        "floor_gflops": flops / floor_s / 1e9,
        "step_gflops": flops / step_s / 1e9,
        "profile_ms": {k: spread(v)["median"] * 1e3 for k, v in t_pieces.items()},
        "fused": fused_rounds,
        "baselines": old,
    }


def _blas_threads() -> int | None:
    from threadpoolctl import threadpool_info

    counts = [d["num_threads"] for d in threadpool_info() if d.get("user_api") == "blas"]
    return counts[0] if counts else None


def _baselines(
    sizes: list[int],
    X: np.ndarray,
    y: np.ndarray,
    step: Callable[[], None],
    floor: Callable[[], None],
    baselines: dict[str, str],
    rounds: int,
    number: int,
) -> dict[str, Any]:
    """Old nnbook versions, each round: current step, old step, floor (paired)."""
    if not baselines or rounds == 0:
        return {}
    tmp = Path(tempfile.mkdtemp(prefix="nnbook-baselines-"))
    try:
        steps = {}
        for label, rev in baselines.items():
            lib = _import_revision(rev, tmp)
            steps[label] = _stepper(lib, sizes, X, y)[1]
            for _ in range(3):
                steps[label]()
        out: dict[str, Any] = {}
        per = {k: {"over_floor": [], "current_over_this": []} for k in steps}
        for _ in range(rounds):
            now = block(step, number)
            fl = block(floor, number)
            for label, fn in steps.items():
                t = block(fn, number)
                per[label]["over_floor"].append(t / fl)
                per[label]["current_over_this"].append(now / t)
        for label, rev in baselines.items():
            out[label] = {"rev": rev, "rounds": rounds, **per[label]}
        return out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
