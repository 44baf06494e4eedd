"""Which Keras layers a generator may hold: the whitelist every loader and the exporter apply.

A saved model is checked against it as plain data before Keras deserializes anything, and a
live model before export translates it, so a Lambda's bytecode or a custom layer never runs.
"""

from __future__ import annotations

from typing import Any

from .contract import LAYER_CLASSES
from .errors import UserError

MODEL_CLASSES = frozenset({"Sequential", "Functional", "Model"})


class UnsupportedModel(UserError):
    """The model uses something TF.js would not compute exactly like Keras."""

    def __init__(self, layer: str, reason: str, fix: str) -> None:
        super().__init__(f"cannot export layer '{layer}': {reason}", fix=fix)
        self.layer = layer
        self.reason = reason


def check_layer_class(class_name: str, name: str, *, custom: bool, where: str = "") -> None:
    """Refuse a layer unless it is exactly a whitelisted Keras layer (no subclass, no Lambda),
    naming the layer, before any translation or writing happens."""
    context = f" ({where})" if where else ""
    if class_name in MODEL_CLASSES:
        raise UnsupportedModel(name, f"nested models are not supported{context}",
                               "export the inner model, or build the generator flat")
    if class_name == "Lambda":
        raise UnsupportedModel(name, f"Lambda layers run arbitrary Python code{context}",
                               "replace the Lambda with standard Keras layers")
    if class_name not in LAYER_CLASSES or custom:
        kind = "custom layer" if custom else "layer type"
        raise UnsupportedModel(
            name, f"{kind} {class_name} is not supported by the exporter{context}",
            f"use only {', '.join(sorted(LAYER_CLASSES))}")


def check_layer_classes(model: Any) -> None:
    """Refuse a live model holding anything but whitelisted Keras layer classes."""
    import keras

    for layer in model.layers:
        class_name = type(layer).__name__
        standard = getattr(keras.layers, class_name, None)
        check_layer_class(class_name, layer.name,
                          custom=standard is not None and type(layer) is not standard)
