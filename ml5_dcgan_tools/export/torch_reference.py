"""``--torch-reference``: PyTorch's own outputs, to prove the bundle is the PyTorch generator.

The file is an ``.npz`` written next to the model in PyTorch::

    z = torch.randn(8, nz, 1, 1)
    with torch.no_grad(): images = netG.eval()(z)
    numpy.savez("reference.npz", latents=z.numpy(), outputs=images.numpy())

PyTorch's ``[N, nz, 1, 1]`` standard normals are ml5's ``[N, nz]`` latents (the same numbers);
its ``[N, nc, H, W]`` images are put in the bundle's layout (a gray channel repeated three times
for ml5, channels last for ``--target tfjs``) before the comparison. It is read with
``allow_pickle=False``: an npz is only arrays.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from ..errors import UsageError, first_line
from ..reference import Reference

MAX_REFERENCE_BYTES = 256 * 2**20
MAX_LATENTS = 64
WRITE_IT = ("write it in PyTorch: numpy.savez('reference.npz', latents=z.numpy(), "
            "outputs=netG.eval()(z).detach().numpy()) with z = torch.randn(8, nz, 1, 1)")


def read_torch_reference(path: Path, latent_dim: int, bundle_shape: tuple[int, ...]
                         ) -> Reference:
    """Latents ``[N, latent_dim]`` and PyTorch's outputs in the bundle's output layout
    ``bundle_shape`` (without the batch axis). Raises UsageError when they cannot be compared."""
    path = Path(path)
    if not path.is_file():
        raise UsageError("no such file", where=str(path), fix=WRITE_IT)
    if path.stat().st_size > MAX_REFERENCE_BYTES:
        raise UsageError("the PyTorch reference is too large", where=str(path),
                         fix=f"keep at most {MAX_LATENTS} latents")
    try:
        with np.load(path, allow_pickle=False) as data:
            latents, outputs = data["latents"], data["outputs"]
    except (OSError, KeyError, ValueError, zipfile.BadZipFile) as error:
        raise UsageError(f"not a PyTorch reference (.npz with latents and outputs): "
                         f"{first_line(error)}", where=str(path), fix=WRITE_IT) from None
    if latents.ndim == 4 and latents.shape[2:] == (1, 1):
        latents = latents[:, :, 0, 0]
    count = len(latents)
    if latents.shape != (count, latent_dim) or not 0 < count <= MAX_LATENTS:
        raise UsageError(f"latents of shape {list(data_shape(latents))}, not [N, {latent_dim}, "
                         f"1, 1] or [N, {latent_dim}] with 1 <= N <= {MAX_LATENTS}",
                         where=str(path), fix=WRITE_IT)
    arranged = _in_layout(outputs, bundle_shape)
    if arranged is None or len(outputs) != count:
        raise UsageError(f"outputs of shape {list(data_shape(outputs))} do not match "
                         f"{count} images [nc, H, W] of the bundle's output "
                         f"{list(bundle_shape)}", where=str(path), fix=WRITE_IT)
    return Reference(np.asarray(latents, np.float32), np.asarray(arranged, np.float32))


def data_shape(array: np.ndarray) -> tuple[int, ...]:
    return tuple(int(side) for side in array.shape)


def _in_layout(outputs: np.ndarray, bundle_shape: tuple[int, ...]) -> np.ndarray | None:
    """PyTorch's channels-first images as the bundle writes them, or None when none fits."""
    if outputs.ndim != 4:
        return None
    candidates = [outputs, outputs.transpose(0, 2, 3, 1)]
    if outputs.shape[1] == 1:  # ml5 draws gray as three equal channels
        candidates.append(np.repeat(outputs, 3, axis=1))
    return next((each for each in candidates if each.shape[1:] == tuple(bundle_shape)), None)
