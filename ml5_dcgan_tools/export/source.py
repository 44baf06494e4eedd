"""Load a generator to export without ever running code from the file.

The saved config is read and checked against the layer whitelist *before* Keras deserializes
anything, and ``.keras`` files are then loaded in Keras safe mode, so a Lambda's pickled
bytecode or a custom layer's import never runs.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from ..errors import UsageError, UserError, first_line
from .layers_format import MODEL_CLASSES, check_layer_class

MAX_CONFIG_BYTES = 16 * 1024 * 1024
# What a training run folder holds, best first: the EMA generator is the one to ship.
RUN_GENERATORS = ("generator_ema.keras", "generator.keras")


def _saved_config(path: Path) -> dict[str, Any]:
    """The model config stored in a .keras zip or a legacy .h5 file, read as plain data."""
    try:
        if path.suffix == ".keras":
            with zipfile.ZipFile(path) as archive:
                info = archive.getinfo("config.json")
                if info.file_size > MAX_CONFIG_BYTES:
                    raise UserError("the model config is too large to be a generator",
                                    where=str(path))
                return json.loads(archive.read(info))
        import h5py

        with h5py.File(path, "r") as handle:
            raw = handle.attrs.get("model_config")
        if raw is None:
            raise UserError("no model config in this .h5 file (weights only?)", where=str(path),
                            fix="save the whole model: model.save('generator.keras')")
        return json.loads(raw.decode() if isinstance(raw, bytes) else raw)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise UserError(f"not a readable Keras model file: {error}", where=str(path),
                        fix="pass a file written by model.save()") from None


def check_saved_layers(config: dict[str, Any], where: str) -> None:
    """Refuse a saved model whose layers are not all whitelisted Keras layers."""
    for entry in config.get("config", {}).get("layers", []):
        class_name = entry.get("class_name", "?")
        custom = entry.get("registered_name") not in (None, class_name) or entry.get(
            "module", "keras.layers") != "keras.layers"
        check_layer_class(class_name, entry.get("config", {}).get("name", "?"), custom=custom,
                          where=where)


def resolve_source(source: Path) -> Path:
    """The model file for SOURCE: itself, or the generator a training run folder holds."""
    if source.is_dir():
        for name in RUN_GENERATORS:
            if (source / name).is_file():
                return source / name
        raise UsageError("no generator in this folder", where=str(source),
                         fix=f"pass a .keras/.h5 file or a run folder with {RUN_GENERATORS[-1]}")
    if not source.is_file():
        raise UsageError("no such file", where=str(source),
                         fix="pass a .keras or .h5 model file, or a training run folder")
    if source.suffix not in (".keras", ".h5"):
        raise UsageError(f"unsupported model file type '{source.suffix}'", where=str(source),
                         fix="save the model with model.save('generator.keras')")
    return source


def load_generator(source: Path) -> Any:
    """Load a generator from SOURCE safely (see the module docstring)."""
    path = resolve_source(source)
    config = _saved_config(path)
    if config.get("class_name") not in MODEL_CLASSES:
        raise UserError(f"not a Keras model but a {config.get('class_name')!r}", where=str(path),
                        fix="pass a model saved with model.save()")
    check_saved_layers(config, str(path))
    import keras

    try:
        if path.suffix == ".keras":
            return keras.saving.load_model(path, compile=False, safe_mode=True)
        return keras.models.load_model(path, compile=False)
    except Exception as error:  # Keras raises many types; the user needs one line.
        raise UserError(f"Keras could not load the model: {first_line(error)}", where=str(path),
                        fix="check the file was saved by Keras 3 (or Keras 2 as .h5)") from None
