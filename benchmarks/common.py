"""What every benchmark part shares: sizes per mode, timing, spreads, verdicts, the machine.

A ratio is measured in rounds: in each round its numerator and denominator are timed back to
back (interleaved), so a change of load between rounds hits both. A ratio is reported as the
median of its per-round values with their quartiles; its verdict is "within noise" when the
target lies between those quartiles, because then another run on the same machine can land on
either side of it.
"""

from __future__ import annotations

import contextlib
import datetime
import os
import platform
import shlex
import shutil
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
#: The reader's numbers (parts b, c, e), which the appendix reads.
READER_OUT = ROOT / "benchmarks" / "results.json"
#: The maintainers' numbers (parts a, d), which benchmarks/README.md discusses.
BOOK_OUT = ROOT / "benchmarks" / "results-book.json"
APPENDIX = "chapters/90_performance.ipynb"

#: key -> (target, sense); a ratio without a target is reported, never judged.
TARGETS: dict[str, tuple[float, str]] = {
    "a_book_overhead": (2.0, "<="),
    "b_step_over_matmul": (1.25, "<="),  # one BLAS thread
    "b_step_over_matmul_default_threads": (1.25, "<="),
    "c_nnbook_vs_tensorflow": (0.9, ">="),
    "d_incremental_rebuild": (1.2, "<="),
}

#: The environment variables that decide how many threads BLAS and TensorFlow use.
THREAD_VARS = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_NUM_THREADS",
    "OMP_NUM_THREADS",
    "TF_NUM_INTRAOP_THREADS",
    "TF_NUM_INTEROP_THREADS",
)

#: One thread for BLAS, OpenMP and TensorFlow, as the Makefile runs every notebook kernel.
ONE_THREAD_ENV = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "TF_NUM_INTRAOP_THREADS": "1",
    "TF_NUM_INTEROP_THREADS": "1",
}

# Sizes per mode. "full" is the measurement; "quick" (make bench-quick, seconds) and "tiny"
# (the unit test) only prove that the code runs: their numbers are not judged.
MODES: dict[str, dict[str, Any]] = {
    "full": {
        "sizes": [784, 1024, 1024, 10],
        "batch": 256,
        "rounds": 40,
        "number": 10,
        "baseline_rounds": 20,
        "tf_rounds": 15,
        "conv_shapes": [(4, 56, 56, 128, 128), (4, 14, 14, 512, 512)],
        "conv_rounds": 15,
        "a_repeats": 2,
        "d_repeats": 3,
    },
    "quick": {
        "sizes": [64, 128, 128, 10],
        "batch": 32,
        "rounds": 3,
        "number": 3,
        "baseline_rounds": 2,
        "tf_rounds": 2,
        "conv_shapes": [(1, 8, 8, 8, 8)],
        "conv_rounds": 2,
        "a_repeats": 1,
        "d_repeats": 1,
    },
    "tiny": {
        "sizes": [32, 64, 64, 10],
        "batch": 16,
        "rounds": 3,
        "number": 3,
        "baseline_rounds": 2,
        "tf_rounds": 2,
        "conv_shapes": [(1, 6, 6, 4, 4)],
        "conv_rounds": 2,
        "a_repeats": 1,
        "d_repeats": 1,
    },
}


def log(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


def venv_bin(name: str) -> str:
    """An executable of the running environment (.venv/bin/NAME); refuses to guess otherwise."""
    here = Path(sys.executable).parent / name
    if here.exists():
        return str(here)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"{name} is not installed next to {sys.executable} nor on PATH")
    return found


def median(xs: list[float]) -> float:
    return float(statistics.median(xs))


def spread(xs: list[float]) -> dict[str, float]:
    """Median, quartiles and extremes of repeated measurements."""
    xs = sorted(float(x) for x in xs)
    if len(xs) >= 2:
        q1, _, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    else:
        q1 = q3 = xs[0]
    return {"median": median(xs), "q1": q1, "q3": q3, "min": xs[0], "max": xs[-1], "n": len(xs)}


def block(fn: Callable[[], Any], number: int) -> float:
    """Seconds per call of ``fn``, over ``number`` calls in a row."""
    t0 = time.perf_counter()
    for _ in range(number):
        fn()
    return (time.perf_counter() - t0) / number


def ratio_entry(key: str, per_round: list[float], mode: str, **extra: Any) -> dict[str, Any]:
    """A ratio with its spread and verdict: met, NOT met, within noise, or not judged."""
    s = spread(per_round)
    entry: dict[str, Any] = {"value": s["median"], "spread": s}
    if key in TARGETS:
        target, sense = TARGETS[key]
        met = s["median"] <= target if sense == "<=" else s["median"] >= target
        entry.update(target=target, sense=sense, met=met)
        if mode != "full":
            entry["verdict"] = "not judged (toy sizes)"
        elif s["q1"] <= target <= s["q3"]:
            entry["verdict"] = "within noise"
        else:
            entry["verdict"] = "met" if met else "NOT met"
    else:
        entry["verdict"] = "no target"
    entry.update(extra)
    return entry


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
    from importlib.metadata import PackageNotFoundError, version

    versions = {"python": platform.python_version(), "numpy": np.__version__}
    for key, dists in {
        "tensorflow": ("tensorflow-cpu", "tensorflow"),
        "keras": ("keras",),
        "jupyter_book": ("jupyter-book",),
        "nbval": ("nbval",),
        "xdist": ("pytest-xdist",),
    }.items():
        for dist in dists:
            with contextlib.suppress(PackageNotFoundError):
                versions[key] = version(dist)
                break
    return {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "memory_gib": mem_gib,
        "os": f"{platform.system()} {platform.release()}",
        "blas": blas,
        "versions": versions,
        "env": {k: os.environ[k] for k in THREAD_VARS if k in os.environ},
        "date": datetime.date.today().isoformat(),
    }


def load_average() -> float | None:
    try:
        return round(os.getloadavg()[0], 2)
    except OSError:  # pragma: no cover - not on Linux
        return None


def rel(p: Path) -> str:
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p)


def command_line(argv: list[str]) -> str:
    """The command that was run, as a shell line relative to the repository root."""
    exe = Path(sys.executable)
    shown = rel(exe) if exe.is_relative_to(ROOT) else str(exe)
    env = " ".join(f"{k}={os.environ[k]}" for k in THREAD_VARS if k in os.environ)
    line = shlex.join([shown, "benchmarks/bench.py", *argv])
    return f"{env} {line}" if env else line


def round_floats(obj: Any) -> Any:
    if isinstance(obj, float):
        return float(f"{obj:.6g}")
    if isinstance(obj, dict):
        return {k: round_floats(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [round_floats(v) for v in obj]
    return obj
