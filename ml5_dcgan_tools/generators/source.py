"""Where a generator comes from, and loading it without running code from it.

A SOURCE is a training run folder, a ``.keras``/``.h5`` file, an exported TF.js bundle (its
folder, ``model.json``, ``manifest.json`` or ``.zip``), or a PyTorch DCGAN generator's
state_dict (``.pth``, ``.pt``, ``.safetensors``: see ``generators/torch_dcgan.py``). One
safety policy for every command that loads one (``export``, ``generate``): a Keras file's
saved config is read as plain data and checked against the layer whitelist *before* Keras
deserializes anything, then loaded in Keras safe mode, so a Lambda's pickled bytecode or a
custom layer's import never runs; a PyTorch file's pickle is read with a whitelist of the
tensor-rebuild names only; a bundle passes ``validate``'s source, safety and structure checks
and is rebuilt from whitelisted layers.
"""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from ..errors import UsageError, UserError, first_line
from ..keras_layers import MODEL_CLASSES, check_layer_class
from .run_folder import find_generator, pick_generator, run_class_names

MAX_CONFIG_BYTES = 16 * 1024 * 1024
MODEL_SUFFIXES = (".keras", ".h5")
TORCH_SUFFIXES = (".pth", ".pt", ".safetensors")  # read without torch, never unpickled freely


def load_generator(source: str | Path, checkpoint: str = "best") -> Any:
    """The ``keras.Model`` SOURCE holds. From a run folder, its `checkpoint` as
    ``pick_generator`` chooses it (by default the best evaluated step), so that Python gets the
    generator that ``generate`` and ``export`` take."""
    source = Path(source)
    from ..validation.loading import is_bundle, load_bundle_model

    if is_bundle(source):
        return load_bundle_model(source)
    path = model_file(pick_generator(source, checkpoint)[0])
    if path.suffix in TORCH_SUFFIXES:
        from .torch_dcgan import load_torch_generator

        return load_torch_generator(path)
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


def label_width(generator: Any) -> int:
    """K for a generator with a second ``label`` input [None, K]; 0 for a latent-only one."""
    return int(generator.inputs[1].shape[-1]) if len(generator.inputs) > 1 else 0


def source_labels(source: str | Path, generator: Any = None) -> list[str]:
    """The class names of SOURCE's generator (pass it when already loaded), one per column of
    its `label` input: a run folder's config.json (also for a .keras inside one), a bundle's
    manifest modelLabels, else "0".."K-1"; [] for a generator that takes a latent only."""
    generator = generator if generator is not None else load_generator(source)
    width = label_width(generator)
    if not width:
        return []
    source = Path(source)
    from ..validation.loading import is_bundle

    if is_bundle(source):
        names = _bundle_labels(source)
    else:
        names = run_class_names(source if source.is_dir() else source.parent)
    return names if len(names) == width else [str(i) for i in range(width)]


def _bundle_labels(source: Path) -> list[str]:
    """A bundle manifest's modelLabels ([] when it has none)."""
    from ..safety import Limits
    from ..validation.report import BundleReport
    from ..validation.targets import open_bundle

    with open_bundle(source, BundleReport(str(source)), limits=Limits(),
                     allow_network=False) as bundle:
        manifest = bundle.manifest
    labels = manifest.get("modelLabels") if isinstance(manifest, dict) else None
    return [str(name) for name in labels] if isinstance(labels, list) else []


def model_file(source: Path) -> Path:
    """The model file for SOURCE: itself, or the generator a training run folder holds."""
    if source.is_dir():
        return find_generator(source)
    if not source.is_file():
        raise UsageError("no such file or folder", where=str(source),
                         fix="pass a training run folder, a .keras or .h5 model file, a "
                             "PyTorch .pth/.safetensors generator, or a bundle")
    if source.suffix not in MODEL_SUFFIXES + TORCH_SUFFIXES:
        raise UsageError(f"unsupported model file type '{source.suffix}'", where=str(source),
                         fix="save the model with model.save('generator.keras')")
    return source


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
    """Refuse a saved model unless every layer, nested models' included, is a whitelisted Keras
    layer. (Export refuses nested models later, when it translates; loading them is safe.)"""
    waiting = [config]
    while waiting:
        for entry in waiting.pop().get("config", {}).get("layers", []):
            class_name = entry.get("class_name", "?")
            if class_name in MODEL_CLASSES:
                waiting.append(entry)
                continue
            custom = entry.get("registered_name") not in (None, class_name) or entry.get(
                "module", "keras.layers") != "keras.layers"
            check_layer_class(class_name, entry.get("config", {}).get("name", "?"),
                              custom=custom, where=where)
