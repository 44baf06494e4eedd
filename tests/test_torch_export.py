"""A PyTorch DCGAN generator becomes the same Keras model and a proven ml5 bundle: the numbers
are compared with PyTorch's own, layer by layer and through TF.js 1.7.4 and 4.22."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from test_cli_imports import imported_modules
from torch_zoo import save, torch_generator, torch_outputs, write_reference

from ml5_dcgan_tools import export_bundle, load_generator
from ml5_dcgan_tools.cli import main
from ml5_dcgan_tools.contract import RUNTIME_ATOL, TFJS_VERSIONS
from ml5_dcgan_tools.errors import UserError
from ml5_dcgan_tools.generators.torch_dcgan import (
    TORCH_BN_EPSILON,
    ConvLayer,
    _conv_weights,
    _dense_weights,
)

pytestmark = pytest.mark.slow

KERAS_ATOL = 1e-5


def _keras_images(model, latents: np.ndarray) -> np.ndarray:
    return np.asarray(model(latents, training=False)).transpose(0, 3, 1, 2)


def _latents(nz: int, count: int = 4, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((count, nz)).astype(np.float32)


def test_a_4_2_1_transposed_convolution_is_keras_same_padding_without_a_flip():
    """The mapping the exporter relies on, proven on one layer against torch itself."""
    from keras import layers

    torch.manual_seed(0)
    conv = torch.nn.ConvTranspose2d(5, 7, 4, 2, 1)
    image = torch.randn(2, 5, 6, 6)
    with torch.no_grad():
        expected = conv(image).numpy()
    layer = ConvLayer(conv.weight.detach().numpy(), conv.bias.detach().numpy())
    keras_conv = layers.Conv2DTranspose(7, 4, strides=2, padding="same")
    channels_last = image.numpy().transpose(0, 2, 3, 1)
    keras_conv.build(channels_last.shape)
    keras_conv.set_weights(_conv_weights(layer))
    got = np.asarray(keras_conv(channels_last)).transpose(0, 3, 1, 2)
    assert got.shape == expected.shape == (2, 7, 12, 12)
    np.testing.assert_allclose(got, expected, atol=KERAS_ATOL)
    flipped = [_conv_weights(layer)[0][::-1, ::-1], layer.bias]
    keras_conv.set_weights(flipped)
    flipped_out = np.asarray(keras_conv(channels_last)).transpose(0, 3, 1, 2)
    assert np.abs(flipped_out - expected).max() > 0.1  # a flip would be caught


def test_the_first_layer_on_a_1x1_latent_is_dense_then_reshape():
    from keras import layers

    torch.manual_seed(0)
    conv = torch.nn.ConvTranspose2d(6, 5, 4, 1, 0)
    z = torch.randn(3, 6, 1, 1)
    with torch.no_grad():
        expected = conv(z).numpy()
    dense = layers.Dense(4 * 4 * 5)
    dense.build((None, 6))
    dense.set_weights(_dense_weights(ConvLayer(conv.weight.detach().numpy(),
                                               conv.bias.detach().numpy())))
    got = np.asarray(dense(z.numpy()[:, :, 0, 0])).reshape(3, 4, 4, 5).transpose(0, 3, 1, 2)
    np.testing.assert_allclose(got, expected, atol=KERAS_ATOL)


@pytest.mark.parametrize(("size", "nz", "nc", "bias", "how"), [
    (32, 100, 3, False, "state_dict"),
    (32, 128, 1, True, "safetensors"),
    (64, 100, 1, False, "dataparallel"),
    (64, 128, 3, True, "state_dict"),
])
def test_the_keras_model_computes_what_pytorch_computes(tmp_path, size, nz, nc, bias, how):
    net = torch_generator(size=size, nz=nz, nc=nc, bias=bias)
    path = save(net, tmp_path / ("netG.safetensors" if how == "safetensors" else "netG.pth"), how)
    model = load_generator(path)
    assert model.input_shape == (None, nz) and model.output_shape == (None, size, size, nc)
    norms = [layer for layer in model.layers if layer.__class__.__name__ == "BatchNormalization"]
    assert norms and all(layer.epsilon == TORCH_BN_EPSILON for layer in norms)
    latents = _latents(nz)
    np.testing.assert_allclose(_keras_images(model, latents), torch_outputs(net, latents),
                               atol=KERAS_ATOL)


def test_keras_epsilon_would_be_caught(tmp_path):
    """The running variances of the test generators are small enough that BatchNorm's epsilon
    shows: with Keras's default 1e-3 the outputs leave the tolerance."""
    net = torch_generator(size=32)
    model = load_generator(save(net, tmp_path / "netG.pth"))
    for layer in model.layers:
        if layer.__class__.__name__ == "BatchNormalization":
            layer.epsilon = 1e-3
    latents = _latents(100)
    assert np.abs(_keras_images(model, latents) - torch_outputs(net, latents)).max() > KERAS_ATOL


