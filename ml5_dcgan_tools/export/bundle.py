"""Export a Keras 3 generator as a TF.js layers bundle, then prove it inside the real runtimes.

Like Hugging Face Optimum's exporters: write the model, then run it in the target runtimes on
fixed inputs and compare with the reference at a stated tolerance, naming any runtime that
differs. Everything is written into a temporary folder beside ``out_dir`` and moved into place
only once verified, so a failed export leaves nothing behind.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .. import __version__
from ..assets import copy_loader
from ..contract import (
    LABEL_INPUT,
    QUANTIZATION_BOUNDS,
    RUNTIME_ATOL,
    TFJS_VERSIONS,
    generator_inputs,
)
from ..errors import UsageError, UserError
from ..reference import Reference, model_inputs, reference_inputs, write_reference
from ..tfjs_model import Layer
from .layers_format import (
    WEIGHT_NAMES,
    UnsupportedModel,
    model_topology,
    translate_model,
)
from .ml5_target import Ml5Plan, plan_ml5
from .weights import DEFAULT_SHARD_BYTES, EncodedWeight, Quantization, encode_weight, write_shards

Target = Literal["ml5", "tfjs"]


@dataclass
class RuntimeCheck:
    version: str
    max_abs_error: float | None
    seconds: float
    ml5_accepts: bool | None
    problem: str | None = None

    @property
    def passed(self) -> bool:
        return self.problem is None


@dataclass
class ExportReport:
    """What was exported and how it was proven; ``as_dict()`` is the ``--json`` output."""

    out_dir: Path
    target: Target
    quantization: Quantization
    latent_dim: int
    labels: list[str] | None  # the class names of a labelled generator
    output_shape: list[int]
    parameters: int
    bundle_bytes: int
    files: list[str]
    adaptations: list[str] = field(default_factory=list)
    quantization_error: float = 0.0
    runtime_checks: list[RuntimeCheck] = field(default_factory=list)
    torch_checks: list[RuntimeCheck] = field(default_factory=list)  # vs --torch-reference
    verified: bool = False

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["out_dir"] = str(self.out_dir)
        return data


def _prepare_out_dir(out_dir: Path, overwrite: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError("the output path is a file", where=str(out_dir),
                         fix="give --out a folder path")
    if out_dir.is_dir() and any(out_dir.iterdir()) and not overwrite:
        raise UsageError("the output folder is not empty", where=str(out_dir),
                         fix="pass --overwrite to replace it, or choose another --out")


def _encode_weights(model: Any, layers: list[Layer],
                    quantization: Quantization) -> list[EncodedWeight]:
    """Every weight TF.js will look for, named ``<layer>/<weight>``, in topology order."""
    encoded = []
    for layer in layers:
        if layer.class_name == "InputLayer":
            continue
        for variable in model.get_layer(layer.name).weights:
            if variable.name not in WEIGHT_NAMES:
                raise UnsupportedModel(layer.name, f"unexpected weight '{variable.name}'",
                                       "use standard Keras layers only")
            values = np.asarray(variable.numpy(), dtype=np.float32)
            encoded.append(encode_weight(f"{layer.name}/{variable.name}", values, quantization))
    return encoded


def _outputs(model: Any, inputs: np.ndarray | list[np.ndarray]) -> np.ndarray:
    return np.asarray(model(inputs, training=False), dtype=np.float32)


def _outputs_with_weights(model: Any, weights: list[EncodedWeight],
                          inputs: np.ndarray | list[np.ndarray]) -> np.ndarray:
    """What the bundle should compute: the model run on the weights as TF.js decodes them."""
    import keras

    decoded = {weight.spec["name"]: weight.decoded for weight in weights}
    clone = keras.models.clone_model(model)
    for layer in clone.layers:
        for variable in layer.weights:
            variable.assign(decoded[f"{layer.name}/{variable.name}"])
    return _outputs(clone, inputs)


def _check_model(model: Any) -> tuple[int, int]:
    """``(latent_dim, label_count)``: one latent input, or a latent and the label input."""
    shapes = [tuple(tensor.shape) for tensor in model.inputs]
    widths = generator_inputs([tensor.name for tensor in model.inputs], shapes)
    if widths is None or len(model.outputs) != 1:
        raise UnsupportedModel(
            model.name, f"the model takes {len(shapes)} inputs {[list(s) for s in shapes]} and "
            f"gives {len(model.outputs)} outputs; a generator takes a latent [None, L] (and, "
            f"labelled, a second input named '{LABEL_INPUT}' [None, K]) and gives one image",
            "export the generator alone: latent vector (and label) in, image out")
    for variable in model.weights:
        if variable.dtype != "float32":
            raise UnsupportedModel(model.name, f"weight {variable.path} is {variable.dtype}",
                                   "save the generator with float32 weights")
    return widths


def verify_bundle(bundle: Path, reference: Reference, target: Target,
                  versions: tuple[str, ...] | None = None,
                  against: str = "Keras") -> list[RuntimeCheck]:
    """Run the bundle in each TF.js runtime and compare with the reference outputs (those of
    ``against``)."""
    from ..runtime.tfjs import compare_outputs, run_bundle

    checks = []
    for version in versions or TFJS_VERSIONS:
        run = run_bundle(bundle, reference.latents, version, labels=reference.labels)
        check = RuntimeCheck(version, None, run.seconds, run.ml5_accepts)
        if run.error:
            check.problem = f"TF.js {version} could not run the bundle: {run.error}"
        else:
            check.max_abs_error = compare_outputs(reference.outputs, run.outputs)
            if not check.max_abs_error <= RUNTIME_ATOL:
                check.problem = (f"TF.js {version} output differs from {against} by "
                                 f"{check.max_abs_error:.3g} (allowed {RUNTIME_ATOL:g})")
            elif target == "ml5" and not run.ml5_accepts:
                check.problem = (f"ml5's post-processing in TF.js {version} rejects the "
                                 f"output: {run.ml5_problem}")
        checks.append(check)
    return checks


def _write_bundle(folder: Path, model: Any, layers: list[Layer], weights: list[EncodedWeight],
                  shard_bytes: int, manifest: dict[str, Any] | None) -> int:
    """Write model.json, shards and manifest; return the bytes a browser downloads."""
    import keras

    model_json = {
        "format": "layers-model",
        "generatedBy": f"keras v{keras.__version__}",
        "convertedBy": f"ml5-dcgan-tools v{__version__}",
        "modelTopology": model_topology(layers, model.name, keras.__version__),
        "weightsManifest": [write_shards(weights, folder, shard_bytes)],
    }
    text = json.dumps(model_json) + "\n"
    (folder / "model.json").write_text(text)
    if manifest is not None:
        (folder / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return len(text.encode()) + sum(len(weight.data) for weight in weights)


def _manifest(plan: Ml5Plan, description: str | None, model_name: str,
              labels: list[str] | None) -> dict[str, Any]:
    from ..manifest import create_manifest

    return create_manifest(
        description=description or f"DCGAN {model_name}, {plan.size}x{plan.size}",
        model_size=plan.size, latent_dim=plan.latent_dim, labels=labels)


def _class_names(given: list[str] | None, source: Any, label_count: int) -> list[str] | None:
    """The class names of a labelled generator: given, else the run folder's config.json
    ``class_names``, else "0".."K-1"; None for an unlabelled one (which takes none)."""
    if label_count == 0:
        if given is not None:
            raise UsageError("labels were given, but the model has no label input",
                             fix="leave out the labels, or export a labelled generator")
        return None
    names = given if given is not None else _run_class_names(source)
    if names is None:
        return [str(index) for index in range(label_count)]
    names = [str(name) for name in names]
    if len(names) != label_count:
        raise UsageError(f"{len(names)} class names for a model whose label input takes "
                         f"{label_count}", fix=f"give exactly {label_count} class names")
    return names


def _run_class_names(source: Any) -> list[str] | None:
    """``class_names`` from the config.json of the run folder SOURCE is (or is a file of)."""
    if not isinstance(source, str | Path):
        return None
    from ..generators.run_folder import run_class_names

    return run_class_names(Path(source) if Path(source).is_dir() else Path(source).parent) or None


def _write_training_facts(folder: Path, source: Any) -> None:
    """training.json, when SOURCE is a training run folder: what the model card tells."""
    if not isinstance(source, str | Path):
        return
    if (Path(source).parent / "config.json").is_file():  # a generator file of a run folder
        source = Path(source).parent
    if not Path(source).is_dir():
        return
    from ..generators import TRAINING_FACTS, training_facts

    facts = training_facts(Path(source))
    if facts:
        (folder / TRAINING_FACTS).write_text(json.dumps(facts, indent=2) + "\n")


def _move_into_place(staging: Path, out_dir: Path) -> None:
    if out_dir.exists():
        retired = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.old-", dir=out_dir.parent))
        out_dir.rename(retired / out_dir.name)
        staging.rename(out_dir)
        shutil.rmtree(retired)
    else:
        staging.rename(out_dir)


def export_bundle(model_or_path: Any, out_dir: str | Path, *, description: str | None = None,
                  target: Target = "ml5", quantization: Quantization = "none",
                  shard_bytes: int = DEFAULT_SHARD_BYTES, overwrite: bool = False,
                  verify: bool = True, torch_reference: str | Path | None = None,
                  labels: list[str] | None = None) -> ExportReport:
    """Export a Keras 3 generator (a model, or a .keras/.h5 file, training run folder or
    PyTorch DCGAN state_dict) as a TF.js layers bundle in ``out_dir`` and, unless ``verify`` is
    False, prove it in TF.js 1.7.4 and 4.22.0, and against PyTorch's own outputs when
    ``torch_reference`` names an .npz of them. A labelled generator (inputs latent and label)
    gets its class names, ``labels`` (default: the run folder's, else "0".."K-1"), in the
    manifest's ``modelLabels``. Raises :class:`UserError` (nothing written) when it cannot."""
    out_dir = Path(out_dir)
    if target not in ("ml5", "tfjs"):
        raise UsageError(f"unknown target {target!r}", fix="use 'ml5' or 'tfjs'")
    if quantization not in QUANTIZATION_BOUNDS:
        raise UsageError(f"unknown quantization {quantization!r}",
                         fix=f"use one of {', '.join(QUANTIZATION_BOUNDS)}")
    if quantization == "float16" and target == "ml5":
        raise UsageError("float16 weights cannot be read by TF.js 1.7.4, the runtime inside ml5",
                         fix="use --quantize uint16 or uint8 for ml5, or --target tfjs")
    if shard_bytes < 1024:
        raise UsageError(f"shard size {shard_bytes} bytes is too small", fix="use >= 1024 bytes")
    if torch_reference is not None and not verify:
        raise UsageError("a PyTorch reference is compared in TF.js, which --no-verify skips",
                         fix="drop --no-verify or the PyTorch reference")
    _prepare_out_dir(out_dir, overwrite)

    if isinstance(model_or_path, (str, Path)):
        from ..generators import load_generator

        model = load_generator(Path(model_or_path))
    else:
        model = model_or_path
    latent_dim, label_count = _check_model(model)
    class_names = _class_names(labels, model_or_path, label_count)
    if class_names is not None and torch_reference is not None:
        raise UsageError("a PyTorch reference holds latents only; this model also takes labels",
                         fix="drop the PyTorch reference")
    layers = translate_model(model)
    weights = _encode_weights(model, layers, quantization)
    plan = None
    if target == "ml5":
        plan = plan_ml5(layers, tuple(model.inputs[0].shape), tuple(model.output_shape))
        layers = layers + plan.appended

    latents, label_rows = reference_inputs(latent_dim, label_count)
    inputs = model_inputs(latents, label_rows)
    float_outputs = _outputs(model, inputs)
    if not np.isfinite(float_outputs).all():
        raise UnsupportedModel(model.name, "the model outputs NaN or Inf on normal latents",
                               "check the weights (e.g. negative BatchNormalization variances)")
    bundle_outputs = (float_outputs if quantization == "none"
                      else _outputs_with_weights(model, weights, inputs))
    if plan is not None:
        float_outputs, bundle_outputs = plan.adapt(float_outputs), plan.adapt(bundle_outputs)
    quantization_error = float(np.max(np.abs(bundle_outputs - float_outputs)))
    reference = Reference(latents, bundle_outputs, labels=label_rows)
    torch_outputs = None
    if torch_reference is not None:
        from .torch_reference import read_torch_reference

        torch_outputs = read_torch_reference(Path(torch_reference), latent_dim,
                                             bundle_outputs.shape[1:])
    manifest = _manifest(plan, description, model.name, class_names) if plan else None

    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.partial-", dir=out_dir.parent))
    staging.chmod(0o755)  # mkdtemp makes it private; a bundle is meant to be served
    try:
        bundle_bytes = _write_bundle(staging, model, layers, weights, shard_bytes, manifest)
        write_reference(staging, reference, RUNTIME_ATOL)
        _write_training_facts(staging, model_or_path)
        copy_loader(staging)
        report = ExportReport(
            out_dir=out_dir, target=target, quantization=quantization, latent_dim=latent_dim,
            labels=class_names,
            output_shape=list(bundle_outputs.shape[1:]),
            parameters=int(sum(np.prod(w.spec["shape"], dtype=np.int64) for w in weights)),
            bundle_bytes=bundle_bytes, files=sorted(path.name for path in staging.iterdir()),
            adaptations=plan.notes if plan else [],
            quantization_error=quantization_error)
        if not quantization_error <= QUANTIZATION_BOUNDS[quantization]:
            raise UserError(
                f"{quantization} quantization changes the output by up to "
                f"{quantization_error:.3g} (bound {QUANTIZATION_BOUNDS[quantization]:g})",
                fix="use a finer --quantize (uint16) or none")
        if verify:
            # float16 weights need TF.js >= 2: only the tfjs target allows them, proven in 4.22.
            versions = ("4.22.0",) if quantization == "float16" else None
            report.runtime_checks = verify_bundle(staging, reference, target, versions)
            if torch_outputs is not None:
                report.torch_checks = verify_bundle(staging, torch_outputs, target, versions,
                                                    against="PyTorch")
            failed = [check.problem for check in report.runtime_checks + report.torch_checks
                      if not check.passed]
            if failed:
                raise UserError("verification failed: " + "; ".join(failed),
                                fix="report this model as an exporter bug, with its .keras file")
            report.verified = True
        _move_into_place(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return report
