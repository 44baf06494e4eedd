"""Bundles for the validator tests: a corpus of broken and hostile ones, each with the check that
must reject it, and ml5's own face and geo topologies given weights of the right sizes.

Every case starts from the same tiny, valid bundle (``good_bundle``: TinyGenerator from
bundle_factory, Dense -> Reshape -> Permute, output [null, 3, 4, 4], plus a manifest) and
breaks one thing. ``build(case, folder)`` writes it below ``folder`` and returns the TARGET to
validate; files meant to be reached from outside the bundle are written next to it, inside
``folder``.
"""

from __future__ import annotations

import json
import os
import stat
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from bundle_factory import TinyGenerator, write_bundle

GENERATOR = TinyGenerator()  # latent 8, output [null, 3, 4, 4]
SHARD = "group1-shard1of1.bin"
MANIFEST = {"description": "Tiny test generator", "model": "model.json", "modelSize": 4,
            "modelLatentDim": 8}


def good_bundle(folder: Path, generator: TinyGenerator = GENERATOR, *,
                quantization: str | None = None, **manifest: Any) -> Path:
    """A valid bundle: model.json, one shard, manifest.json. Returns the folder."""
    write_bundle(folder, generator.topology(), generator.random_weights(),
                 quantization=quantization)
    side = generator.side
    fields = {**MANIFEST, "modelSize": side, "modelLatentDim": generator.latent_dim, **manifest}
    (folder / "manifest.json").write_text(json.dumps(fields), encoding="utf-8")
    return folder


