"""Parts c and e: nnbook against TensorFlow, each in one process, interleaved in rounds.

Part c times the training step of part b four ways in one worker process: nnbook, a
hand-written step compiled by ``tf.function`` (gradient tape, ``assign_sub``), the same with
XLA (``jit_compile=True``) and Keras' ``train_on_batch``; and two matrix-product floors, NumPy's
(OpenBLAS) and TensorFlow's own (Eigen), the same eight products in a ``tf.function``. The
ratio is nnbook's throughput over TensorFlow's, round by round.

Part e times one 3×3 SAME convolution forward (no bias), ``nnbook.conv.conv2d`` (im2col and one
matrix product) against ``tf.nn.conv2d`` in a ``tf.function``, at a large and a small feature
map of a VGG-like network.

Each worker runs in a subprocess under one TensorFlow configuration: "book" (oneDNN off and
deterministic ops, as every chapter imports TensorFlow), "default" (TensorFlow as installed)
or "one_thread" ("book" with one thread for OpenBLAS and TensorFlow, as the Makefile runs the
notebooks).
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from common import ONE_THREAD_ENV, ROOT, block, spread
from step import matmul_floor

BENCH = Path(__file__).resolve().parent / "bench.py"


def _import_tf(config: str) -> Any:
    if config in ("book", "one_thread"):
        from nnbook import tf_twins

        return tf_twins.import_tensorflow()
    os.environ.pop("TF_ENABLE_ONEDNN_OPTS", None)
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    import tensorflow as tf

    return tf


def _tf_matmul_floor(tf: Any, sizes: list[int], batch: int) -> Callable[[], Any]:
    """TensorFlow's eight products of one step (the same shapes as step.matmul_floor)."""
    rng = np.random.default_rng(0)
    acts = [tf.constant(rng.standard_normal((batch, s)), tf.float32) for s in sizes]
    Ws = [
        tf.constant(rng.standard_normal((a, b)), tf.float32) for a, b in itertools.pairwise(sizes)
    ]
    L = len(Ws)

    @tf.function
    def products(acts: list[Any], Ws: list[Any]) -> list[Any]:
        outs = [tf.matmul(acts[i], Ws[i]) for i in range(L)]  # forward
        for i in range(L):  # backward: aᵀ δ for every layer, δ Wᵀ for all but the first
            outs.append(tf.matmul(acts[i], acts[i + 1], transpose_a=True))
            if i > 0:
                outs.append(tf.matmul(acts[i + 1], Ws[i], transpose_b=True))
        return outs

    return lambda: products(acts, Ws)


def tf_worker(config: str, sizes: list[int], batch: int, rounds: int, number: int) -> dict:
    """Part c in this process."""
    tf = _import_tf(config)
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
        "numpy_matmuls": matmul_floor(sizes, batch, rng),
        "tf_matmuls": _tf_matmul_floor(tf, sizes, batch),
    }
    for fn in variants.values():  # warm-up (tracing, XLA compilation)
        for _ in range(3):
            fn()
    times: dict[str, list[float]] = {k: [] for k in variants}
    for _ in range(rounds):
        for k, fn in variants.items():
            time.sleep(0.05)  # let TensorFlow's spinning pool threads go idle first
            times[k].append(block(fn, number))
    nn = times["nnbook"]
    return {
        "config": config,
        "onednn": os.environ.get("TF_ENABLE_ONEDNN_OPTS", "default (on)"),
        "deterministic_ops": config != "default",
        "threads": {k: os.environ.get(k) for k in ONE_THREAD_ENV},
        "first_step_loss": first,
        "step_ms": {k: spread([t * 1e3 for t in v]) for k, v in times.items()},
        # nnbook's throughput / this variant's, round by round (this time / nnbook's time)
        "nnbook_throughput_ratio": {
            k: [t / n for t, n in zip(v, nn, strict=True)]
            for k, v in times.items()
            if k != "nnbook"
        },
        "tf_floor_over_numpy_floor": [
            t / n for t, n in zip(times["tf_matmuls"], times["numpy_matmuls"], strict=True)
        ],
    }


