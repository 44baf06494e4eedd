"""Tensors out of a PyTorch checkpoint without importing torch or running anything in the file.

A ``.pth``/``.pt`` file from ``torch.save`` (the zip format of PyTorch >= 1.6) is a pickle plus
one zip entry per storage. Unpickling runs whatever callables the pickle names, so ours is
restricted: it admits only ``collections.OrderedDict``, ``torch._utils._rebuild_tensor_v2`` /
``_rebuild_parameter`` (answered by our own numpy rebuild) and the storage type names (mapped to
numpy dtypes); any other name (a pickled ``nn.Module``, ``os.system``) is refused before anything
is called. Storages are read from the zip's ``<archive>/data/<key>`` entries in the byte order its
``byteorder`` entry names. A ``.safetensors`` file is parsed by hand: an 8-byte little-endian
header length, a JSON header, raw little-endian data. Sizes are checked before anything is read,
so a hostile file cannot exhaust memory.
"""

from __future__ import annotations

import io
import json
import math
import pickle
import pickletools
import struct
import zipfile
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UserError, first_line

SAFETENSORS_SUFFIX = ".safetensors"
MAX_PICKLE_BYTES = 16 * 2**20  # a state_dict's pickle is names and shapes: kilobytes
MAX_TENSOR_BYTES = 2 * 2**30  # all storages together; ml5 generators are megabytes
MAX_HEADER_BYTES = 16 * 2**20
RESAVE = ("in a PyTorch you trust, load the generator and save only its weights: "
          "torch.save(netG.state_dict(), 'netG.pth')")

_STORAGE_DTYPES = {  # torch.<name>Storage -> numpy dtype (little endian; swapped if the file says)
    "FloatStorage": "<f4", "DoubleStorage": "<f8", "HalfStorage": "<f2",
    "BFloat16Storage": "<u2", "LongStorage": "<i8", "IntStorage": "<i4", "ShortStorage": "<i2",
    "CharStorage": "i1", "ByteStorage": "u1", "BoolStorage": "?",
}
_SAFETENSORS_DTYPES = {
    "F32": "<f4", "F64": "<f8", "F16": "<f2", "BF16": "<u2", "I64": "<i8", "I32": "<i4",
    "I16": "<i2", "I8": "i1", "U8": "u1", "BOOL": "?",
}


@dataclass(frozen=True)
class _StorageType:
    """What ``torch.FloatStorage`` & co. stand for here: a dtype, not a callable."""

    __slots__ = ("bfloat16", "dtype")
    dtype: np.dtype
    bfloat16: bool


@dataclass(frozen=True)
class _Tensor:
    """A rebuilt tensor; frozen and slotted so the pickle cannot set attributes on it."""

    __slots__ = ("values",)
    values: np.ndarray

    def __setstate__(self, state: object) -> None:
        raise pickle.UnpicklingError("a tensor with extra pickled state")


class _Refused(Exception):
    """A name outside the whitelist; carries the dotted name for the one-line message."""


def read_state_dict(path: Path) -> dict[str, np.ndarray]:
    """The named tensors of a PyTorch ``state_dict`` file (``.pth``, ``.pt`` or
    ``.safetensors``), as numpy arrays (bfloat16 widened to float32). Raises UserError."""
    if path.stat().st_size > MAX_TENSOR_BYTES + MAX_HEADER_BYTES:
        raise UserError("the file is too large to be an ml5 generator", where=str(path))
    if path.suffix == SAFETENSORS_SUFFIX:
        return _read_safetensors(path)
    return _read_torch_zip(path)


def _read_torch_zip(path: Path) -> dict[str, np.ndarray]:
    if not zipfile.is_zipfile(path):
        with path.open("rb") as handle:
            legacy = handle.read(2) == b"\x80\x02"
        what = ("the legacy (non-zip) PyTorch format, which can only be read by running its "
                "pickle" if legacy else "not a PyTorch checkpoint (not a zip archive)")
        raise UserError(what, where=str(path),
                        fix=RESAVE + " with PyTorch >= 1.6 (the zip format is its default)")
    try:
        with zipfile.ZipFile(path) as archive:
            return _unpickle_state(archive, path)
    except zipfile.BadZipFile as error:
        raise UserError(f"a damaged zip archive: {first_line(error)}", where=str(path),
                        fix=RESAVE) from None


