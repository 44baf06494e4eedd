"""The ml5 DCGAN manifest.json: validate one (schema plus what ml5 trips on) or create one.

The schema (``schemas/manifest.schema.json``) says what a manifest must contain; the checks
here add what ml5 0.12.2 gets wrong silently or late (see ``docs/reference/ml5-contract.md``):
relative model paths resolved against the page, http URLs blocked on https pages, sizes no DCGAN
has.
"""

from __future__ import annotations

import dataclasses
import math
import os
import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any

from .contract import LABEL_INPUT, ML5_CHANNELS, image_layout
from .errors import UsageError, UserError
from .findings import Finding, Report
from .jsonio import load_schema, preview, printable, read_json
from .tfjs_model import TfjsModel, format_shape

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, ValidationError

MAX_MANIFEST_BYTES = 1024 * 1024
"""Real manifests are a few hundred bytes; anything above a MiB is not a manifest."""

SCHEMA_FILE = "manifest.schema.json"
REQUIRED_FIELDS = ("description", "model", "modelSize", "modelLatentDim")
LARGEST_USUAL_SIZE = 1024
LATENT_DIM_RANGE = (2, 4096)

ManifestSource = str | os.PathLike[str] | bytes | Mapping[str, Any]

_FIELD_HINTS = {
    "description": 'describe the model for people choosing one, e.g. "DCGAN, human faces, 64x64"',
    "model": 'set it to the URL of the model.json, e.g. "https://example.org/faces/model.json", '
             'or to "model.json" when the web page, manifest.json and model.json share a folder',
    "modelSize": "set it to the side in pixels of the square images the model generates, e.g. 64 "
                 "for an output shape [null, 3, 64, 64]",
    "modelLatentDim": "ml5 needs it to sample latents; set it to the length of the model's "
                      "input, 128 for ml5's own models",
    "modelLabels": "optional, for a labelled generator only: its unique, non-empty class names "
                   "in the order of the model's label input (`ml5-dcgan export` writes them)",
}

_JSON_TYPE_NAMES = {
    "string": "a string", "integer": "a whole number", "number": "a number",
    "boolean": "true or false", "object": "an object", "array": "an array", "null": "null",
}


def validate_manifest(source: ManifestSource, *, strict: bool = False,
                      target: str | None = None) -> Report:
    """Check a manifest: a file path (``str`` or ``PathLike``), its raw bytes, or parsed JSON
    (any other JSON value than an object is reported as such).

    Returns a :class:`Report` whose findings carry stable check ids (``json.*`` for the file,
    ``schema.<keyword>`` for the schema, ``manifest.*`` for ml5's pitfalls). ``strict`` turns
    warnings into failures. ``target`` names the source in the report (default: the path).
    Raises :class:`~ml5_dcgan_tools.errors.UsageError` only when a path cannot be read.
    """
    report = Report(target if target is not None else _describe(source))
    manifest = _load(source, report)
    if manifest is not None:
        schema_findings = _schema_findings(manifest)
        report.findings.extend(schema_findings)
        wrong = {finding.pointer.removeprefix("/") for finding in schema_findings}
        report.findings.extend(_ml5_findings({key: value for key, value in manifest.items()
                                              if key not in wrong}))
    if strict:
        report.findings = [_as_failure(finding) for finding in report.findings]
    return report


def create_manifest(*, description: str, model_size: int, latent_dim: int,
                    model: str = "model.json", labels: list[str] | None = None,
                    **optional: str | None) -> dict[str, Any]:
    """A manifest dict in the usual field order, checked against the schema.

    ``labels``: a labelled generator's class names (``modelLabels``). ``optional`` takes the
    schema's optional text fields (``license``, ``author``, ``source``, ...); ``None`` values are
    left out. Raises :class:`UsageError` when the result would not be
    valid; warnings (a relative model path) are the caller's to show, via
    :func:`validate_manifest`.
    """
    manifest: dict[str, Any] = {
        "description": description, "model": model, "modelSize": model_size,
        "modelLatentDim": latent_dim,
        **({} if labels is None else {"modelLabels": list(labels)}),
        **{key: value for key, value in optional.items() if value is not None},
    }
    failure = next((finding for finding in _schema_findings(manifest)
                    if finding.severity == "fail"), None)
    if failure is not None:
        raise UsageError(f"cannot create the manifest: {failure.message}", fix=failure.hint)
    return manifest