def conv_worker(config: str, shapes: list[list[int]], rounds: int) -> dict:
    """Part e in this process."""
    tf = _import_tf(config)
    from nnbook import conv

    out = {}
    for n, h, w, c_in, c_out in shapes:
        rng = np.random.default_rng(0)
        x = rng.standard_normal((n, h, w, c_in)).astype(np.float32)
        W = (rng.standard_normal((3, 3, c_in, c_out)) * 0.05).astype(np.float32)
        xt, Wt = tf.constant(x), tf.constant(W)
        tf_conv = tf.function(lambda a, k: tf.nn.conv2d(a, k, strides=1, padding="SAME"))
        ours = conv.conv2d(x, W, 1, "SAME")
        theirs = tf_conv(xt, Wt).numpy()
        number = 3
        fns = {
            "nnbook": lambda x=x, W=W: conv.conv2d(x, W, 1, "SAME"),
            "tf_conv2d": lambda xt=xt, Wt=Wt, f=tf_conv: f(xt, Wt).numpy(),
        }
        for fn in fns.values():
            fn()
        times: dict[str, list[float]] = {k: [] for k in fns}
        for _ in range(rounds):
            for k, fn in fns.items():
                time.sleep(0.02)
                times[k].append(block(fn, number))
        flops = 2.0 * n * h * w * 9 * c_in * c_out
        out[f"{n}x{h}x{w}x{c_in}->{c_out}"] = {
            "shape": [n, h, w, c_in, c_out],
            "gflop": flops / 1e9,
            "max_abs_diff": float(np.max(np.abs(ours - theirs))),
            "ms": {k: spread([t * 1e3 for t in v]) for k, v in times.items()},
            # nnbook's throughput / TensorFlow's, round by round
            "nnbook_throughput_ratio": [
                t / s for t, s in zip(times["tf_conv2d"], times["nnbook"], strict=True)
            ],
        }
    return {"config": config, "shapes": out}


def worker(config: str, step_args: list | None, conv_args: list | None) -> dict:
    """Parts c and e in this process (``bench.py --worker CONFIG``): one TensorFlow import."""
    out: dict[str, Any] = {}
    if step_args is not None:
        out["step"] = tf_worker(config, *step_args)
    if conv_args is not None:
        out["conv"] = conv_worker(config, *conv_args)
    return out


def _run_worker(config: str, step_args: list | None, conv_args: list | None) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    if config == "one_thread":
        env.update(ONE_THREAD_ENV)
    cmd = [sys.executable, str(BENCH), "--worker", config, "--worker-args"]
    args = json.dumps([step_args, conv_args])
    out = subprocess.run([*cmd, args], capture_output=True, text=True, env=env, cwd=ROOT)
    if out.returncode != 0:
        raise RuntimeError(f"TensorFlow worker ({config}) failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def compare(
    cfg: dict[str, Any], configs: list[str], step: bool, conv: bool
) -> tuple[dict | None, dict | None]:
    """Parts c and e over ``configs`` (conv: all but "default"); returns (part c, part e).

    Part c's headline is the TensorFlow variant nnbook does worst against (lowest median
    ratio) with the machine's default threads.
    """
    sizes, batch = cfg["sizes"], cfg["batch"]
    step_args = [sizes, batch, cfg["tf_rounds"], cfg["number"]] if step else None
    conv_args = [[list(s) for s in cfg["conv_shapes"]], cfg["conv_rounds"]] if conv else None
    raw = {c: _run_worker(c, step_args, conv_args if c != "default" else None) for c in configs}
    part_e = {"configs": {c: r["conv"] for c, r in raw.items() if "conv" in r}} if conv else None
    if not step:
        return None, part_e
    results = {c: r["step"] for c, r in raw.items()}
    judged = [c for c in configs if c != "one_thread"] or configs
    _, config, variant = min(
        (spread(r)["median"], c, k)
        for c in judged
        for k, r in results[c]["nnbook_throughput_ratio"].items()
        if k in ("tf_function", "tf_function_xla", "keras_train_on_batch")
    )
    part_c = {
        "sizes": sizes,
        "batch": batch,
        "configs": results,
        "ratio_per_round": results[config]["nnbook_throughput_ratio"][variant],
        "ratio_against": f"{variant} ({config} configuration)",
    }
    return part_c, part_e
