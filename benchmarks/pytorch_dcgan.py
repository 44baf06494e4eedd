"""The peer every benchmark here is measured against: the DCGAN of pytorch/examples
(dcgan/main.py) at 64x64 (the only size its networks are built for; 32 px drops one block from
each network), written out from its recipe:
ConvTranspose/BatchNorm/ReLU generator, Conv/BatchNorm/LeakyReLU(0.2) discriminator, N(0, 0.02)
weights (BatchNorm scale N(1, 0.02)), BCE on sigmoid outputs with labels 1 and 0, Adam(2e-4,
beta1 0.5) for both, one discriminator update on a real and a fake batch, then one generator
update on the same fake batch. Tuning, as an engineer would on a CPU: `channels_last` memory, and
`bfloat16` autocast of the forward passes (losses stay float32) where the CPU has bfloat16
instructions (elsewhere it is emulated and far slower).

    python benchmarks/pytorch_dcgan.py --data DATA --minutes 4 --seed 0 --samples out.npy \
        [--width 64 --batch-size 64 --latent-dim 100]

trains on DATA (anything `ml5-dcgan train` reads, decoded by ml5-dcgan's own loader so both see
the same pixels) for that much training time and saves uint8 samples from the generator in
inference mode, as an exported model is used. --width, --batch-size and --latent-dim change the
example's recipe (e.g. to ml5-dcgan's 32 / 32 / 128, so that a comparison is of the trainers).
Needs torch (pip install torch==2.13.0).
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

SIZE = 64
BATCH, LATENT, WIDTH = 64, 100, 64  # the example's defaults: --batchSize, --nz, --ngf/--ndf


def _up(inputs: int, outputs: int, stride: int = 2, padding: int = 1) -> list[nn.Module]:
    return [nn.ConvTranspose2d(inputs, outputs, 4, stride, padding, bias=False),
            nn.BatchNorm2d(outputs), nn.ReLU(True)]


def _down(inputs: int, outputs: int) -> list[nn.Module]:
    return [nn.Conv2d(inputs, outputs, 4, 2, 1, bias=False), nn.BatchNorm2d(outputs),
            nn.LeakyReLU(0.2, True)]


def _init(module: nn.Module) -> None:
    if isinstance(module, nn.Conv2d | nn.ConvTranspose2d):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


@dataclass
class Peer:
    generator: nn.Module
    step: Callable[[torch.Tensor], None]  # one training step on a float batch (N, 3, 64, 64)
    latent_dim: int


def build(latent_dim: int = LATENT, width: int = WIDTH, size: int = SIZE, *,
          channels_last: bool = False, bfloat16: bool = False) -> Peer:
    """The example's networks at 64 px; at 32 px one block fewer in each (4x4 -> 32x32), as the
    DCGAN ports to 32-pixel data do, the example itself building 64 px only."""
    torch.set_num_threads(os.cpu_count() or 1)
    blocks = {32: 3, 64: 4}[size]
    channels = [width * 2**i for i in reversed(range(blocks))]  # e.g. 8w, 4w, 2w, w
    ups = [layer for a, b in itertools.pairwise(channels) for layer in _up(a, b)]
    generator = nn.Sequential(*_up(latent_dim, channels[0], 1, 0), *ups,
                              nn.ConvTranspose2d(width, 3, 4, 2, 1, bias=False), nn.Tanh())
    rising = channels[::-1]
    downs = [layer for a, b in itertools.pairwise(rising) for layer in _down(a, b)]
    discriminator = nn.Sequential(
        nn.Conv2d(3, width, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True), *downs,
        nn.Conv2d(channels[0], 1, 4, 1, 0, bias=False), nn.Sigmoid())
    generator.apply(_init)
    discriminator.apply(_init)
    criterion = nn.BCELoss()
    g_optimizer = torch.optim.Adam(generator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    d_optimizer = torch.optim.Adam(discriminator.parameters(), lr=2e-4, betas=(0.5, 0.999))
    autocast: Callable[[], contextlib.AbstractContextManager] = contextlib.nullcontext
    if channels_last:
        generator = generator.to(memory_format=torch.channels_last)
        discriminator = discriminator.to(memory_format=torch.channels_last)
    if bfloat16:
        def autocast() -> contextlib.AbstractContextManager:
            return torch.autocast("cpu", dtype=torch.bfloat16)

    def judge(images: torch.Tensor) -> torch.Tensor:
        with autocast():
            return discriminator(images).view(-1).float()

    def step(real: torch.Tensor) -> None:
        if channels_last:
            real = real.contiguous(memory_format=torch.channels_last)
        ones, zeros = torch.ones(len(real)), torch.zeros(len(real))
        discriminator.zero_grad()
        criterion(judge(real), ones).backward()
        with autocast():
            fake = generator(torch.randn(len(real), latent_dim, 1, 1))
        criterion(judge(fake.detach()), zeros).backward()
        d_optimizer.step()
        generator.zero_grad()
        criterion(judge(fake), ones).backward()
        g_optimizer.step()

    return Peer(generator, step, latent_dim)


def train_for(images: np.ndarray, minutes: float, seed: int, batch_size: int = BATCH, **options
              ) -> tuple[Peer, int, float]:
    """Train on uint8 images (N, size, size, 3), shuffled each epoch, until `minutes` of training
    have passed; returns the peer, its steps and its images/s. `options`: build's."""
    torch.manual_seed(seed)
    peer = build(size=images.shape[1], **options)
    pixels = torch.from_numpy(np.ascontiguousarray(images)).permute(0, 3, 1, 2)
    generator = torch.Generator().manual_seed(seed)
    steps, started = 0, time.monotonic()
    deadline = started + 60 * minutes
    while time.monotonic() < deadline:
        order = torch.randperm(len(pixels), generator=generator)
        for first in range(0, len(order) - batch_size + 1, batch_size):  # drop_last, as ours
            peer.step(pixels[order[first:first + batch_size]].float() / 127.5 - 1.0)
            steps += 1
            if time.monotonic() >= deadline:
                break
    return peer, steps, steps * batch_size / (time.monotonic() - started)


def samples(peer: Peer, count: int, seed: int) -> np.ndarray:
    """uint8 (count, size, size, 3) from the generator in inference mode (BatchNorm statistics)."""
    peer.generator.eval()
    latents = torch.randn(count, peer.latent_dim, 1, 1, generator=torch.Generator().manual_seed(
        seed))
    with torch.no_grad():
        images = torch.cat([peer.generator(latents[i:i + 250]) for i in range(0, count, 250)])
    return ((images.permute(0, 2, 3, 1).float().numpy() + 1) * 127.5).round().clip(
        0, 255).astype(np.uint8)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", required=True)
    parser.add_argument("--minutes", type=float, required=True)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, choices=(32, 64), default=SIZE)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--samples", required=True, help="where to save the .npy of samples")
    parser.add_argument("--width", type=int, default=WIDTH)
    parser.add_argument("--batch-size", type=int, default=BATCH)
    parser.add_argument("--latent-dim", type=int, default=LATENT)
    args = parser.parse_args()
    from ml5_dcgan_tools.data import load_images

    images = load_images(args.data, args.size, progress=False).images
    peer, steps, rate = train_for(images, args.minutes, args.seed, args.batch_size,
                                  width=args.width, latent_dim=args.latent_dim)
    np.save(args.samples, samples(peer, args.count, args.seed + 1))
    print(json.dumps({"steps": steps, "images_per_sec": round(rate, 1)}))


if __name__ == "__main__":
    main()
