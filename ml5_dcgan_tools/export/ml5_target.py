"""Make a translated generator satisfy what ml5 0.12.2 does with it
(``docs/reference/ml5-contract.md``).

ml5 feeds ``[1, latent]`` standard-normal vectors and computes
``predict(z).squeeze().transpose([1, 2, 0]).div(2).add(0.5)`` before ``toPixels``: the output
must be channels first, 3 (or 4) channels, within [-1, 1]. Channels-last output gets a Permute
appended; a 1-channel output is concatenated with itself into 3 identical channels. Both are
exact (no arithmetic), so the Keras reference is adapted with the same numpy operations.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..contract import OUTPUT_ACTIVATIONS, OUTPUT_BOUND_HINT, image_layout, output_activation
from ..tfjs_model import Layer
from .layers_format import UnsupportedModel, output_names


@dataclass
class Ml5Plan:
    """What the ml5 target appends, and the matching numpy steps for the reference outputs."""

    latent_dim: int
    size: int
    appended: list[Layer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    gray_to_rgb_axis: int | None = None
    to_channels_first: bool = False

    def adapt(self, outputs: np.ndarray) -> np.ndarray:
        """Apply the appended layers' effect to Keras outputs of shape ``[N, ...]``."""
        if self.gray_to_rgb_axis is not None:
            outputs = np.concatenate([outputs] * 3, axis=self.gray_to_rgb_axis)
        if self.to_channels_first:
            outputs = np.transpose(outputs, (0, 3, 1, 2))
        return outputs


def _layout(shape: tuple) -> str:
    """'last' or 'first' for a square image output with 1, 3 or 4 channels."""
    layout = image_layout(shape, prefer="last")
    sides = shape[1:3] if layout == "last" else shape[2:4]
    if layout is None or sides[0] is None or sides[0] != sides[1]:
        raise UnsupportedModel(
            "output", f"output shape {list(shape)} is not a square image with 1, 3 or 4 "
            "channels",
            "make the generator output [batch, size, size, 3]; for other shapes use --target tfjs")
    return layout


def plan_ml5(layers: list[Layer], input_shape: tuple, output_shape: tuple) -> Ml5Plan:
    """Check the ml5 contract on the translated layers and plan the appended layers."""
    if len(input_shape) != 2 or not input_shape[1]:
        raise UnsupportedModel(
            "input", f"input shape {list(input_shape)} is not [batch, latent]",
            "ml5 feeds a flat latent vector: start the generator with keras.Input((latent,))")
    by_name = {layer.name: layer for layer in layers}
    (output_name,) = output_names(layers)
    activation = output_activation(by_name, [output_name])
    if activation not in OUTPUT_ACTIVATIONS:
        hint = OUTPUT_BOUND_HINT
        if activation == "sigmoid":
            hint += " (a sigmoid's [0, 1] would show washed-out images)"
        raise UnsupportedModel(output_name, f"the output is bounded by {activation}, not to "
                               "[-1, 1] (tanh or softsign)", hint)
    layout = _layout(output_shape)
    channel_axis = 3 if layout == "last" else 1
    channels = output_shape[channel_axis]
    plan = Ml5Plan(latent_dim=int(input_shape[1]), size=int(output_shape[2]))
    last = output_name
    if channels == 1:
        plan.gray_to_rgb_axis = channel_axis
        last = "ml5_gray_to_rgb"
        plan.appended.append(Layer("Concatenate", last, {
            "name": last, "trainable": False, "dtype": "float32", "axis": channel_axis},
            (output_name,) * 3))
        plan.notes.append("1-channel output repeated into 3 identical channels (Concatenate)")
    if layout == "last":
        plan.to_channels_first = True
        plan.appended.append(Layer("Permute", "ml5_channels_first", {
            "name": "ml5_channels_first", "trainable": False, "dtype": "float32",
            "dims": [3, 1, 2]}, (last,)))
        plan.notes.append("channels-last output made channels-first with Permute((3, 1, 2))")
    return plan
