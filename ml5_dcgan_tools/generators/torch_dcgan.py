"""A PyTorch DCGAN generator's state_dict, recognised and rebuilt as the same Keras model.

The generator of pytorch/examples' ``dcgan/main.py`` and of the PyTorch DCGAN tutorial is an
``nn.Sequential`` named ``main``: ``ConvTranspose2d(nz, C0, 4, 1, 0)``, then blocks of
``BatchNorm2d`` + ``ReLU`` + ``ConvTranspose2d(Ci, Ci+1, 4, 2, 1)``, the last one to ``nc``
channels, then ``Tanh``. A state_dict holds no strides or paddings, only names and shapes, so
the recogniser demands exactly that layout: convolutions at indices 0, 3, 6, ..., batch norms
right after each but the last, nothing where the ReLUs and the Tanh sit, 4x4 kernels, channels
that chain. nz, the widths, nc and the image size (4 doubled once per stride-2 layer) come
from the shapes.

The Keras model is channels last and exact, not approximate:

- on a 1x1 input, ``ConvTranspose2d(nz, C0, 4, 1, 0)`` is a Dense layer to 4*4*C0 units and a
  Reshape to (4, 4, C0): Dense column ``(i*4 + j)*C0 + o`` is torch weight ``[:, o, i, j]``;
- ``ConvTranspose2d(k=4, s=2, p=1)`` is ``Conv2DTranspose(4, strides=2, padding="same")``: both
  put input pixel ``y`` at output rows ``2y - 1 + k``, so the torch kernel ``[in, out, kh, kw]``
  is the Keras kernel ``[kh, kw, out, in]`` by transposition, with no spatial flip (the tests
  prove it against torch itself);
- ``BatchNorm2d`` in inference mode is ``BatchNormalization(epsilon=1e-5)`` with the file's
  running mean and variance.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from ..errors import UserError
from .torch_checkpoint import read_state_dict

if TYPE_CHECKING:
    import keras

TORCH_BN_EPSILON = 1e-5  # BatchNorm2d's default (Keras's is 1e-3)
KERNEL = 4
START = 4  # the first layer turns the 1x1 latent into 4x4
CHANNELS = (1, 3)
MAX_DOUBLINGS = 10  # 4096 px: far beyond ml5, and a bound on the layers a name can claim
_KEY = re.compile(r"(?P<prefix>(?:[A-Za-z_]\w*\.)*)(?P<index>\d+)\."
                  r"(?P<param>weight|bias|running_mean|running_var|num_batches_tracked)")
_BN_PARAMS = ("weight", "bias", "running_mean", "running_var")
FIX = ("pass the netG.pth of pytorch/examples' DCGAN (or the PyTorch DCGAN tutorial's "
       "generator); other architectures are not supported")


@dataclass(frozen=True)
class ConvLayer:
    """One ConvTranspose2d: torch weight [in, out, 4, 4], optional bias [out]."""

    weight: np.ndarray
    bias: np.ndarray | None


@dataclass(frozen=True)
class NormLayer:
    """One BatchNorm2d in inference mode."""

    gamma: np.ndarray
    beta: np.ndarray
    mean: np.ndarray
    variance: np.ndarray


@dataclass(frozen=True)
class TorchDcgan:
    """A recognised generator: n+1 transposed convolutions and the n batch norms between."""

    convs: list[ConvLayer]
    norms: list[NormLayer]

    @property
    def latent_dim(self) -> int:
        return int(self.convs[0].weight.shape[0])

    @property
    def channels(self) -> int:
        return int(self.convs[-1].weight.shape[1])

    @property
    def size(self) -> int:
        return START * 2 ** (len(self.convs) - 1)


def load_torch_generator(path: Path) -> keras.Model:
    """The Keras equivalent of the PyTorch DCGAN generator saved at ``path`` (.pth, .pt or
    .safetensors). Raises UserError when the file is unsafe or not such a generator."""
    return build_keras(recognise(read_state_dict(path), str(path)))


def recognise(state: dict[str, np.ndarray], where: str) -> TorchDcgan:
    """The generator a state_dict holds, or a UserError naming the first thing that differs."""
    prefix, layers = _layers(_strip_data_parallel(state), where)
    last = max(layers)
    if last > 3 * MAX_DOUBLINGS:
        raise _mismatch(f"layer {prefix}{last} would make an image over "
                        f"{START * 2**MAX_DOUBLINGS} pixels wide", where)
    if last % 3 or last < 3:
        raise _mismatch(f"the last layer is {prefix}{last}, not the final "
                        "ConvTranspose2d at an index 3k (k >= 1)", where)
    convs, norms = [], []
    for index in range(last + 1):
        params, name = layers.get(index), f"{prefix}{index}"
        if index % 3 == 2 and params:
            raise _mismatch(f"{name} has weights where the generator has a ReLU", where)
        if index % 3 == 0:
            convs.append(_conv(params, name, where))
        elif index % 3 == 1:
            norms.append(_norm(params, name, where))
    generator = TorchDcgan(convs, norms)
    _check_chain(generator, prefix, where)
    return generator


def _strip_data_parallel(state: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """nn.DataParallel saves every name with a ``module.`` prefix."""
    if state and all(key.startswith("module.") for key in state):
        return {key[len("module."):]: value for key, value in state.items()}
    return state


def _layers(state: dict[str, np.ndarray], where: str
            ) -> tuple[str, dict[int, dict[str, np.ndarray]]]:
    """index -> {param: tensor} of a Sequential whose names all share one prefix ('main.')."""
    if not state:
        raise _mismatch("the state_dict is empty", where)
    layers: dict[int, dict[str, np.ndarray]] = {}
    prefixes = set()
    for key, value in state.items():
        match = _KEY.fullmatch(key)
        if not match:
            raise _mismatch(f"tensor '{key}' is not named like a Sequential layer's "
                            "('main.<index>.weight')", where)
        prefixes.add(match["prefix"])
        layers.setdefault(int(match["index"]), {})[match["param"]] = value
    if len(prefixes) > 1:
        raise _mismatch(f"the tensors belong to several modules ({', '.join(sorted(prefixes))})",
                        where)
    return prefixes.pop(), layers


def _conv(params: dict[str, np.ndarray] | None, name: str, where: str) -> ConvLayer:
    if not params or "weight" not in params or set(params) - {"weight", "bias"}:
        found = ", ".join(sorted(params)) if params else "nothing"
        raise _mismatch(f"{name} should be a ConvTranspose2d (weight, optional bias), found "
                        f"{found}", where)
    weight = params["weight"]
    if weight.ndim != 4 or weight.shape[2:] != (KERNEL, KERNEL):
        raise _mismatch(f"{name}.weight has shape {list(weight.shape)}, not a 4x4 "
                        "ConvTranspose2d's [in, out, 4, 4]", where)
    bias = params.get("bias")
    if bias is not None and bias.shape != (weight.shape[1],):
        raise _mismatch(f"{name}.bias has shape {list(bias.shape)}, not [{weight.shape[1]}]",
                        where)
    return ConvLayer(_float32(weight), None if bias is None else _float32(bias))


def _norm(params: dict[str, np.ndarray] | None, name: str, where: str) -> NormLayer:
    params = params or {}
    found = set(params) - {"num_batches_tracked"}
    if found != set(_BN_PARAMS):
        raise _mismatch(f"{name} should be a BatchNorm2d with running statistics "
                        f"({', '.join(_BN_PARAMS)}), found {', '.join(sorted(found)) or 'nothing'}",
                        where)
    shapes = {params[key].shape for key in _BN_PARAMS}
    if len(shapes) != 1 or len(next(iter(shapes))) != 1:
        raise _mismatch(f"{name}'s BatchNorm2d tensors have shapes {sorted(shapes)}, not one "
                        "[channels]", where)
    return NormLayer(*(_float32(params[key]) for key in _BN_PARAMS))


def _check_chain(generator: TorchDcgan, prefix: str, where: str) -> None:
    """Each layer reads the channels the one before writes; the image has 1 or 3 channels."""
    for index, (conv, norm) in enumerate(zip(generator.convs, generator.norms, strict=False)):
        out = conv.weight.shape[1]
        following = generator.convs[index + 1].weight.shape[0]
        if norm.gamma.shape[0] != out or following != out:
            raise _mismatch(f"{prefix}{3 * index} writes {out} channels but "
                            f"{prefix}{3 * index + 1} normalises {norm.gamma.shape[0]} and "
                            f"{prefix}{3 * index + 3} reads {following}", where)
    if generator.channels not in CHANNELS:
        raise _mismatch(f"the last layer writes {generator.channels} channels, not 1 or 3",
                        where)


def _float32(values: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float32)


def _mismatch(what: str, where: str) -> UserError:
    return UserError(f"not a PyTorch DCGAN generator: {what}", where=where, fix=FIX)


def build_keras(generator: TorchDcgan) -> keras.Model:
    """The channels-last Keras model computing what the PyTorch generator computes in
    ``eval()`` mode, weights set (see the module docstring for the mapping)."""
    import keras
    from keras import layers

    first, *ups = generator.convs
    width = first.weight.shape[1]
    z = keras.Input((generator.latent_dim,), name="latent")
    project = layers.Dense(START * START * width, use_bias=first.bias is not None,
                           name="project")
    x = layers.Reshape((START, START, width), name="to_4x4")(project(z))
    weighted: list[tuple[keras.layers.Layer, list[np.ndarray]]] = [
        (project, _dense_weights(first))]
    for level, (norm, conv) in enumerate(zip(generator.norms, ups, strict=True)):
        side = START * 2**level
        bn = layers.BatchNormalization(epsilon=TORCH_BN_EPSILON, name=f"bn{side}")
        x = layers.Activation("relu", name=f"relu{side}")(bn(x))
        final = level == len(ups) - 1
        up = layers.Conv2DTranspose(conv.weight.shape[1], KERNEL, strides=2, padding="same",
                                    use_bias=conv.bias is not None,
                                    name="to_image" if final else f"up{2 * side}")
        x = up(x)
        weighted += [(bn, [norm.gamma, norm.beta, norm.mean, norm.variance]),
                     (up, _conv_weights(conv))]
    image = layers.Activation("tanh", name="tanh")(x)
    model = keras.Model(z, image, name="pytorch_dcgan")
    for layer, values in weighted:
        layer.set_weights(values)
    return model


def _dense_weights(conv: ConvLayer) -> list[np.ndarray]:
    """ConvTranspose2d(nz, C, 4, 1, 0) on 1x1 -> Dense(16*C) + Reshape((4, 4, C))."""
    kernel = conv.weight.transpose(0, 2, 3, 1).reshape(conv.weight.shape[0], -1)
    if conv.bias is None:
        return [kernel]
    return [kernel, np.tile(conv.bias, START * START)]


def _conv_weights(conv: ConvLayer) -> list[np.ndarray]:
    """torch [in, out, kh, kw] -> Keras Conv2DTranspose [kh, kw, out, in]."""
    kernel = conv.weight.transpose(2, 3, 1, 0)
    return [kernel] if conv.bias is None else [kernel, conv.bias]
