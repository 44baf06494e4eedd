"""Hand-built bundles run inside the real TF.js 1.7.4 and 4.22.0 (Node) against numpy.

Spawns Node and installs the two TF.js runtime parts into the cache on first use: marked slow.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from bundle_factory import TinyGenerator, write_bundle

from ml5_dcgan_tools.contract import TFJS_VERSIONS
from ml5_dcgan_tools.runtime import compare_outputs, ensure_runtime, run_bundle

pytestmark = pytest.mark.slow
TOLERANCE = 1e-5


@pytest.fixture(scope="module", autouse=True)
def installed_runtime():
    return ensure_runtime()


@pytest.fixture(scope="module")
def latents():
    return np.random.default_rng(7).standard_normal((3, 8)).astype(np.float32)


@pytest.mark.parametrize("version", TFJS_VERSIONS)
@pytest.mark.parametrize("generator, shard_bytes", [
    (TinyGenerator(), 1000),  # the 1536-byte kernel straddles shards 1 and 2
    (TinyGenerator(bare_list=True), 4096),
], ids=["input-layer-two-shards", "bare-list"])
def test_output_matches_numpy_and_ml5_accepts(tmp_path, latents, version, generator, shard_bytes):
    weights = write_bundle(tmp_path, generator.topology(), generator.random_weights(),
                           shard_bytes=shard_bytes)
    run = run_bundle(tmp_path, latents, version)
    assert run.error is None and run.failed_at is None
    assert run.outputs.shape == (3, 3, 4, 4)
    assert compare_outputs(generator.predict(latents, weights), run.outputs) < TOLERANCE
    assert run.ml5_accepts and run.ml5_problem is None
    assert len(run.predict_seconds) == 3 and run.load_seconds > 0


def test_kernel_straddles_two_shards(tmp_path):
    write_bundle(tmp_path, TinyGenerator().topology(), TinyGenerator().random_weights(),
                 shard_bytes=1000)
    assert sorted(p.name for p in tmp_path.glob("*.bin")) == [
        "group1-shard1of2.bin", "group1-shard2of2.bin"]


@pytest.mark.parametrize("version", TFJS_VERSIONS)
def test_uint8_quantized_weights_match_dequantized_numpy(tmp_path, latents, version):
    generator = TinyGenerator()
    weights = write_bundle(tmp_path, generator.topology(), generator.random_weights(),
                           quantization="uint8")
    run = run_bundle(tmp_path, latents, version)
    assert run.error is None
    assert compare_outputs(generator.predict(latents, weights), run.outputs) < TOLERANCE


@pytest.mark.parametrize("version", TFJS_VERSIONS)
def test_float16_weights_need_tfjs_2(tmp_path, latents, version):
    generator = TinyGenerator()
    weights = write_bundle(tmp_path, generator.topology(), generator.random_weights(),
                           quantization="float16")
    run = run_bundle(tmp_path, latents, version)
    if version == "1.7.4":
        assert run.failed_at == "load" and run.outputs is None and not run.ml5_accepts
        assert "unknown quantization dtype float16" in run.error
    else:
        assert run.error is None
        assert compare_outputs(generator.predict(latents, weights), run.outputs) < TOLERANCE


@pytest.mark.parametrize("version", TFJS_VERSIONS)
def test_channels_last_output_is_refused_by_ml5(tmp_path, latents, version):
    generator = TinyGenerator(side=6, channels_first=False)
    weights = write_bundle(tmp_path, generator.topology(), generator.random_weights())
    run = run_bundle(tmp_path, latents, version)
    assert run.error is None  # TF.js computes it fine ...
    assert compare_outputs(generator.predict(latents, weights), run.outputs) < TOLERANCE
    assert not run.ml5_accepts  # ... but ml5 cannot draw it
    assert "toPixels only supports depth of size 1, 3 or 4 but got 6" in run.ml5_problem


@pytest.mark.parametrize("version", TFJS_VERSIONS)
def test_output_outside_minus_one_one_is_refused_by_ml5(tmp_path, latents, version):
    generator = TinyGenerator(activation="linear")
    write_bundle(tmp_path, generator.topology(), generator.random_weights(scale=10.0))
    run = run_bundle(tmp_path, latents, version)
    assert run.error is None and not run.ml5_accepts
    assert "must be in the range [0 - 1]" in run.ml5_problem


@pytest.mark.parametrize("version", TFJS_VERSIONS)
def test_weight_name_mismatch_is_a_clean_load_error(tmp_path, latents, version):
    generator = TinyGenerator()
    renamed = {name.replace("dense_1", "dense_9"): array
               for name, array in generator.random_weights().items()}
    write_bundle(tmp_path, generator.topology(), renamed)
    run = run_bundle(tmp_path, latents, version)
    assert run.failed_at == "load" and not run.ml5_accepts
    assert run.error == "Provided weight data has no target variable: dense_9/kernel"


def test_wrong_latent_length_is_a_predict_error(tmp_path):
    generator = TinyGenerator()
    write_bundle(tmp_path, generator.topology(), generator.random_weights())
    run = run_bundle(tmp_path, np.zeros((1, 5), np.float32), "1.7.4")
    assert run.failed_at == "predict" and "[null,8]" in run.error


def _point_weights_at(bundle, path):
    model = json.loads((bundle / "model.json").read_text())
    model["weightsManifest"][0]["paths"] = [path]
    (bundle / "model.json").write_text(json.dumps(model))


@pytest.mark.parametrize("path, message", [
    ("../secret.bin", "must not leave the bundle folder"),
    ("/etc/hostname", "must be a relative path inside the bundle"),
    ("https://example.com/w.bin", "must be a relative path inside the bundle"),
    ("escape.bin", "is a link that points outside the bundle folder"),
    ("absent.bin", "is missing from the bundle"),
])
def test_weight_paths_stay_inside_the_bundle(tmp_path, path, message):
    bundle = tmp_path / "bundle"
    generator = TinyGenerator()
    write_bundle(bundle, generator.topology(), generator.random_weights())
    (tmp_path / "secret.bin").write_bytes((bundle / "group1-shard1of1.bin").read_bytes())
    os.symlink(tmp_path / "secret.bin", bundle / "escape.bin")
    _point_weights_at(bundle, path)
    run = run_bundle(bundle, np.zeros((1, 8), np.float32), "1.7.4")
    assert run.failed_at == "read" and message in run.error


def test_bytes_read_are_capped(tmp_path):
    generator = TinyGenerator()
    write_bundle(tmp_path, generator.topology(), generator.random_weights())
    limit = (tmp_path / "model.json").stat().st_size + 100
    run = run_bundle(tmp_path, np.zeros((1, 8), np.float32), "1.7.4", max_bytes=limit)
    assert run.failed_at == "read" and f"{limit}-byte limit" in run.error


def test_timeout_is_reported(tmp_path):
    generator = TinyGenerator()
    write_bundle(tmp_path, generator.topology(), generator.random_weights())
    run = run_bundle(tmp_path, np.zeros((1, 8), np.float32), "1.7.4", timeout=0.01)
    assert run.failed_at == "timeout" and "did not finish within 0.01 s" in run.error
