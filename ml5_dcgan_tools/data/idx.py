"""MNIST-format IDX files (gzipped or not): the format of MNIST, Fashion-MNIST and EMNIST."""

from __future__ import annotations

import gzip
import math
import struct
from pathlib import Path

import numpy as np
from PIL import Image

from ..errors import UserError

_DTYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}
_GZIP_MAGIC = b"\x1f\x8b"


def _read_bytes(path: Path) -> bytes:
    raw = path.read_bytes()
    if raw[:2] == _GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise UserError("broken gzip file", where=str(path),
                            fix="download or unpack the file again") from error
    return raw


def is_idx_file(path: Path) -> bool:
    """True when the file starts like an IDX file (zero bytes, known type, 1 to 4 dimensions)."""
    with path.open("rb") as file:
        head = file.read(4)
    if head[:2] == _GZIP_MAGIC:
        with gzip.open(path, "rb") as file:
            try:
                head = file.read(4)
            except (OSError, EOFError):
                return False
    return len(head) == 4 and head[:2] == b"\0\0" and head[2] in _DTYPES and 1 <= head[3] <= 4


def read_idx(path: Path) -> np.ndarray:
    """The array stored in an IDX file, in native byte order."""
    data = _read_bytes(path)
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] not in _DTYPES or not 1 <= data[3] <= 4:
        raise UserError("not an IDX file", where=str(path),
                        fix="pass an MNIST-format file such as train-images-idx3-ubyte(.gz)")
    ndim = data[3]
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    dtype = np.dtype(_DTYPES[data[2]])
    expected = 4 + 4 * ndim + math.prod(shape) * dtype.itemsize
    if len(data) < expected:
        raise UserError(f"truncated IDX file: {len(data)} bytes, header promises {expected}",
                        where=str(path), fix="download or unpack the file again")
    array = np.frombuffer(data, dtype, count=math.prod(shape), offset=4 + 4 * ndim)
    return array.reshape(shape).astype(dtype.newbyteorder("="))


def idx_images(path: Path, size: int) -> np.ndarray:
    """An IDX image file (N, H, W) or (N, H, W, 1|3) -> (N, size, size, 3) uint8 RGB."""
    array = read_idx(path)
    if array.ndim == 3:
        array = array[..., None]
    if array.ndim != 4 or array.shape[-1] not in (1, 3):
        raise UserError(f"IDX array of shape {array.shape} is not a stack of images",
                        where=str(path), fix="pass the images file, not the labels file")
    if array.dtype != np.uint8:
        low, high = float(array.min()), float(array.max())
        array = ((array - low) * (255.0 / max(high - low, 1e-12))).round().astype(np.uint8)
    mode = "L" if array.shape[-1] == 1 else "RGB"
    resized = np.empty((len(array), size, size, 3), np.uint8)
    for i, image in enumerate(array):
        picture = Image.fromarray(image.squeeze(-1) if mode == "L" else image, mode)
        picture = picture.resize((size, size), Image.Resampling.BICUBIC)
        resized[i] = np.asarray(picture.convert("RGB"))
    return resized
