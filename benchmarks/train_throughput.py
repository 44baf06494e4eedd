"""Training images per second of the default ml5-sized DCGAN (64x64, latent 128, width 64, batch
64), next to the classic PyTorch DCGAN (pytorch/examples dcgan) of the same size, on this machine.

    python benchmarks/train_throughput.py [--steps 20] [--variants]

PyTorch is only needed here (pip install torch); each framework runs in its own process so their
thread pools do not compete. --variants also times --xla.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

SIZE, LATENT, WIDTH, BATCH = 64, 128, 64, 64


def keras_step_rate(steps: int, mixed_precision: bool, xla: bool) -> float:
    import numpy as np
    import tensorflow as tf

    from ml5_dcgan_tools.training.config import TrainConfig
    from ml5_dcgan_tools.training.gan import Gan, make_train_step
    from ml5_dcgan_tools.training.hardware import dtype_policy

    config = TrainConfig(data="", size=SIZE, latent_dim=LATENT, width=WIDTH, batch_size=BATCH,
                         mixed_precision=mixed_precision, xla=xla)
    with dtype_policy(mixed_precision):
        gan = Gan.build(config, loss_scaling=False)
        step = make_train_step(gan, config, tf.distribute.get_strategy())
        batch = tf.constant(np.random.default_rng(0).integers(0, 256, (BATCH, SIZE, SIZE, 3),
                                                              dtype=np.uint8))
        return _time(lambda i: step(batch, tf.constant(i, tf.int64))["d_loss"].numpy(), steps)


def torch_step_rate(steps: int) -> float:
    """The training step of pytorch/examples/dcgan/main.py, unchanged."""
    import torch
    from torch import nn

    torch.set_num_threads(os.cpu_count() or 1)
    w = WIDTH  # ngf = ndf

    def up(inputs: int, outputs: int, stride: int = 2, padding: int = 1) -> list:
        return [nn.ConvTranspose2d(inputs, outputs, 4, stride, padding, bias=False),
                nn.BatchNorm2d(outputs), nn.ReLU(True)]

    def down(inputs: int, outputs: int) -> list:
        return [nn.Conv2d(inputs, outputs, 4, 2, 1, bias=False), nn.BatchNorm2d(outputs),
                nn.LeakyReLU(0.2, True)]

    generator = nn.Sequential(
        *up(LATENT, w * 8, 1, 0), *up(w * 8, w * 4), *up(w * 4, w * 2), *up(w * 2, w),
        nn.ConvTranspose2d(w, 3, 4, 2, 1, bias=False), nn.Tanh())
    discriminator = nn.Sequential(
        nn.Conv2d(3, w, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
        *down(w, w * 2), *down(w * 2, w * 4), *down(w * 4, w * 8),
        nn.Conv2d(w * 8, 1, 4, 1, 0, bias=False), nn.Sigmoid())
    criterion = nn.BCELoss()
    g_optimizer = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    real = torch.rand(BATCH, 3, SIZE, SIZE) * 2 - 1
    ones, zeros = torch.ones(BATCH), torch.zeros(BATCH)

    def step(_: int) -> None:
        discriminator.zero_grad()
        error_real = criterion(discriminator(real).view(-1), ones)
        error_real.backward()
        fake = generator(torch.randn(BATCH, LATENT, 1, 1))
        error_fake = criterion(discriminator(fake.detach()).view(-1), zeros)
        error_fake.backward()
        d_optimizer.step()
        generator.zero_grad()
        criterion(discriminator(fake).view(-1), ones).backward()
        g_optimizer.step()

    return _time(step, steps)


def _time(step, steps: int) -> float:
    for i in range(3):  # warm-up: tracing, allocation
        step(i)
    started = time.perf_counter()
    for i in range(steps):
        step(3 + i)
    return steps * BATCH / (time.perf_counter() - started)


def _child(name: str, steps: int) -> float:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    output = subprocess.run([sys.executable, __file__, "--child", name, "--steps", str(steps)],
                            env=env, capture_output=True, text=True, check=True).stdout
    return json.loads(output.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--variants", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    runs = {"keras float32": lambda: keras_step_rate(args.steps, False, False),
            "keras --mixed-precision": lambda: keras_step_rate(args.steps, True, False),
            "keras float32 --xla": lambda: keras_step_rate(args.steps, False, True),
            "pytorch float32 (examples)": lambda: torch_step_rate(args.steps)}
    if args.child == "default":
        from ml5_dcgan_tools.training.hardware import resolve_mixed_precision

        print(json.dumps(resolve_mixed_precision(None)))
        return
    if args.child:
        print(json.dumps(runs[args.child]()))
        return
    names = [n for n in runs if args.variants or "--xla" not in n]
    print(f"DCGAN {SIZE}x{SIZE}, latent {LATENT}, width {WIDTH}, batch {BATCH}, {args.steps} "
          f"timed steps, {os.cpu_count()} CPU cores; ml5-dcgan train's default here: "
          f"{'--mixed-precision' if _child('default', 0) else 'float32'}")
    for name in names:
        try:
            print(f"  {name:28s} {_child(name, args.steps):8.1f} images/s", flush=True)
        except subprocess.CalledProcessError as failure:
            print(f"  {name:28s} failed: {failure.stderr.strip().splitlines()[-1]}"
                  + (" (pip install torch==2.13.0)" if "torch" in failure.stderr else ""))


if __name__ == "__main__":
    main()
