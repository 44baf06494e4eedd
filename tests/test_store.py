"""The image store: decoded once, resumable when the decode is killed, never read half-written,
invalidated when files change, and what lets training run in memory smaller than its pixels."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

import ml5_dcgan_tools.data.folder as folder_module
from ml5_dcgan_tools.data import load_images

SIZE = 32


def _folder(root: Path, count: int, side: int = 40) -> Path:
    root.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for i in range(count):
        colour = rng.integers(0, 256, 3, dtype=np.uint8)
        picture = np.broadcast_to(colour, (side, side, 3)).copy()
        picture[i % side] = 255 - colour  # every image differs
        Image.fromarray(picture).save(root / f"{i:05d}.png")
    (root / "broken.png").write_bytes(b"not a png")
    (root / "readme.txt").write_text("skipped, and remembered across the restart")
    return root


def _count_decodes(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    calls: list[Path] = []
    real = folder_module.decode_image

    def counting(path: Path, *args, **kwargs):
        calls.append(path)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(folder_module, "decode_image", counting)
    return calls


SLOW_DECODE = textwrap.dedent("""
    import sys, time
    import ml5_dcgan_tools.data.folder as folder
    real = folder.decode_image
    def slow(*args, **kwargs):
        time.sleep(0.02)  # a big photo: long enough to be stopped mid-decode
        return real(*args, **kwargs)
    folder.decode_image = slow
    from pathlib import Path
    from ml5_dcgan_tools.data import load_images
    load_images(sys.argv[1], int(sys.argv[2]), cache_dir=Path(sys.argv[3]))
