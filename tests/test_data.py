"""Data loading: every kind of file a real image folder holds, the built-in set, IDX, the cache."""

from __future__ import annotations

import gzip
import io
import os
import struct
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ml5_dcgan_tools.data import MIN_IMAGES, load_images
from ml5_dcgan_tools.data.decode import Unusable, decode_image
from ml5_dcgan_tools.data.idx import read_idx
from ml5_dcgan_tools.data.pipeline import batch_order, batches_from
from ml5_dcgan_tools.data.shapes import generate_shapes
from ml5_dcgan_tools.errors import UserError

SIZE = 32


def _photo(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (height, width, 3), dtype=np.uint8))


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims `width` x `height`: what a decompression bomb looks like."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(b"\0" * 99)) + chunk(b"IEND", b""))


def make_messy_folder(root: Path, good: int = MIN_IMAGES) -> dict[str, int]:
    """A folder like the ones people really have; returns the skip counts it should produce."""
    (root / "nested" / "deeper").mkdir(parents=True)
    for i in range(good):
        _photo(48 + i, 40, seed=i).save(root / "nested" / f"photo{i}.png")
    buffer = io.BytesIO()
    _photo(64, 64).save(buffer, "JPEG")
    (root / "truncated.jpg").write_bytes(buffer.getvalue()[: len(buffer.getvalue()) // 2])
    (root / "corrupt.png").write_bytes(os.urandom(2000))
    (root / "empty.jpg").write_bytes(b"")
    (root / "notes.txt").write_text("not an image")
    (root / "data.json").write_text("{}")
    Image.new("RGB", (1, 1), "red").save(root / "one_pixel.png")
    (root / "bomb.png").write_bytes(_png_header_only(30000, 30000))
    (root / ".DS_Store").write_bytes(b"\0\1")  # hidden: ignored, not counted
    Image.new("RGBA", (40, 40), (255, 0, 0, 128)).save(root / "nested" / "rgba.png")
    Image.new("L", (40, 40), 90).save(root / "nested" / "deeper" / "grey.png")
    Image.new("LA", (40, 40), (90, 0)).save(root / "nested" / "deeper" / "grey_alpha.png")
    _photo(6000, 4000).save(root / "huge.jpg", quality=60)
    frames = [Image.new("P", (40, 40), c) for c in (1, 2)]
    frames[0].save(root / "anim.gif", save_all=True, append_images=frames[1:])
    _photo(40, 40).save(root / "photo.webp")
    _photo(40, 40).save(root / "photo.bmp")
    Image.fromarray(np.full((40, 40), 60000, np.uint16)).save(root / "sixteen_bit.png")
    return {"corrupt": 1, "truncated": 1, "empty": 1, "not an image": 2, "too small": 1,
            "too large": 1}


def test_messy_folder_loads_usable_images_and_counts_the_rest(tmp_path: Path) -> None:
    expected_skips = make_messy_folder(tmp_path / "photos")
    result = load_images(str(tmp_path / "photos"), SIZE, cache_dir=tmp_path / "cache")
    assert result.images.shape == (MIN_IMAGES + 8, SIZE, SIZE, 3)
    assert result.images.dtype == np.uint8
    assert result.skip_counts() == expected_skips
    assert "skipped 7: " in result.summary()
    assert "1 truncated" in result.summary() and "2 not an image" in result.summary()
    assert ("bomb.png", "too large") in result.skipped


def test_transparency_is_composited_onto_the_background(tmp_path: Path) -> None:
    path = tmp_path / "clear.png"
    Image.new("RGBA", (40, 40), (255, 0, 0, 0)).save(path)
    assert (decode_image(path, SIZE, background=(0, 0, 255)) == [0, 0, 255]).all()
    Image.new("RGBA", (40, 40), (255, 0, 0, 255)).save(path)
    assert (decode_image(path, SIZE) == [255, 0, 0]).all()


def test_grayscale_and_16_bit_become_rgb(tmp_path: Path) -> None:
    Image.new("L", (40, 40), 90).save(tmp_path / "grey.png")
    assert (decode_image(tmp_path / "grey.png", SIZE) == 90).all()
    Image.fromarray(np.full((40, 40), 65535, np.uint16)).save(tmp_path / "white16.png")
    assert (decode_image(tmp_path / "white16.png", SIZE) == 255).all()


def test_centre_crop_keeps_the_middle_of_a_wide_image(tmp_path: Path) -> None:
    wide = np.zeros((100, 300, 3), np.uint8)
    wide[:, 100:200] = 255  # a white square in the middle, black bands on both sides
    Image.fromarray(wide).save(tmp_path / "wide.png")
    assert decode_image(tmp_path / "wide.png", SIZE).min() >= 250


def test_huge_jpeg_decodes_at_reduced_scale(tmp_path: Path) -> None:
    _photo(6000, 4000).save(tmp_path / "huge.jpg", quality=60)
    with Image.open(tmp_path / "huge.jpg") as image:
        image.draft("RGB", (SIZE, SIZE))
        assert image.size == (750, 500)  # what decode_image asks for: 1/8 of the pixels per side
    assert decode_image(tmp_path / "huge.jpg", SIZE).shape == (SIZE, SIZE, 3)


@pytest.mark.parametrize(("content", "reason"), [
    (b"", "empty"), (b"GIF89a" + b"\0" * 20, "corrupt"), (b"hello", "corrupt")])
def test_unusable_files_say_why(tmp_path: Path, content: bytes, reason: str) -> None:
    (tmp_path / "x.gif").write_bytes(content)
    with pytest.raises(Unusable) as caught:
        decode_image(tmp_path / "x.gif", SIZE)
    assert caught.value.reason == reason


def test_too_few_usable_images_is_one_clear_error(tmp_path: Path) -> None:
    for i in range(3):
        _photo(40, 40, seed=i).save(tmp_path / f"{i}.png")
    (tmp_path / "bad.png").write_bytes(b"junk")
    with pytest.raises(UserError, match=r"only 3 usable images \(need at least 16\); skipped 1 "
                                        r"corrupt .*Fix: add more images"):
        load_images(str(tmp_path), SIZE, use_cache=False)


def test_unknown_data_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"DATA not found.*Fix: pass a folder"):
        load_images(str(tmp_path / "nope"), SIZE, use_cache=False)
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(UserError, match="not an MNIST-format IDX file"):
        load_images(str(tmp_path / "a.txt"), SIZE, use_cache=False)


def test_cache_skips_decoding_until_a_file_changes(tmp_path: Path, monkeypatch) -> None:
    make_messy_folder(tmp_path / "photos")
    first = load_images(str(tmp_path / "photos"), SIZE, cache_dir=tmp_path / "cache")
    import ml5_dcgan_tools.data as data

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded again")

    monkeypatch.setattr(data, "decoded_files", no_decoding)
    second = load_images(str(tmp_path / "photos"), SIZE, cache_dir=tmp_path / "cache")
    assert second.from_cache and not first.from_cache
    assert np.array_equal(first.images, second.images)
    assert second.skipped == first.skipped and "(cached)" in second.summary()
    monkeypatch.undo()
    os.utime(tmp_path / "photos" / "photo.bmp", ns=(1, 1))
    third = load_images(str(tmp_path / "photos"), SIZE, cache_dir=tmp_path / "cache")
    assert not third.from_cache


def test_a_folder_of_idx_files_points_at_the_idx_file(tmp_path: Path) -> None:
    _write_idx(tmp_path / "train-images-idx3-ubyte", np.zeros((20, 28, 28)), gzipped=False)
    with pytest.raises(UserError, match=r"holds IDX files: pass one as DATA, e\.g\. .*idx3-ubyte"):
        load_images(str(tmp_path), SIZE, use_cache=False)


def _write_idx(path: Path, array: np.ndarray, gzipped: bool) -> None:
    header = bytes([0, 0, 0x08, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    payload = header + array.astype(np.uint8).tobytes()
    path.write_bytes(gzip.compress(payload) if gzipped else payload)


@pytest.mark.parametrize("gzipped", [False, True])
def test_idx_images_load_as_rgb(tmp_path: Path, gzipped: bool) -> None:
    digits = np.random.default_rng(0).integers(0, 256, (20, 28, 28), dtype=np.uint8)
    path = tmp_path / ("images-idx3-ubyte" + (".gz" if gzipped else ""))
    _write_idx(path, digits, gzipped)
    assert np.array_equal(read_idx(path), digits)
    result = load_images(str(path), SIZE, use_cache=False)
    assert result.images.shape == (20, SIZE, SIZE, 3)
    assert (result.images[..., 0] == result.images[..., 2]).all()


def test_broken_idx_files_are_clear_errors(tmp_path: Path) -> None:
    path = tmp_path / "images-idx3-ubyte"
    _write_idx(path, np.zeros((20, 28, 28)), gzipped=False)
    path.write_bytes(path.read_bytes()[:-100])
    with pytest.raises(UserError, match="truncated IDX file"):
        load_images(str(path), SIZE, use_cache=False)
    _write_idx(path, np.zeros(20), gzipped=False)
    with pytest.raises(UserError, match=r"not a stack of images.*labels"):
        load_images(str(path), SIZE, use_cache=False)


def test_shapes_are_deterministic_and_varied() -> None:
    first, again = generate_shapes(64, SIZE, seed=3), generate_shapes(64, SIZE, seed=3)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, generate_shapes(64, SIZE, seed=4))
    assert first.std(axis=0).mean() > 40  # images differ from each other
    result = load_images("shapes:20", SIZE, use_cache=False)
    assert result.images.shape == (20, SIZE, SIZE, 3)
    assert "built-in 'shapes'" in result.summary()


def test_batch_order_is_a_seeded_permutation_per_epoch() -> None:
    order = batch_order(100, 16, epoch=2, seed=7)
    assert order.shape == (6, 16)  # the last, incomplete batch is dropped
    assert len(set(order.ravel())) == 96
    assert np.array_equal(order, batch_order(100, 16, epoch=2, seed=7))
    assert not np.array_equal(order, batch_order(100, 16, epoch=3, seed=7))


@pytest.mark.slow
def test_batches_run_on_across_epochs_from_any_step() -> None:
    images = np.arange(10, dtype=np.uint8).reshape(10, 1, 1, 1).repeat(3, axis=-1)
    in_order = np.concatenate([batch_order(10, 4, epoch, seed=3) for epoch in range(4)])
    for start in (0, 3):  # 2 batches an epoch: a resumed run starts mid-epoch 1
        got = [b.numpy()[:, 0, 0, 0] for b in batches_from(images, 4, seed=3, step=start).take(5)]
        np.testing.assert_array_equal(np.stack(got), in_order[start:start + 5])
