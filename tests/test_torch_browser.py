"""A PyTorch DCGAN generator, exported, draws PyTorch's own pixels on every browser stack."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from test_browser import assert_every_stack_passes
from torch_zoo import save, torch_generator, torch_outputs

from ml5_dcgan_tools import export_bundle
from ml5_dcgan_tools.reference import Reference, write_reference
from ml5_dcgan_tools.web.browser_check import check_in_browser

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(("size", "nz", "nc", "how"), [
    (32, 100, 1, "dataparallel"),
    (32, 128, 3, "safetensors"),
])
def test_a_pytorch_bundle_draws_pytorchs_pixels_on_every_stack(tmp_path, size, nz, nc, how):
    net = torch_generator(size=size, nz=nz, nc=nc, bias=nc == 3)
    path = save(net, tmp_path / ("netG.safetensors" if how == "safetensors" else "netG.pth"), how)
    bundle = export_bundle(path, tmp_path / "bundle").out_dir
    # The bundle's reference becomes PyTorch's own images (gray shown as three equal channels),
    # so the pixels each page draws are compared with PyTorch, not with Keras.
    latents = torch.randn(3, nz).numpy()
    images = np.repeat(torch_outputs(net, latents), 3 // nc, axis=1)
    write_reference(bundle, Reference(latents, images), 1e-4)
    assert_every_stack_passes(check_in_browser(bundle), images=3)