""")


@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGINT])
def test_stopped_decode_resumes_without_decoding_committed_files_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, how: signal.Signals) -> None:
    photos, cache = _folder(tmp_path / "photos", 300), tmp_path / "cache"
    inputs = 302
    child = subprocess.Popen([sys.executable, "-c", SLOW_DECODE, str(photos), str(SIZE),
                              str(cache)], stderr=subprocess.PIPE, text=True)
    record = None
    deadline = time.monotonic() + 120
    while record is None or record["done"] == 0:
        assert child.poll() is None, f"ended before it was stopped: {child.stderr.read()}"
        assert time.monotonic() < deadline, "no commit within 120 s"
        found = list(cache.glob("*.partial/progress.json"))
        record = json.loads(found[0].read_text()) if found else None
        time.sleep(0.05)
    child.send_signal(how)
    child.wait(timeout=60)
    assert child.returncode != 0
    assert not list(cache.glob("*.json")), "an unfinished store must never look finished"
    committed = json.loads(next(cache.glob("*.partial/progress.json")).read_text())
    assert 0 < committed["done"] < inputs
    if how == signal.SIGINT:  # Ctrl-C commits what was decoded before it exits
        assert committed["done"] >= record["done"]

    decodes = _count_decodes(monkeypatch)
    resumed = load_images(str(photos), SIZE, cache_dir=cache)
    assert len(decodes) == inputs - committed["done"], "committed files were decoded again"
    assert len(set(decodes)) == len(decodes)
    monkeypatch.undo()
    fresh = load_images(str(photos), SIZE, use_cache=False)
    assert isinstance(resumed.images, np.memmap)
    assert np.array_equal(resumed.images, fresh.images)
    assert sorted(resumed.skipped) == sorted(fresh.skipped) == [("broken.png", "corrupt"),
                                                                 ("readme.txt", "not an image")]
    assert not list(cache.glob("*.partial")), "the finished decode left its scratch folder"


def test_store_is_reused_rebuilt_when_damaged_and_invalidated_by_changes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    photos, cache = _folder(tmp_path / "photos", 20), tmp_path / "cache"
    first = load_images(str(photos), SIZE, cache_dir=cache)
    assert not first.from_cache
    (pixels,) = cache.glob("*.u8")
    assert pixels.stat().st_size == 20 * SIZE * SIZE * 3  # one uint8 array, nothing else

    decodes = _count_decodes(monkeypatch)
    again = load_images(str(photos), SIZE, cache_dir=cache)
    assert again.from_cache and not decodes
    assert np.array_equal(first.images, again.images)

    expected = np.array(first.images)  # reading a mapped file after it is cut short is SIGBUS
    del first, again
    with pixels.open("r+b") as file:  # a disk that filled up, a copy cut short
        file.truncate(pixels.stat().st_size // 2)
    repaired = load_images(str(photos), SIZE, cache_dir=cache)
    assert not repaired.from_cache and len(decodes) == 22
    assert np.array_equal(expected, repaired.images)

    os.utime(photos / "00003.png", ns=(1, 1))
    assert not load_images(str(photos), SIZE, cache_dir=cache).from_cache
    Image.new("RGB", (40, 40), "red").save(photos / "new.png")
    grown = load_images(str(photos), SIZE, cache_dir=cache)
    assert not grown.from_cache and len(grown.images) == 21
    assert not load_images(str(photos), 2 * SIZE, cache_dir=cache).from_cache
    # The two older decodes of this folder at this size were evicted by the newest; another
    # size is another slot and stays.
    kept = sorted(json.loads(p.read_text())["count"] for p in cache.glob("*.json"))
    assert len(list(cache.glob("*.u8"))) == 2 and kept == [21, 21]
    assert load_images(str(photos), SIZE, cache_dir=cache).from_cache


def test_unwritable_cache_decodes_into_memory(tmp_path: Path) -> None:
    photos = _folder(tmp_path / "photos", 20)
    (tmp_path / "file").write_text("")
    result = load_images(str(photos), SIZE, cache_dir=tmp_path / "file" / "cache")
    assert len(result.images) == 20 and not isinstance(result.images, np.memmap)


BOUNDED_TRAINING = textwrap.dedent("""
    import re, resource, sys
    from pathlib import Path
    import numpy as np
    import tensorflow as tf
    from ml5_dcgan_tools.data import load_images
    from ml5_dcgan_tools.data.pipeline import batches_from
    from ml5_dcgan_tools.training.config import TrainConfig
    from ml5_dcgan_tools.training.gan import Gan, make_train_step

    folder, cache, pixel_bytes = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3])
    config = TrainConfig(data=folder, size=256, latent_dim=16, width=4, batch_size=4)
    gan = Gan.build(config, loss_scaling=False)
    step = make_train_step(gan, config, tf.distribute.get_strategy())
    step(tf.zeros((4, 256, 256, 3), tf.uint8), tf.constant(0, tf.int64))  # traced, allocated
    status = open("/proc/self/status").read()
    data_now = int(re.search(r"VmData:\\s+(\\d+) kB", status).group(1)) * 1024
    limit = data_now + (128 << 20)  # what TensorFlow holds now, plus 128 MiB
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    assert pixel_bytes > limit, (pixel_bytes, limit)
    try:
        np.ones(pixel_bytes, np.uint8)
        raise SystemExit("the limit does not bite: the pixels fit in memory")
    except MemoryError:
        pass
    images = load_images(folder, 256, cache_dir=cache).images  # decodes into the store
    assert isinstance(images, np.memmap) and images.nbytes == pixel_bytes
    for i, batch in enumerate(batches_from(images, 4, seed=0).take(3)):
        losses = step(batch, tf.constant(i, tf.int64))
        assert all(np.isfinite(float(v)) for v in losses.values())
    print("trained", limit, pixel_bytes)
""")


@pytest.mark.slow
def test_trains_from_the_store_on_a_folder_bigger_than_its_memory_limit(tmp_path: Path) -> None:
    count = 3600  # 256-pixel images: 675 MiB of pixels
    photos = tmp_path / "photos"
    photos.mkdir()
    rng = np.random.default_rng(1)
    for i in range(count):
        Image.fromarray(rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)).save(
            photos / f"{i:05d}.png", compress_level=0)
    env = {**os.environ, "TF_NUM_INTEROP_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "2"}
    done = subprocess.run([sys.executable, "-c", BOUNDED_TRAINING, str(photos),
                           str(tmp_path / "cache"), str(count * 256 * 256 * 3)],
                          env=env, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.startswith("trained")
