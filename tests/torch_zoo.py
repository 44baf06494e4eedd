"""PyTorch-written generator files for the tests: pytorch/examples' DCGAN generator, shaped by
size, nz, ngf and nc, with trained-looking BatchNorm statistics. Needs torch (the dev extra;
never a runtime dependency)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
from torch import nn


class Generator(nn.Module):
    """pytorch/examples' dcgan ``Generator``: its layers in ``self.main``."""

    def __init__(self, layers: list[nn.Module]) -> None:
        super().__init__()
        self.main = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.main(z)


def torch_generator(size: int = 32, nz: int = 100, ngf: int = 8, nc: int = 3,
                    bias: bool = False, seed: int = 0) -> Generator:
    """The generator for ``size`` px (4 doubled per stride-2 layer), in eval mode, with random
    running statistics (some variances small, so BatchNorm's epsilon matters)."""
    torch.manual_seed(seed)
    doublings = int(math.log2(size // 4))
    widths = [ngf * min(2 ** level, 8) for level in range(doublings - 1, -1, -1)]
    layers: list[nn.Module] = [nn.ConvTranspose2d(nz, widths[0], 4, 1, 0, bias=bias)]
    for inner, outer in zip(widths, [*widths[1:], nc], strict=True):
        layers += [nn.BatchNorm2d(inner), nn.ReLU(True)]
        layers.append(nn.ConvTranspose2d(inner, outer, 4, 2, 1, bias=bias))
    layers.append(nn.Tanh())
    net = Generator(layers)
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, nn.BatchNorm2d):
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_(0, 0.2)
                module.running_mean.normal_(0, 0.3)
                module.running_var.uniform_(0.01, 2.0)
                module.num_batches_tracked.fill_(1000)
            elif isinstance(module, nn.ConvTranspose2d):
                module.weight.normal_(0, 0.1)
                if module.bias is not None:
                    module.bias.normal_(0, 0.1)
    return net.eval()


def save(net: nn.Module, path: Path, how: str = "state_dict") -> Path:
    """``net`` as a file: its state_dict, nn.DataParallel's (``module.`` names), safetensors,
    or the whole module."""
    if how == "state_dict":
        torch.save(net.state_dict(), path)
    elif how == "dataparallel":
        torch.save(nn.DataParallel(net).state_dict(), path)
    elif how == "safetensors":
        from safetensors.torch import save_file

        save_file(net.state_dict(), str(path))
    elif how == "module":
        torch.save(net, path)
    else:
        raise ValueError(how)
    return path


def torch_outputs(net: nn.Module, latents: np.ndarray) -> np.ndarray:
    """PyTorch's own images [N, nc, H, W] for ml5's latents [N, nz] (as [N, nz, 1, 1])."""
    with torch.no_grad():
        return net(torch.from_numpy(latents).reshape(*latents.shape, 1, 1)).numpy()


def write_reference(net: nn.Module, nz: int, path: Path, count: int = 4) -> Path:
    """The .npz the docs tell PyTorch users to write, in the docs' three lines."""
    z = torch.randn(count, nz, 1, 1)
    with torch.no_grad():
        images = net.eval()(z)
    np.savez(path, latents=z.numpy(), outputs=images.numpy())
    return path