def edit_model(folder: Path, change: Callable[[dict[str, Any]], None]) -> None:
    path = folder / "model.json"
    document = json.loads(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(json.dumps(document), encoding="utf-8")


def specs(document: dict[str, Any]) -> list[dict[str, Any]]:
    return document["weightsManifest"][0]["weights"]


def layers(document: dict[str, Any]) -> list[dict[str, Any]]:
    return document["modelTopology"]["model_config"]["config"]["layers"]


def with_generated_weights(reference_dir: Path, folder: Path, seed: int = 0) -> Path:
    """A copy of an ml5 reference bundle (model.json + manifest.json, no weights) with random
    weights of the sizes its weightsManifest declares, cut into its own shard files. Scaled like
    trained ones: kernels by fan-in, positive BatchNormalization variances."""
    folder.mkdir(parents=True)
    for name in ("model.json", "manifest.json"):
        (folder / name).write_bytes((reference_dir / name).read_bytes())
    document = json.loads((folder / "model.json").read_text(encoding="utf-8"))
    rng = np.random.default_rng(seed)
    data = bytearray()
    for spec in specs(document):
        shape, kind = spec["shape"], spec["name"].rsplit("/", 1)[1]
        if kind in ("gamma", "moving_variance"):
            values = rng.uniform(0.5, 1.5, shape)
        elif kind == "kernel":
            values = rng.normal(0.0, 1.0 / np.sqrt(np.prod(shape[:-1])), shape)
        else:
            values = rng.normal(0.0, 0.1, shape)
        data += values.astype("<f4").tobytes()
    paths = document["weightsManifest"][0]["paths"]
    step = -(-len(data) // len(paths))
    for index, path in enumerate(paths):
        (folder / path).write_bytes(bytes(data[index * step:(index + 1) * step]))
    return folder


@dataclass(frozen=True)
class Case:
    name: str
    check: str  # the check id that must fail
    build: Callable[[Path], Path]  # folder -> TARGET


CASES: list[Case] = []


def case(name: str, check: str) -> Callable[[Callable[[Path], Path]], Callable[[Path], Path]]:
    def register(build: Callable[[Path], Path]) -> Callable[[Path], Path]:
        CASES.append(Case(name, check, build))
        return build
    return register


def build(name: str, folder: Path) -> Path:
    return next(item for item in CASES if item.name == name).build(folder)


# --- weights ----------------------------------------------------------------------------------


@case("truncated-shard", "weights.shard-truncated")
def _truncated_shard(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")
    data = (bundle / SHARD).read_bytes()
    (bundle / SHARD).write_bytes(data[:-10])
    return bundle


@case("missing-shard", "weights.shard-missing")
def _missing_shard(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")
    (bundle / SHARD).unlink()
    return bundle


@case("oversized-shard", "weights.shard-oversized")
def _oversized_shard(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")
    with (bundle / SHARD).open("ab") as shard:
        shard.write(bytes(16))
    return bundle


@case("extra-weight", "weights.unexpected")
def _extra_weight(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")
    edit_model(bundle, lambda document: specs(document).append(
        {"name": "dense_1/extra", "shape": [2], "dtype": "float32"}))
    with (bundle / SHARD).open("ab") as shard:
        shard.write(np.zeros(2, "<f4").tobytes())
    return bundle


def _first_spec_changed(**changes: Any) -> Callable[[Path], Path]:
    """A good bundle whose first weightsManifest entry says something else."""
    def change(folder: Path) -> Path:
        bundle = good_bundle(folder / "bundle")
        edit_model(bundle, lambda document: specs(document)[0].update(changes))
        return bundle
    return change


case("wrong-shape", "weights.shape-mismatch")(_first_spec_changed(shape=[48, 8]))  # was [8, 48]
case("renamed-weight", "weights.unexpected")(_first_spec_changed(name="dense_9/kernel"))
case("int32-kernel", "weights.dtype")(_first_spec_changed(dtype="int32"))


@case("duplicate-name", "weights.duplicate")
def _duplicate_name(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")
    edit_model(bundle, lambda document: specs(document).append(dict(specs(document)[1])))
    with (bundle / SHARD).open("ab") as shard:
        shard.write(np.zeros(48, "<f4").tobytes())
    return bundle


def _poisoned(value: float) -> Callable[[Path], Path]:
    def poison(folder: Path) -> Path:
        bundle = good_bundle(folder / "bundle")
        data = bytearray((bundle / SHARD).read_bytes())
        data[40:44] = np.float32(value).tobytes()
        (bundle / SHARD).write_bytes(bytes(data))
        return bundle
    return poison


case("nan-weight", "weights.not-finite")(_poisoned(float("nan")))
case("inf-weight", "weights.not-finite")(_poisoned(float("inf")))


@case("bad-quantization", "weights.quantization-invalid")
def _bad_quantization(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle", quantization="uint8")
    edit_model(bundle, lambda document: specs(document)[0]["quantization"].update(scale="big"))
    return bundle


# --- safety -----------------------------------------------------------------------------------


def _weights_at(path: str) -> Callable[[Path], Path]:
    """The shard moved next to the bundle and named by ``path`` (``{outside}``: its folder)."""
    def point(folder: Path) -> Path:
        bundle = good_bundle(folder / "bundle")
        (bundle / SHARD).rename(folder / "secret.bin")
        named = path.format(outside=folder)
        edit_model(bundle, lambda document: document["weightsManifest"][0].update(paths=[named]))
        return bundle
    return point


case("dotdot-weight-path", "safety.path-escape")(_weights_at("../secret.bin"))
case("absolute-weight-path", "safety.path-escape")(_weights_at("{outside}/secret.bin"))
case("url-weight-path", "safety.path-escape")(_weights_at("https://example.org/secret.bin"))


@case("symlinked-shard", "safety.symlink-escape")
def _symlinked_shard(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")
    (bundle / SHARD).rename(folder / "secret.bin")
    os.symlink(folder / "secret.bin", bundle / SHARD)
    return bundle


@case("symlinked-model-json", "safety.symlink-escape")
def _symlinked_model_json(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")
    (bundle / "model.json").rename(folder / "secret.json")
    os.symlink(folder / "secret.json", bundle / "model.json")
    return bundle


@case("fifo-shard", "safety.not-a-file")
def _fifo_shard(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")
    (bundle / SHARD).unlink()
    os.mkfifo(bundle / SHARD)  # reading it would block forever
    return bundle


@case("link-to-outside-file", "safety.symlink-escape")
def _link_to_outside_file(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")
    (folder / "secret.txt").write_text("not for the web")
    os.symlink(folder / "secret.txt", bundle / "notes.txt")  # unreferenced, but served
    return bundle


@case("manifest-model-outside", "safety.path-escape")
def _manifest_model_outside(folder: Path) -> Path:
    good_bundle(folder / "elsewhere")
    bundle = folder / "bundle"
    bundle.mkdir()
    (bundle / "manifest.json").write_text(json.dumps(
        {**MANIFEST, "model": "../elsewhere/model.json"}))
    return bundle


@case("huge-shape", "safety.too-many-elements")
def _huge_shape(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")
    edit_model(bundle, lambda document: specs(document)[0].update(shape=[10**6, 10**6]))
    return bundle


@case("huge-layer", "safety.too-many-elements")
def _huge_layer(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")

    def widen(document: dict[str, Any]) -> None:
        layers(document)[1]["config"]["units"] = 3 * 2**20 * 1024
        layers(document)[2]["config"]["target_shape"] = [32768, 32768, 3]
    edit_model(bundle, widen)
    return bundle


@case("lambda-layer", "safety.code-layer")
def _lambda_layer(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")
    edit_model(bundle, lambda document: layers(document).insert(2, {
        "class_name": "Lambda", "config": {
            "name": "lambda_1", "trainable": True, "function_type": "lambda",
            "function": ["4wEAAAAAAAAAAAAAAAEAAAACAAAAQwAAAHMIAAAAfABkARQAUwApAk7p", None, None],
            "output_shape": None, "arguments": {}}}))
    return bundle


@case("unknown-layer", "contract.unsupported-layer")
def _unknown_layer(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")
    edit_model(bundle, lambda document: layers(document).insert(2, {
        "class_name": "PixelShuffle", "config": {"name": "pixel_shuffle_1"}}))
    return bundle


@case("big-model-json", "safety.too-large")
def _big_model_json(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")
    with (bundle / "model.json").open("r+b") as file:
        file.truncate(200 * 2**20)  # sparse: 200 MB on paper, nothing on disk
    return bundle


@case("zip-slip", "safety.zip-slip")
def _zip_slip(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")
    archive = folder / "slip.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in bundle.iterdir():
            zipped.write(path, f"bundle/{path.name}")
        zipped.writestr("../evil.txt", "written outside")
    return archive


@case("zip-bomb", "safety.zip-bomb")
def _zip_bomb(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")
    archive = folder / "bomb.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zipped:
        for path in bundle.iterdir():
            zipped.write(path, path.name)
        zipped.writestr("padding.bin", bytes(16 * 2**20))  # ~16 KB compressed
    return archive


@case("zip-symlink", "safety.zip-symlink")
def _zip_symlink(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")
    archive = folder / "link.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in bundle.iterdir():
            zipped.write(path, path.name)
        link = zipfile.ZipInfo("notes.txt")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zipped.writestr(link, "/etc/passwd")
    return archive


# --- model.json -------------------------------------------------------------------------------


@case("non-utf8-model-json", "model.not-utf8")
def _non_utf8_model_json(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")
    (bundle / "model.json").write_bytes('{"modelTopology": "caf\u00e9"}'.encode("latin-1"))
    return bundle


@case("keras3-input-layer", "model.invalid")
def _keras3_input_layer(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")

    def keras3(document: dict[str, Any]) -> None:
        config = layers(document)[0]["config"]
        config["batch_shape"] = config.pop("batch_input_shape")
    edit_model(bundle, keras3)
    return bundle


# --- the ml5 contract -------------------------------------------------------------------------


@case("float16-for-ml5", "contract.float16")
def _float16(folder: Path) -> Path:
    return good_bundle(folder / "bundle", quantization="float16")


@case("channels-last-output", "contract.channels-last")
def _channels_last(folder: Path) -> Path:
    return good_bundle(folder / "bundle", TinyGenerator(side=8, channels_first=False))


@case("one-channel-output", "contract.grayscale-output")
def _one_channel(folder: Path) -> Path:
    return good_bundle(folder / "bundle", TinyGenerator(channels=1))


@case("linear-output", "contract.output-unbounded")
def _linear_output(folder: Path) -> Path:
    return good_bundle(folder / "bundle", TinyGenerator(activation="linear"))


@case("unknown-activation", "contract.unsupported-activation")
def _unknown_activation(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")
    edit_model(bundle, lambda document: layers(document)[1]["config"].update(
        activation="leaky_relu"))
    return bundle


@case("keras3-leaky-relu", "contract.unsupported-config")
def _keras3_leaky_relu(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")
    edit_model(bundle, lambda document: layers(document).insert(2, {
        "class_name": "LeakyReLU", "config": {"name": "leaky_re_lu_1", "negative_slope": 0.2}}))
    return bundle


@case("rank-3-input", "contract.input-shape")
def _rank_3_input(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")

    def flatten_first(document: dict[str, Any]) -> None:
        layers(document)[0]["config"]["batch_input_shape"] = [None, 2, 4]
        layers(document).insert(1, {"class_name": "Flatten", "config": {"name": "flatten_1"}})
    edit_model(bundle, flatten_first)
    return bundle


@case("flat-output", "contract.output-shape")
def _flat_output(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle")
    edit_model(bundle, lambda document: layers(document).__delitem__(slice(2, None)))
    return bundle


@case("latent-mismatch", "manifest.latent-mismatch")
def _latent_mismatch(folder: Path) -> Path:
    return good_bundle(folder / "bundle", modelLatentDim=16)


@case("size-mismatch", "manifest.size-mismatch")
def _size_mismatch(folder: Path) -> Path:
    return good_bundle(folder / "bundle", modelSize=64)


@case("manifest-model-missing", "manifest.model-not-found")
def _manifest_model_missing(folder: Path) -> Path:
    bundle = good_bundle(folder / "bundle", model="models/faces.json")
    (bundle / "model.json").rename(bundle / "other.json")
    return bundle
