"""PyTorch generator files read without torch: real torch-written files in, the same tensors
and the architecture out; everything else refused in one line, nothing in the file ever run."""

from __future__ import annotations

import builtins
import io
import os
import pickle
import zipfile
from pathlib import Path

import numpy as np
import pytest
import torch
from test_cli_imports import imported_modules
from torch_zoo import save, torch_generator

from ml5_dcgan_tools.cli import main
from ml5_dcgan_tools.errors import UserError
from ml5_dcgan_tools.generators.torch_checkpoint import read_state_dict
from ml5_dcgan_tools.generators.torch_dcgan import recognise

SUFFIX = {"state_dict": ".pth", "dataparallel": ".pt", "safetensors": ".safetensors"}


def _file(tmp_path: Path, how: str = "state_dict", **shape) -> tuple[torch.nn.Module, Path]:
    net = torch_generator(**shape)
    return net, save(net, tmp_path / f"netG{SUFFIX.get(how, '.pth')}", how)


@pytest.mark.parametrize("how", ["state_dict", "dataparallel", "safetensors"])
def test_every_tensor_reads_back_exactly(tmp_path, how):
    net, path = _file(tmp_path, how, bias=True)
    prefix = "module." if how == "dataparallel" else ""
    state = read_state_dict(path)
    expected = net.state_dict()
    assert set(state) == {prefix + key for key in expected}
    for key, tensor in expected.items():
        assert state[prefix + key].dtype == tensor.numpy().dtype
        np.testing.assert_array_equal(state[prefix + key], tensor.numpy())


def test_views_offsets_and_other_dtypes_read_back_exactly(tmp_path):
    base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
    tensors = {"transposed": base.t(), "offset_view": base[1:, 2:], "half": base.half(),
               "bfloat16": base.bfloat16(), "double": base.double(), "long": base.long()}
    torch.save(tensors, tmp_path / "views.pth")
    state = read_state_dict(tmp_path / "views.pth")
    for key, tensor in tensors.items():
        np.testing.assert_array_equal(state[key], tensor.float().numpy())
        assert state[key].shape == tuple(tensor.shape)


@pytest.mark.parametrize(("size", "nz", "nc", "bias", "how"), [
    (32, 100, 3, False, "state_dict"),
    (32, 128, 1, True, "safetensors"),
    (64, 100, 1, False, "dataparallel"),
    (64, 128, 3, True, "state_dict"),
    (128, 100, 3, False, "safetensors"),
    (8, 16, 1, False, "state_dict"),
])
def test_the_architecture_is_read_from_names_and_shapes(tmp_path, size, nz, nc, bias, how):
    _, path = _file(tmp_path, how, size=size, nz=nz, nc=nc, bias=bias)
    generator = recognise(read_state_dict(path), str(path))
    assert (generator.size, generator.latent_dim, generator.channels) == (size, nz, nc)
    assert all((conv.bias is not None) == bias for conv in generator.convs)
    assert len(generator.norms) == len(generator.convs) - 1


def _refusal(capsys, *arguments: str) -> str:
    """Run the CLI; return its one error line (asserting there is one, and no traceback)."""
    with pytest.raises(SystemExit) as exited:
        main(list(arguments))
    assert exited.value.code != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) <= 2 and lines[-1].startswith("error: "), err  # after "exporting ..."
    return lines[-1]