@pytest.mark.parametrize(("size", "nz", "nc", "bias", "how"), [
    (32, 100, 1, False, "state_dict"),
    (32, 128, 3, False, "dataparallel"),
    (64, 128, 3, True, "safetensors"),
])
def test_the_bundle_matches_pytorch_in_both_tfjs_versions(tmp_path, size, nz, nc, bias, how):
    net = torch_generator(size=size, nz=nz, nc=nc, bias=bias)
    path = save(net, tmp_path / ("netG.safetensors" if how == "safetensors" else "netG.pth"), how)
    reference = write_reference(net, nz, tmp_path / "reference.npz")
    report = export_bundle(path, tmp_path / "bundle", torch_reference=reference)
    assert report.verified
    assert report.output_shape == [3, size, size] and report.latent_dim == nz
    assert [check.version for check in report.torch_checks] == list(TFJS_VERSIONS)
    for check in report.torch_checks:
        assert check.passed and check.ml5_accepts
        assert check.max_abs_error <= RUNTIME_ATOL
    manifest = json.loads((tmp_path / "bundle" / "manifest.json").read_text())
    assert manifest["modelSize"] == size and manifest["modelLatentDim"] == nz


def test_a_reference_of_another_generator_fails_verification(tmp_path):
    net = torch_generator(size=32)
    path = save(net, tmp_path / "netG.pth")
    other = write_reference(torch_generator(size=32, seed=1), 100, tmp_path / "other.npz")
    with pytest.raises(UserError, match=r"verification failed: TF\.js 1\.7\.4 output differs "
                                        r"from PyTorch by"):
        export_bundle(path, tmp_path / "bundle", torch_reference=other)
    assert not (tmp_path / "bundle").exists()


def test_cli_reports_the_largest_difference_and_refuses_a_mismatched_reference(tmp_path,
                                                                              capsys):
    net = torch_generator(size=32, nc=1)
    path = save(net, tmp_path / "netG.pth")
    reference = write_reference(net, 100, tmp_path / "reference.npz")
    with pytest.raises(SystemExit) as exited:
        main(["export", str(path), "--out", str(tmp_path / "b"), "--torch-reference",
              str(reference)])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    for version in TFJS_VERSIONS:
        assert f"TF.js {version} vs PyTorch ({reference}): max abs difference " in out
    np.savez(tmp_path / "wrong.npz", latents=np.zeros((2, 64, 1, 1), np.float32),
             outputs=np.zeros((2, 1, 32, 32), np.float32))
    with pytest.raises(SystemExit) as exited:
        main(["export", str(path), "--out", str(tmp_path / "c"), "--torch-reference",
              str(tmp_path / "wrong.npz")])
    assert exited.value.code == 2
    err = capsys.readouterr().err.splitlines()
    assert err[-1].startswith("error: latents of shape [2, 64], not [N, 100, 1, 1] or [N, 100]")


def test_exporting_a_pth_never_imports_torch(tmp_path):
    path = save(torch_generator(size=32), tmp_path / "netG.pth")
    code, modules = imported_modules("export", str(path), "--out", str(tmp_path / "bundle"),
                                     "--no-verify")
    assert code == 0 and (tmp_path / "bundle" / "model.json").is_file()
    assert "keras" in modules  # the probe sees the export's own heavy imports
    assert "torch" not in modules and "safetensors" not in modules