def _unpickle_state(archive: zipfile.ZipFile, path: Path) -> dict[str, np.ndarray]:
    if any(name.endswith("/constants.pkl") for name in archive.namelist()):
        raise UserError("a TorchScript archive (torch.jit.save), not a state_dict",
                        where=str(path), fix=RESAVE)
    pickles = [info for info in archive.infolist() if info.filename.endswith("/data.pkl")
               and info.filename.count("/") == 1]
    if len(pickles) != 1:
        raise UserError("not a torch.save checkpoint (no <archive>/data.pkl entry)",
                        where=str(path), fix=RESAVE)
    info = pickles[0]
    if info.file_size > MAX_PICKLE_BYTES:
        raise UserError("the checkpoint's pickle is too large to be a state_dict",
                        where=str(path), fix=RESAVE)
    prefix = info.filename[: -len("data.pkl")]
    byteorder = "little"
    if prefix + "byteorder" in archive.namelist():
        order = archive.getinfo(prefix + "byteorder")
        byteorder = (archive.read(order).decode("ascii", "replace").strip()
                     if order.file_size <= 16 else "?")
    if byteorder not in ("little", "big"):
        raise UserError(f"unknown byte order {byteorder!r}", where=str(path), fix=RESAVE)
    raw = archive.read(info)
    try:
        state = _StateUnpickler(io.BytesIO(raw), archive, prefix, byteorder).load()
    except _Refused as refused:
        raise UserError(_refusal(str(refused), raw), where=str(path), fix=RESAVE) from None
    except Exception as error:  # a malformed pickle fails in many ways; one line for all
        raise UserError(f"unreadable checkpoint pickle: {first_line(error)}", where=str(path),
                        fix=RESAVE) from None
    return _tensors(state, path)


def _refusal(name: str, raw: bytes) -> str:
    if any(each.startswith("torch.nn.modules.") for each in _pickled_names(raw)):
        return (f"the checkpoint pickles a whole module ({name}), whose loading runs code; "
                "only a state_dict of tensors is read")
    return (f"the checkpoint's pickle names {name}, outside the tensors-only whitelist: "
            "refused without running it")


def _pickled_names(raw: bytes) -> list[str]:
    """The global names a pickle refers to, found by parsing it (pickletools runs nothing)."""
    names: list[str] = []
    strings: list[str] = []
    try:
        for opcode, argument, _ in pickletools.genops(raw):
            if opcode.name in ("GLOBAL", "INST"):
                names.append(str(argument).replace(" ", "."))
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                names.append(".".join(strings[-2:]))
            elif isinstance(argument, str):
                strings.append(argument)
    except Exception:  # a malformed pickle: the names read so far are all there is
        pass
    return names


def _tensors(state: Any, path: Path) -> dict[str, np.ndarray]:
    """The state_dict's str -> tensor entries; anything else is not a single model's weights."""
    if not isinstance(state, dict):
        raise UserError(f"the checkpoint holds a {type(state).__name__}, not a state_dict",
                        where=str(path), fix=RESAVE)
    nested = [str(key) for key, value in state.items() if isinstance(value, dict)]
    if nested:
        raise UserError(f"the checkpoint holds several parts ({', '.join(nested[:4])}), not one "
                        "model's state_dict", where=str(path),
                        fix="save the generator's alone: torch.save(netG.state_dict(), "
                            "'netG.pth')")
    odd = [str(key) for key, value in state.items()
           if not isinstance(key, str) or not isinstance(value, _Tensor)]
    if odd:
        raise UserError(f"entry {odd[0]!r} of the state_dict is not a named tensor",
                        where=str(path), fix=RESAVE)
    return {key: value.values for key, value in state.items()}


class _StateUnpickler(pickle.Unpickler):
    """Unpickles a state_dict and nothing else: see the module docstring."""

    def __init__(self, file: io.BytesIO, archive: zipfile.ZipFile, prefix: str,
                 byteorder: str) -> None:
        super().__init__(file)
        self._archive = archive
        self._prefix = prefix
        self._swap = byteorder != "little"
        self._storages: dict[str, np.ndarray] = {}
        self._bytes = 0  # storages read plus tensors rebuilt: a stride-0 view can be huge

    def find_class(self, module: str, name: str) -> Any:
        # Bound methods, not module functions: the pickle cannot set attributes on them.
        if (module, name) == ("collections", "OrderedDict"):
            return OrderedDict
        if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
            return self._rebuild_tensor
        if (module, name) == ("torch._utils", "_rebuild_parameter"):
            return self._rebuild_parameter
        if module == "torch" and name in _STORAGE_DTYPES:
            return _StorageType(np.dtype(_STORAGE_DTYPES[name]), name == "BFloat16Storage")
        raise _Refused(f"{module}.{name}")

    def persistent_load(self, pid: Any) -> np.ndarray:
        """A storage: ``('storage', type, key, location, numel)`` -> its zip entry's values."""
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType) and isinstance(pid[2], str)
                and type(pid[4]) is int):
            raise pickle.UnpicklingError(f"unexpected persistent id {str(pid)[:80]}")
        storage_type, key, numel = pid[1], pid[2], pid[4]
        if key not in self._storages:
            self._storages[key] = self._read_storage(storage_type, key, numel)
        return self._storages[key]

    def _read_storage(self, storage_type: _StorageType, key: str, numel: int) -> np.ndarray:
        try:
            info = self._archive.getinfo(f"{self._prefix}data/{key}")
        except KeyError:
            raise pickle.UnpicklingError(f"storage {key!r} is missing from the archive") from None
        size = numel * storage_type.dtype.itemsize
        if info.file_size != size or numel < 0:
            raise pickle.UnpicklingError(f"storage {key!r} holds {info.file_size} bytes, "
                                         f"not {numel} values")
        self._charge(size)
        dtype = storage_type.dtype.newbyteorder(">") if self._swap else storage_type.dtype
        values = np.frombuffer(self._archive.read(info), dtype=dtype)
        return _widen_bfloat16(values) if storage_type.bfloat16 else values

    def _rebuild_tensor(self, storage: np.ndarray, offset: int, size: tuple, stride: tuple,
                        requires_grad: bool = False, backward_hooks: Any = None,
                        metadata: Any = None) -> _Tensor:
        if not isinstance(storage, np.ndarray):
            raise pickle.UnpicklingError("a tensor without a storage")
        return _Tensor(_strided(storage, offset, size, stride, self._charge))

    def _rebuild_parameter(self, data: _Tensor, requires_grad: bool = False,
                           backward_hooks: Any = None) -> _Tensor:
        if not isinstance(data, _Tensor):
            raise pickle.UnpicklingError("a parameter without a tensor")
        return data

    def _charge(self, size: int) -> None:
        self._bytes += size
        if self._bytes > MAX_TENSOR_BYTES:
            raise pickle.UnpicklingError("the tensors are too large for an ml5 generator")