def manifest_fields_from_model(model: TfjsModel) -> dict[str, int]:
    """``modelSize`` and ``modelLatentDim`` read off a model ml5 can run.

    ml5 feeds a ``[1, modelLatentDim]`` latent and draws a ``[1, 3 or 4, H, H]`` output, so any
    other shape raises :class:`UserError` saying why ml5 would fail.
    """
    if len(model.input_shapes) == 2 and model.input_layers[1:] == (LABEL_INPUT,):
        raise UserError("the model is a labelled generator: its manifest also needs the class "
                        "names (modelLabels), which the model does not hold",
                        fix="take the manifest.json `ml5-dcgan export` wrote with the bundle")
    input_shape, output_shape = model.input_shape, model.output_shape
    if len(input_shape) != 2 or input_shape[1] is None:
        raise UserError(f"the model's input is {format_shape(input_shape)}, ml5 feeds a latent "
                        "vector [null, modelLatentDim]", fix="give the generator a rank-2 input")
    if image_layout(output_shape) != "first" or output_shape[1] not in ML5_CHANNELS:
        raise UserError(
            f"the model's output is {format_shape(output_shape)}, ml5 draws a channels-first "
            "image [null, 3, H, W]",
            fix="append Permute((3, 1, 2)) to a channels-last generator; emit 3 channels")
    height, width = output_shape[2], output_shape[3]
    if height is None or height != width:
        raise UserError(f"the model's output {format_shape(output_shape)} is not a square image",
                        fix="modelSize describes square images; generate H = W")
    return {"modelSize": height, "modelLatentDim": input_shape[1]}


# --- parsing ----------------------------------------------------------------------------------


def _describe(source: Any) -> str:
    if isinstance(source, str | os.PathLike):
        return os.fspath(source)
    return "<bytes>" if isinstance(source, bytes) else "<object>"


def _load(source: Any, report: Report) -> dict[str, Any] | None:
    """The manifest object, or None after recording why there is none."""
    if isinstance(source, str | os.PathLike | bytes):
        result = read_json(source, max_bytes=MAX_MANIFEST_BYTES, what="manifest")
        report.findings.extend(result.findings)
        if not result.ok:
            return None
        source = result.value
    if not isinstance(source, Mapping):
        report.add("manifest.not-object", "fail",
                   f"the manifest is {_describe_value(source)}, not an object",
                   'a manifest is one JSON object: {"description": ..., "model": ..., '
                   '"modelSize": ..., "modelLatentDim": ...}')
        return None
    if "modelTopology" in source:
        report.add("manifest.is-model-json", "fail",
                   "this is a TF.js model.json, not a manifest",
                   "validate the manifest.json that points to it; create one with "
                   "`ml5-dcgan manifest create --from-model model.json`")
        return None
    return dict(source)


# --- schema -----------------------------------------------------------------------------------


@cache
def _validator() -> Draft202012Validator:
    """Built on first use: importing jsonschema costs more than the rest of the CLI start-up."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator(load_schema(SCHEMA_FILE))


def _schema_findings(manifest: Mapping[str, Any]) -> list[Finding]:
    """One finding per missing or wrong field (its most basic problem), in the schema's order."""
    missing = [field for field in _validator().schema["required"] if field not in manifest]
    findings = [Finding("schema.required", "fail", f'the required field "{field}" is missing',
                        _hint(field), f"/{field}") for field in missing]
    errors = sorted((error for error in _validator().iter_errors(manifest)
                     if error.validator != "required"), key=_keyword_rank)
    for error in errors:
        finding = _schema_finding(error)
        if all(finding.pointer != earlier.pointer for earlier in findings):
            findings.append(finding)
    return sorted(findings, key=_field_order)


_KEYWORD_PRIORITY = ("type", "minLength", "pattern", "minimum")


def _keyword_rank(error: ValidationError) -> int:
    keyword = str(error.validator)
    return _KEYWORD_PRIORITY.index(keyword) if keyword in _KEYWORD_PRIORITY else 99


def _field_order(finding: Finding) -> tuple[int, str]:
    field = finding.pointer.removeprefix("/")
    return (REQUIRED_FIELDS.index(field) if field in REQUIRED_FIELDS else len(REQUIRED_FIELDS),
            finding.pointer)


def _schema_finding(error: ValidationError) -> Finding:
    pointer = _pointer(error.absolute_path)
    field = str(error.absolute_path[0]) if error.absolute_path else ""
    value, keyword = error.instance, str(error.validator)
    if field == "modelLabels":
        message = _labels_message(error)
    elif keyword == "type":
        expected = _JSON_TYPE_NAMES.get(str(error.validator_value), str(error.validator_value))
        message = f"{field} must be {expected}, not {_describe_value(value)}"
    elif keyword == "minLength":
        message = f"{field} is empty"
    elif keyword == "pattern" and field == "description":
        message = "description is only whitespace"
    elif keyword == "pattern" and field == "model":
        message = (f"model must be an http(s) URL or a path ending in .json, not "
                   f"{preview(value)}")
    elif keyword == "minimum":
        message = f"{field} must be at least {error.validator_value}, not {preview(value)}"
    else:
        message = f"{field or 'the manifest'}: {printable(error.message[:200])}"
    return Finding(f"schema.{keyword}", "fail", message, _hint(field), pointer)


