"""Training images per second of the default ml5-sized DCGAN (64x64, latent 128, width 64, batch
64), next to the classic PyTorch DCGAN (pytorch/examples dcgan) of the same size, on this machine:
as written (float32) and as an engineer would tune it on a CPU (channels-last, plus bfloat16
autocast where the CPU has bfloat16 instructions).

    python benchmarks/train_throughput.py [--steps 20] [--repeat 2] [--variants]
                                          [--end-to-end-images 2048] [--epochs 6] [--peer-minutes 2]

Bare steps: every variant runs in its own process so thread pools do not compete, and the rounds
are interleaved (A B C, A B C, ...) so load from other programs hits all of them alike; the median
of --repeat rounds is shown. End to end: a real `ml5-dcgan train` over a generated folder of JPEGs
(resized down to 64 px), its rate taken from metrics.jsonl from the first logged step to the last,
so it includes the input pipeline, the log lines and the per-epoch samples and checkpoints at
their default rates (not start-up, the first decode, or the quality evaluations, turned off here as
the peer has none); and each PyTorch peer's own loop over the same folder's decoded images for
--peer-minutes. The last line compares ours end to end with the faster float32 PyTorch peer, bare
step or own loop, all from this one run.
PyTorch is only needed here (pip install torch). --variants also times our --xla (bare and end
to end) and --mixed-precision (bfloat16 on a CPU; bare step only), which are not the default.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ml5_dcgan_tools import use_fast_cpu_kernels

use_fast_cpu_kernels()  # before TensorFlow is imported, as the CLI does

SIZE, LATENT, WIDTH, BATCH = 64, 128, 64, 64


def keras_step_rate(steps: int, mixed_precision: bool, xla: bool) -> float:
    import numpy as np
    import tensorflow as tf

    from ml5_dcgan_tools.model import dtype_policy
    from ml5_dcgan_tools.training.config import TrainConfig
    from ml5_dcgan_tools.training.gan import Gan, make_train_step

    config = TrainConfig(data="", size=SIZE, latent_dim=LATENT, width=WIDTH, batch_size=BATCH,
                         ema=False, mixed_precision=mixed_precision, xla=xla)  # as the peer
    with dtype_policy(mixed_precision):
        gan = Gan.build(config, loss_scaling=False)
        step = make_train_step(gan, config, tf.distribute.get_strategy())
        batch = tf.constant(np.random.default_rng(0).integers(0, 256, (BATCH, SIZE, SIZE, 3),
                                                              dtype=np.uint8))
        return _time(lambda i: step(batch, tf.constant(i, tf.int64))["d_loss"].numpy(), steps)


def torch_step_rate(steps: int, **tuning: bool) -> float:
    """The pytorch/examples DCGAN step (pytorch_dcgan.py) at our model's size; `tuning`:
    channels_last, bfloat16."""
    import torch
    from pytorch_dcgan import build

    peer = build(LATENT, WIDTH, **tuning)
    real = torch.rand(BATCH, 3, SIZE, SIZE) * 2 - 1
    return _time(lambda _: peer.step(real), steps)


def _time(step, steps: int) -> float:
    for i in range(3):  # warm-up: tracing, allocation
        step(i)
    started = time.perf_counter()
    for i in range(steps):
        step(3 + i)
    return steps * BATCH / (time.perf_counter() - started)


def _child(name: str, args: argparse.Namespace) -> float:
    """Run one variant in a fresh process, so thread pools and allocators do not compete."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    output = subprocess.run([sys.executable, __file__, "--child", name, "--steps", str(args.steps),
                             "--end-to-end-images", str(args.end_to_end_images),
                             "--peer-minutes", str(args.peer_minutes)],
                            env=env, capture_output=True, text=True, check=True,
                            timeout=args.child_timeout).stdout
    return json.loads(output.strip().splitlines()[-1])


def _folder(images: int) -> Path:
    """A folder of generated 80-px JPEGs (made once, kept in the temporary directory)."""
    from train_memory import make_folder

    folder = Path(tempfile.gettempdir()) / f"ml5-dcgan-throughput-{images}"
    make_folder(folder, images, 80)
    return folder


def end_to_end_rate(images: int, epochs: int, xla: bool = False) -> float:
    """images/s of a real `ml5-dcgan train` over a folder, from its metrics.jsonl."""
    folder = _folder(images)
    with tempfile.TemporaryDirectory(prefix="ml5-dcgan-throughput-") as scratch:
        out = Path(scratch) / "run"
        settings = Path(scratch) / "settings.toml"
        settings.write_text(f"mixed_precision = false\nxla = {str(xla).lower()}\n")
        subprocess.run([sys.executable, "-m", "ml5_dcgan_tools", "train", str(folder), "--out",
                        str(out), "--size", str(SIZE), "--latent-dim", str(LATENT), "--width",
                        str(WIDTH), "--batch-size", str(BATCH), "--epochs", str(epochs),
                        "--no-ema", "--eval-every", "0", "--config", str(settings)],
                       env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}, check=True,
                       capture_output=True)
        records = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    first, last = records[0], records[-1]
    return (last["step"] - first["step"]) * BATCH / (last["time"] - first["time"])