def _strided(storage: np.ndarray, offset: Any, size: Any, stride: Any,
             charge: Callable[[int], None]) -> np.ndarray:
    """A copy of the view ``storage[offset:]`` with torch's element ``size`` and ``stride``,
    after checking that every element it reaches lies inside the storage, and charging its
    bytes to the reader's budget."""
    integers = [offset, *size, *stride] if isinstance(size, tuple) and isinstance(
        stride, tuple) else None
    if (integers is None or len(size) != len(stride) or len(size) > 8
            or any(type(value) is not int or value < 0 for value in integers)):
        raise pickle.UnpicklingError("a tensor with an invalid shape or stride")
    charge(math.prod(size) * storage.itemsize)
    if 0 in size:
        return np.zeros(size, dtype=storage.dtype)
    last = offset + sum((length - 1) * step for length, step in zip(size, stride, strict=True))
    if last >= len(storage):
        raise pickle.UnpicklingError("a tensor reaching past its storage")
    item = storage.itemsize
    view = np.lib.stride_tricks.as_strided(storage[offset:], shape=size,
                                           strides=[step * item for step in stride],
                                           writeable=False)
    return np.array(view, dtype=storage.dtype.newbyteorder("="))


def _widen_bfloat16(bits: np.ndarray) -> np.ndarray:
    """bfloat16 is the top half of a float32: shift its 16 bits into place."""
    return (bits.astype(np.uint32) << 16).view(np.float32)


def _read_safetensors(path: Path) -> dict[str, np.ndarray]:
    with path.open("rb") as handle:
        raw_length = handle.read(8)
        (length,) = struct.unpack("<Q", raw_length) if len(raw_length) == 8 else (None,)
        if length is None or length > MAX_HEADER_BYTES:
            raise UserError("not a safetensors file (no valid header length)", where=str(path),
                            fix="write it with safetensors.torch.save_file(netG.state_dict(), "
                                "'netG.safetensors')")
        try:
            header = json.loads(handle.read(length))
        except ValueError as error:
            raise UserError(f"unreadable safetensors header: {first_line(error)}",
                            where=str(path)) from None
        data = handle.read()
    if not isinstance(header, dict):
        raise UserError("unreadable safetensors header: not a JSON object", where=str(path))
    header.pop("__metadata__", None)
    return {name: _safetensor(name, entry, data, path) for name, entry in header.items()}


def _safetensor(name: str, entry: Any, data: bytes, path: Path) -> np.ndarray:
    def bad(why: str) -> UserError:
        return UserError(f"safetensors entry {name!r} {why}", where=str(path),
                         fix="write the file with safetensors.torch.save_file")

    if not isinstance(entry, dict):
        raise bad("is not a JSON object")
    if entry.get("dtype") not in _SAFETENSORS_DTYPES:
        raise bad(f"has an unsupported dtype {entry.get('dtype')!r}")
    shape, offsets = entry.get("shape"), entry.get("data_offsets")
    if (not isinstance(shape, list) or not isinstance(offsets, list) or len(offsets) != 2
            or any(type(value) is not int or value < 0 for value in [*shape, *offsets])):
        raise bad("has an invalid shape or data_offsets")
    dtype = np.dtype(_SAFETENSORS_DTYPES[entry["dtype"]])
    begin, end = offsets
    if not begin <= end <= len(data) or end - begin != int(np.prod(shape)) * dtype.itemsize:
        raise bad(f"has data_offsets {offsets} that do not fit its shape {shape}")
    values = np.frombuffer(data, dtype=dtype, count=(end - begin) // dtype.itemsize,
                           offset=begin).reshape(shape)
    values = _widen_bfloat16(values) if entry["dtype"] == "BF16" else values
    return np.array(values, dtype=values.dtype.newbyteorder("="))