def _labels_message(error: ValidationError) -> str:
    """modelLabels' own words: which class name is wrong, not the schema keyword."""
    path, keyword, value = error.absolute_path, str(error.validator), error.instance
    where = f"modelLabels[{path[1]}]" if len(path) > 1 else "modelLabels"
    if keyword == "type":
        expected = _JSON_TYPE_NAMES.get(str(error.validator_value), str(error.validator_value))
        return f"{where} must be {expected}, not {_describe_value(value)}"
    if keyword == "uniqueItems":
        return f"modelLabels names a class twice: {preview(value)}"
    if keyword == "minItems":
        return "modelLabels is empty: a labelled generator has at least one class"
    return f"{where} is empty or only whitespace: every class needs a name"


def _hint(field: str) -> str:
    """The field's own hint; for optional fields, the schema's description of them."""
    if field in _FIELD_HINTS:
        return _FIELD_HINTS[field]
    described = _validator().schema["properties"].get(field, {}).get("description")
    return f"{field} is optional: fix it or leave it out. {described or ''}".strip()


def _pointer(path: Any) -> str:
    """RFC 6901 JSON pointer from a jsonschema path."""
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


# --- what ml5 trips on ------------------------------------------------------------------------


def _ml5_findings(manifest: Mapping[str, Any]) -> Iterator[Finding]:
    model, description = manifest.get("model"), manifest.get("description")
    size, latent_dim = _whole(manifest.get("modelSize")), _whole(manifest.get("modelLatentDim"))
    if isinstance(model, str):
        yield from _model_location_findings(model)
    if size is not None and size > 0:
        yield from _size_findings(size, description if isinstance(description, str) else "")
    low, high = LATENT_DIM_RANGE
    if latent_dim is not None and latent_dim > 0 and not low <= latent_dim <= high:
        yield Finding("manifest.latent-dim-unusual", "warn",
                      f"modelLatentDim {latent_dim} is outside the usual {low} to {high}",
                      _FIELD_HINTS["modelLatentDim"], "/modelLatentDim")


def _model_location_findings(model: str) -> Iterator[Finding]:
    lowered = model.lower()
    if lowered.startswith("http://"):
        yield Finding("manifest.model-insecure-url", "warn",
                      f"model {preview(model)} is an http:// URL: browsers block it on https "
                      "pages (mixed content)", "serve the model over https://", "/model")
    if re.match(r"https?://(www\.)?github\.com/[^/]+/[^/]+/blob/", lowered):
        yield Finding("manifest.model-github-page", "warn",
                      f"model {preview(model)} is a GitHub web page, which serves HTML, "
                      "not the JSON file", "link the raw file: https://raw.githubusercontent.com"
                      "/OWNER/REPO/BRANCH/path/model.json", "/model")
    if lowered.startswith(("http://", "https://", "/")):
        return
    if "/" not in model.removeprefix("./"):
        yield Finding("manifest.model-same-folder", "info",
                      f"model {preview(model)} is resolved against the web page's URL, so it "
                      "loads only from a page in the manifest's folder",
                      "fine for a page next to manifest.json; for any other page use an "
                      "absolute URL", "/model")
    else:
        yield Finding("manifest.model-relative-path", "warn",
                      f"model {preview(model)} is a relative path: ml5 0.12.2 resolves it "
                      "against the web page's URL, not the manifest's folder",
                      "use an absolute URL (https://.../model.json), or keep the page, "
                      'manifest.json and model.json in one folder with "model": "model.json"',
                      "/model")


_SQUARE_SIZE = re.compile(r"(?<!\d)(\d{1,5}) ?[x×] ?(\d{1,5})(?!\d)")  # "64x64", "128 × 128"


def _size_findings(size: int, description: str) -> Iterator[Finding]:
    if size > LARGEST_USUAL_SIZE:
        yield Finding("manifest.model-size-large", "warn",
                      f"modelSize {size} is larger than {LARGEST_USUAL_SIZE}: no DCGAN that "
                      "runs in a browser generates images that big", _FIELD_HINTS["modelSize"],
                      "/modelSize")
    if size & (size - 1):
        yield Finding("manifest.model-size-not-power-of-two", "warn",
                      f"modelSize {size} is not a power of two, while a DCGAN doubles the image "
                      "side at each layer (32, 64, 128, ...)", _FIELD_HINTS["modelSize"],
                      "/modelSize")
    described = {int(side) for side, other in _SQUARE_SIZE.findall(description) if side == other}
    if len(described) == 1 and size not in described:
        yield Finding("manifest.description-size-mismatch", "warn",
                      f"the description says {described.pop()} pixels but modelSize is {size}",
                      "check the model's output shape [null, 3, H, W] and correct the one "
                      "that is wrong", "/modelSize")


# --- small helpers ----------------------------------------------------------------------------


def _whole(value: Any) -> int | None:
    """The value as an int when JSON Schema counts it as an integer (64 or 64.0), else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
        return None
    return int(value)


def _describe_value(value: Any) -> str:
    """``an array``, ``the string "64"``, ``0.5``: enough to see what is wrong, never long."""
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return f"the string {preview(value)}" if isinstance(value, str) else preview(value)


def _as_failure(finding: Finding) -> Finding:
    return dataclasses.replace(finding, severity="fail") if finding.severity == "warn" \
        else finding