def torch_end_to_end_rate(images: int, minutes: float, **tuning: bool) -> float:
    """images/s of the peer's own training loop (shuffled batches from the decoded folder, the
    first step included) at our model's size, for `minutes`."""
    from pytorch_dcgan import train_for

    from ml5_dcgan_tools.data import load_images

    pixels = load_images(str(_folder(images)), SIZE, progress=False).images
    return train_for(pixels, minutes, seed=0, latent_dim=LATENT, width=WIDTH, **tuning)[2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--variants", action="store_true")
    parser.add_argument("--end-to-end-images", type=int, default=2048,
                        help="folder size for the real train runs; 0 skips them")
    parser.add_argument("--epochs", type=int, default=6,
                        help="of the real train run: enough that per-epoch pauses come at their "
                             "usual rate (one sample grid and checkpoint per 100 steps)")
    parser.add_argument("--peer-minutes", type=float, default=2.0,
                        help="training time of each PyTorch end-to-end run")
    parser.add_argument("--child-timeout", type=float, default=900,
                        help="seconds before a variant is given up (bfloat16 where the CPU "
                             "only emulates it takes hours)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    peers = {"pytorch float32 (examples)": {},
             "pytorch float32+channels-last": {"channels_last": True},
             "pytorch bf16+channels-last": {"channels_last": True, "bfloat16": True}}
    runs = {"keras float32": lambda: keras_step_rate(args.steps, False, False),
            "keras --mixed-precision": lambda: keras_step_rate(args.steps, True, False),
            "keras float32 --xla": lambda: keras_step_rate(args.steps, False, True),
            **{name: functools.partial(torch_step_rate, args.steps, **tuning)
               for name, tuning in peers.items()},
            **{f"{name} end to end": functools.partial(
                torch_end_to_end_rate, args.end_to_end_images, args.peer_minutes, **tuning)
               for name, tuning in peers.items()}}
    if args.child:
        print(json.dumps(runs[args.child]()))
        return
    print(f"DCGAN {SIZE}x{SIZE}, latent {LATENT}, width {WIDTH}, batch {BATCH}, {args.steps} "
          f"timed steps, median of {args.repeat} interleaved rounds, {os.cpu_count()} CPU cores; "
          "ml5-dcgan train's default: float32")
    names = [n for n in runs if not n.endswith("end to end")
             and (args.variants or not n.startswith("keras") or n == "keras float32")]
    medians, shown = _rounds(names, args.repeat, args)
    for name in names:
        print(f"  {name:44s} {shown[name]}")
    if args.end_to_end_images:
        print(f"end to end over {args.end_to_end_images} JPEGs: `ml5-dcgan train` for "
              f"{args.epochs} epochs (first logged step to last), each PyTorch peer's own loop "
              f"for {args.peer_minutes:g} minutes:", flush=True)
        ours = {}
        for xla in (False, True) if args.variants else (False,):
            ours[xla] = end_to_end_rate(args.end_to_end_images, args.epochs, xla)
            label = "float32 xla" if xla else "float32"
            print(f"  ml5-dcgan train {label:28s} {ours[xla]:8.1f} images/s", flush=True)
        ends = [f"{name} end to end" for name in peers]
        end_medians, end_shown = _rounds(ends, 1, args)
        for name in ends:
            print(f"  {name:44s} {end_shown[name]}", flush=True)
        float32_peers = {name: rate for name, rate in {**medians, **end_medians}.items()
                         if name.startswith("pytorch float32")}
        if float32_peers:
            fastest = max(float32_peers, key=float32_peers.get)
            lead = ours[False] / float32_peers[fastest]
            print(f"ml5-dcgan train float32 end to end: {lead:.2f}x the fastest float32 PyTorch "
                  f"peer ({fastest}, {float32_peers[fastest]:.1f} images/s)")


def _rounds(names: list[str], repeat: int, args: argparse.Namespace
            ) -> tuple[dict[str, float], dict[str, str]]:
    """Each variant `repeat` times in interleaved rounds (A B C, A B C): load from other programs
    hits all alike. Returns the median images/s of those that ran, and for every variant that
    median with the rounds, or why it failed."""
    rates: dict[str, list[float]] = {name: [] for name in names}
    failures: dict[str, str] = {}
    for _ in range(repeat):
        for name in names:
            if name in failures:
                continue
            try:
                rates[name].append(_child(name, args))
                print(f"    round: {name} {rates[name][-1]:.1f} images/s", flush=True)
            except subprocess.TimeoutExpired:
                failures[name] = f"not done after {args.child_timeout:.0f} s"
            except subprocess.CalledProcessError as failure:
                failures[name] = failure.stderr.strip().splitlines()[-1] + (
                    " (pip install torch==2.13.0)" if "torch" in failure.stderr else "")
    medians = {name: statistics.median(rates[name]) for name in names if name not in failures}
    shown = {name: f"failed: {failures[name]}" for name in failures}
    for name, median in medians.items():
        rounds = ", ".join(f"{r:.0f}" for r in rates[name])
        shown[name] = f"{median:8.1f} images/s  ({rounds})"
    return medians, shown


if __name__ == "__main__":
    main()