def _resnet_state_dict() -> dict[str, torch.Tensor]:
    from torch import nn

    class Block(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(8, 8, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(8)

    class ResNetLike(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv1 = nn.Conv2d(3, 8, 7, 2, 3, bias=False)
            self.bn1 = nn.BatchNorm2d(8)
            self.layer1 = nn.Sequential(Block(), Block())
            self.fc = nn.Linear(8, 10)

    return ResNetLike().state_dict()


def test_a_resnet_state_dict_is_one_line_naming_what_did_not_match(tmp_path, capsys):
    torch.save(_resnet_state_dict(), tmp_path / "resnet.pth")
    line = _refusal(capsys, "export", str(tmp_path / "resnet.pth"), "--out", str(tmp_path / "b"))
    assert line.startswith("error: not a PyTorch DCGAN generator: tensor 'conv1.weight' is not "
                           "named like a Sequential layer's")
    assert not (tmp_path / "b").exists()


@pytest.mark.parametrize(("edit", "expected"), [
    (lambda s: s.pop("main.4.running_var"),
     "main.4 should be a BatchNorm2d with running statistics"),
    (lambda s: s.__setitem__("main.5.weight", torch.zeros(3)), "main.5 has weights where the "
     "generator has a ReLU"),
    (lambda s: s.__setitem__("main.3.weight", torch.zeros(64, 16, 3, 3)),
     "main.3.weight has shape [64, 16, 3, 3], not a 4x4 ConvTranspose2d's"),
    (lambda s: s.__setitem__("main.6.weight", torch.zeros(17, 8, 4, 4)),
     "main.3 writes 16 channels but main.4 normalises 16 and main.6 reads 17"),
    (lambda s: s.__setitem__("main.9.weight", torch.zeros(8, 2, 4, 4)),
     "the last layer writes 2 channels, not 1 or 3"),
    (lambda s: s.__setitem__("other.0.weight", torch.zeros(1)), "several modules"),
    (lambda s: s.__setitem__("main.999999999.weight", torch.zeros(1)),
     "layer main.999999999 would make an image over 4096 pixels wide"),
])
def test_a_generator_that_differs_is_refused_naming_the_difference(tmp_path, edit, expected):
    state = dict(torch_generator(size=32).state_dict())
    edit(state)
    torch.save(state, tmp_path / "edited.pth")
    with pytest.raises(UserError) as refused:
        recognise(read_state_dict(tmp_path / "edited.pth"), "edited.pth")
    assert str(refused.value).startswith("not a PyTorch DCGAN generator: ")
    assert expected in str(refused.value)


def test_a_whole_pickled_module_is_refused_with_how_to_resave(tmp_path, capsys):
    _, path = _file(tmp_path, "module")
    line = _refusal(capsys, "generate", str(path), "--out", str(tmp_path / "g.png"))
    assert "pickles a whole module (torch_zoo.Generator)" in line
    assert "torch.save(netG.state_dict(), 'netG.pth')" in line


def test_torchscript_and_multi_part_checkpoints_are_refused_with_how_to_resave(tmp_path):
    net = torch_generator()
    torch.jit.save(torch.jit.trace(net, torch.randn(1, 100, 1, 1)), tmp_path / "scripted.pt")
    torch.save({"netG": net.state_dict(), "epoch": 3}, tmp_path / "parts.pth")
    with pytest.raises(UserError, match="a TorchScript archive"):
        read_state_dict(tmp_path / "scripted.pt")
    with pytest.raises(UserError, match=r"several parts \(netG\), not one model's state_dict"
                                        ".*torch.save\\(netG.state_dict\\(\\), 'netG.pth'\\)"):
        read_state_dict(tmp_path / "parts.pth")


def test_the_legacy_format_is_refused_with_how_to_resave(tmp_path, capsys):
    torch.save(torch_generator().state_dict(), tmp_path / "old.pth",
               _use_new_zipfile_serialization=False)
    line = _refusal(capsys, "export", str(tmp_path / "old.pth"), "--out", str(tmp_path / "b"))
    assert "the legacy (non-zip) PyTorch format" in line
    assert "torch.save(netG.state_dict(), 'netG.pth')" in line


class _SystemCall:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


class _Exec:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return builtins.exec, (f"open({str(self.marker)!r}, 'w').close()",)


def _plain_pickle_in_zip(payload: object, path: Path) -> Path:
    """A hand-made archive: a torch-style ``archive/data.pkl`` that is any pickle at all."""
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", pickle.dumps(payload, protocol=2))
    return path


@pytest.mark.parametrize("payload", [_SystemCall, _Exec])
@pytest.mark.parametrize("wrapping", ["torch.save", "zip"])
def test_a_malicious_pickle_is_refused_and_never_runs(tmp_path, capsys, payload, wrapping):
    marker = tmp_path / "pwned"
    pickle.loads(pickle.dumps(payload(marker)))  # the payload is real: unpickling runs it
    assert marker.exists()
    marker.unlink()
    path = tmp_path / "evil.pth"
    state = {"main.0.weight": torch.zeros(2, 2, 4, 4), "main.1.bias": payload(marker)}
    if wrapping == "torch.save":
        torch.save(state, path)
    else:
        _plain_pickle_in_zip(payload(marker), path)
    line = _refusal(capsys, "export", str(path), "--out", str(tmp_path / "b"))
    name = "posix.system" if payload is _SystemCall else "__builtin__.exec"  # pickle protocol 2
    assert f"names {name}, outside the tensors-only whitelist: refused without running it" in line
    assert not marker.exists()


@pytest.mark.parametrize(("content", "expected"), [
    (b"not a checkpoint at all", "not a PyTorch checkpoint (not a zip archive)"),
    (None, "no <archive>/data.pkl entry"),
    (b"\x80\x02}q\x00(X\x01\x00\x00\x00aq", "unreadable checkpoint pickle"),
])
def test_other_unreadable_files_are_one_line(tmp_path, capsys, content, expected):
    path = tmp_path / "bad.pth"
    if content is None:
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("weights.bin", b"1234")
    elif content.startswith(b"\x80"):
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("archive/data.pkl", content)
    else:
        path.write_bytes(content)
    assert expected in _refusal(capsys, "export", str(path), "--out", str(tmp_path / "b"))


def test_a_storage_shorter_than_its_tensor_is_refused(tmp_path):
    path = tmp_path / "short.pth"
    torch.save({"main.0.weight": torch.zeros(2, 2, 4, 4)}, path)
    _rewrite(path, lambda name, data: data[:8] if "/data/" in name else data)
    with pytest.raises(UserError, match="unreadable checkpoint pickle: storage '0' holds 8 "
                                        "bytes, not 64 values"):
        read_state_dict(path)


def _rewrite(path: Path, change) -> None:
    """Rewrite each entry of a torch zip as ``change(name, data)`` returns it."""
    rewritten = io.BytesIO()
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(rewritten, "w") as target:
        for info in source.infolist():
            target.writestr(info, change(info.filename, source.read(info)))
    path.write_bytes(rewritten.getvalue())


def test_a_big_endian_archive_is_read_in_its_byte_order(tmp_path):
    weight = torch.randn(3, 5)
    torch.save({"w": weight}, tmp_path / "big.pth")
    _rewrite(tmp_path / "big.pth", lambda name, data: (
        b"big" if name.endswith("/byteorder") else
        np.frombuffer(data, "<f4").astype(">f4").tobytes() if "/data/" in name else data))
    np.testing.assert_array_equal(read_state_dict(tmp_path / "big.pth")["w"], weight.numpy())


def test_a_huge_view_of_a_small_storage_is_refused_before_it_is_built(tmp_path):
    torch.save({"main.0.weight": torch.zeros(1).expand(2**29, 2)}, tmp_path / "bomb.pth")
    with pytest.raises(UserError, match="the tensors are too large for an ml5 generator"):
        read_state_dict(tmp_path / "bomb.pth")


@pytest.mark.parametrize(("header", "expected"), [
    (b'{"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 64]}}', "do not fit"),
    (b'{"w": {"dtype": "C64", "shape": [1], "data_offsets": [0, 8]}}', "unsupported dtype"),
    (b'{"w": {"dtype": "F32", "shape": [-1], "data_offsets": [0, 4]}}', "invalid shape"),
    (b"[1, 2]", "not a JSON object"),
])
def test_a_bad_safetensors_header_is_one_line(tmp_path, header, expected):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(len(header).to_bytes(8, "little") + header + bytes(16))
    with pytest.raises(UserError, match=expected):
        read_state_dict(path)


def test_a_huge_safetensors_header_length_is_refused_before_reading(tmp_path):
    path = tmp_path / "huge.safetensors"
    path.write_bytes((2**60).to_bytes(8, "little") + b"{}")
    with pytest.raises(UserError, match="not a safetensors file"):
        read_state_dict(path)


def test_importing_the_package_and_refusing_a_file_never_import_torch(tmp_path):
    _, path = _file(tmp_path, "module")
    code, modules = imported_modules("export", str(path), "--out", str(tmp_path / "b"))
    assert code == 1
    assert "torch" not in modules and "safetensors" not in modules
    assert "numpy" in modules  # the probe sees what was imported
