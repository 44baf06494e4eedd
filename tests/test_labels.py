"""Labelled data (issue 24): class folders, the built-in shapes and IDX labels files; each bad
layout is one line; the image store keeps labels beside pixels it leaves unchanged."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ml5_dcgan_tools.data import load_images
from ml5_dcgan_tools.data.cache import cache_key
from ml5_dcgan_tools.data.labels import MIN_PER_CLASS
from ml5_dcgan_tools.data.pipeline import batches_from
from ml5_dcgan_tools.data.shapes import generate_shapes, labelled_shapes
from ml5_dcgan_tools.data.store import ImageStore
from ml5_dcgan_tools.errors import UserError

SIZE = 32


def _images(folder: Path, count: int, colour: tuple[int, int, int]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        Image.new("RGB", (20, 20), colour).save(folder / f"{i:03d}.png")


@pytest.fixture
def art(tmp_path: Path) -> Path:
    """art/cats: 10 red images, art/dogs: 9 blue ones (one of them in a subfolder)."""
    _images(tmp_path / "art" / "cats", 10, (255, 0, 0))
    _images(tmp_path / "art" / "dogs", 8, (0, 0, 255))
    _images(tmp_path / "art" / "dogs" / "puppies", 1, (0, 0, 255))
    return tmp_path / "art"


def _failure(data: Path | str, tmp_path: Path, **options) -> str:
    with pytest.raises(UserError) as caught:
        load_images(str(data), SIZE, cache_dir=tmp_path / "cache", labels=True, **options)
    message = str(caught.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize("use_cache", [True, False])
def test_class_folders_label_every_image_with_its_folder(art: Path, tmp_path: Path,
                                                         use_cache: bool) -> None:
    loaded = load_images(str(art), SIZE, cache_dir=tmp_path / "cache", use_cache=use_cache,
                         labels=True)
    assert loaded.class_names == ["cats", "dogs"]
    assert loaded.labels.dtype == np.int32
    assert loaded.labels.tolist() == [0] * 10 + [1] * 9
    red = loaded.images[..., 0] > 200
    assert (red.all(axis=(1, 2)) == (loaded.labels == 0)).all()  # each label fits its pixels
    assert "2 classes: cats, dogs" in loaded.summary()


def test_unlabelled_loading_is_as_before(art: Path, tmp_path: Path) -> None:
    plain = load_images(str(art), SIZE, cache_dir=tmp_path / "cache")
    assert plain.labels is None and plain.class_names == []
    assert "classes" not in plain.summary()


def test_a_skipped_file_takes_no_label(art: Path, tmp_path: Path) -> None:
    (art / "cats" / "broken.png").write_bytes(b"not a png")
    loaded = load_images(str(art), SIZE, cache_dir=tmp_path / "cache", labels=True)
    assert loaded.labels.tolist() == [0] * 10 + [1] * 9
    assert [path for path, _ in loaded.skipped] == ["cats/broken.png"]


def test_shapes_are_labelled_by_their_shape_and_their_pixels_do_not_change(
        tmp_path: Path) -> None:
    loaded = load_images("shapes:256", SIZE, cache_dir=tmp_path / "cache", labels=True)
    images, truth = labelled_shapes(256, SIZE)
    assert loaded.class_names == ["circle", "square", "triangle"]
    np.testing.assert_array_equal(loaded.labels, truth[:, 0])
    np.testing.assert_array_equal(loaded.images, images)
    np.testing.assert_array_equal(loaded.images, generate_shapes(256, SIZE))


def _idx(path: Path, array: np.ndarray, code: int = 0x08) -> Path:
    head = struct.pack(">BBBB", 0, 0, code, array.ndim) + struct.pack(f">{array.ndim}I",
                                                                       *array.shape)
    path.write_bytes(head + array.astype(">u1").tobytes())
    return path


@pytest.fixture
def idx_pair(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    images = _idx(tmp_path / "images-idx3-ubyte", rng.integers(0, 256, (40, 8, 8)))
    labels = _idx(tmp_path / "labels-idx1-ubyte", np.array([3, 7, 9, 7] * 10))
    return images, labels


def test_idx_labels_name_the_digits_present(idx_pair: tuple[Path, Path], tmp_path: Path) -> None:
    images, labels = idx_pair
    loaded = load_images(str(images), SIZE, cache_dir=tmp_path / "cache", labels=True,
                         idx_labels_file=str(labels))
    assert loaded.class_names == ["3", "7", "9"]
    assert loaded.labels.tolist()[:4] == [0, 1, 2, 1]


def test_idx_labels_that_do_not_fit_are_one_line(idx_pair: tuple[Path, Path],
                                                 tmp_path: Path) -> None:
    images, _ = idx_pair
    short = _idx(tmp_path / "short-idx1-ubyte", np.array([1, 2] * 10))
    assert "20 labels for 40 images" in _failure(images, tmp_path, idx_labels_file=str(short))
    assert "needs its labels file" in _failure(images, tmp_path)
    assert "no such IDX labels file" in _failure(images, tmp_path,
                                                 idx_labels_file=str(tmp_path / "missing"))
    assert "one number per image" in _failure(images, tmp_path, idx_labels_file=str(images))
    assert "only with an IDX images file" in _failure("shapes:64", tmp_path,
                                                      idx_labels_file=str(short))


def test_one_class_is_one_line(tmp_path: Path) -> None:
    _images(tmp_path / "art" / "cats", 20, (255, 0, 0))
    assert "--labels needs at least 2 classes" in _failure(tmp_path / "art", tmp_path)


def test_a_class_with_three_images_is_named(art: Path, tmp_path: Path) -> None:
    _images(art / "birds", 3, (0, 255, 0))
    message = _failure(art, tmp_path)
    assert "class 'birds' has 3 usable images" in message
    assert f"at least {MIN_PER_CLASS}" in message


def test_empty_class_folders_are_named(art: Path, tmp_path: Path) -> None:
    (art / "birds").mkdir()
    (art / "fish" / "deep").mkdir(parents=True)
    assert "empty class folders: birds, fish" in _failure(art, tmp_path)


def test_loose_images_at_the_top_are_counted_with_an_example(art: Path, tmp_path: Path) -> None:
    _images(art, 2, (0, 0, 0))
    message = _failure(art, tmp_path)
    assert "2 images lie loose at the top level (e.g. 000.png)" in message
    assert "class folder" in message


def test_the_store_keeps_labels_beside_pixels_it_leaves_unchanged(art: Path,
                                                                  tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    load_images(str(art), SIZE, cache_dir=cache)
    before = {p.name: p.read_bytes() for p in cache.iterdir() if p.is_file()}
    labelled = load_images(str(art), SIZE, cache_dir=cache, labels=True)
    assert labelled.from_cache  # the same pixels: the labelled load reads the unlabelled entry
    after = {p.name: p.read_bytes() for p in cache.iterdir() if p.is_file()}
    added = sorted(set(after) - set(before))
    assert len(added) == 1 and added[0].endswith(".labels.npy")
    assert all(after[name] == content for name, content in before.items())
    key = added[0].removesuffix(".labels.npy")
    np.testing.assert_array_equal(ImageStore(cache).open_labels(key, 19), labelled.labels)
    # read back from the store, not worked out again
    np.save(cache / added[0], np.array([1] * 10 + [0] * 9, np.int32))
    assert load_images(str(art), SIZE, cache_dir=cache, labels=True).labels[0] == 1
    assert ImageStore(cache).open_labels(key, 20) is None  # not one per image: not used
    assert ImageStore(cache).open_labels(cache_key(["other"]), 19) is None


@pytest.mark.slow
def test_batches_carry_the_labels_of_their_images() -> None:
    images = np.arange(12, dtype=np.uint8).reshape(12, 1, 1, 1).repeat(3, axis=-1)
    labels = np.arange(12, dtype=np.int32) * 10
    batches = list(batches_from(images, 4, seed=5, step=3, labels=labels).take(3))
    for pixels, classes in batches:
        np.testing.assert_array_equal(pixels.numpy()[:, 0, 0, 0].astype(np.int32) * 10,
                                      classes.numpy())
    plain = list(batches_from(images, 4, seed=5, step=3).take(3))
    for (pixels, _), alone in zip(batches, plain, strict=True):
        np.testing.assert_array_equal(pixels.numpy(), alone.numpy())
