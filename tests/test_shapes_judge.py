"""The quickstart's judge (benchmarks/shapes_judge.py) gives the answers we know: real shapes are
recognised in all their classes, also under speckle; one repeated image covers one class; blobs
and lumps are not shapes."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from shapes_judge import judge, train_judge, warped

from ml5_dcgan_tools.data.shapes import labelled_shapes

pytestmark = pytest.mark.slow  # trains a small classifier: about 1.5 minutes


@pytest.fixture(scope="module")
def model():
    model, accuracy = train_judge()
    assert accuracy["shape"] > 0.95 and accuracy["colour"] > 0.9
    return model


def test_real_shapes_are_recognised_in_every_class(model) -> None:
    real = judge(model, labelled_shapes(1000, 32, seed=7)[0], "real")
    assert real.shape_confidence > 0.9 and real.recognisable > 0.85
    assert real.shape_balance > 0.95 and real.classes >= 22


def test_one_image_repeated_is_one_class(model) -> None:
    image = labelled_shapes(1, 32, seed=8)[0]
    repeated = judge(model, np.repeat(image, 500, axis=0), "repeated")
    assert repeated.classes == 1 and repeated.shape_balance == 0.0


def test_blobs_are_not_recognisable_shapes(model) -> None:
    images = labelled_shapes(500, 32, seed=9)[0].astype(np.float32)
    for _ in range(6):  # a wide box blur turns every shape into a soft blob
        images = sum(np.roll(images, (dy, dx), axis=(1, 2))
                     for dy in (-2, 0, 2) for dx in (-2, 0, 2)) / 9
    sharp = judge(model, labelled_shapes(500, 32, seed=9)[0], "sharp")
    blobs = judge(model, images.round().astype(np.uint8), "blobs")
    assert blobs.recognisable < sharp.recognisable - 0.3


def test_speckle_alone_does_not_hide_a_shape(model) -> None:
    clean = labelled_shapes(500, 32, seed=10)[0]
    noise = np.random.default_rng(0).normal(0, 16, clean.shape)
    speckled = np.clip(clean + noise, 0, 255).round().astype(np.uint8)
    assert judge(model, speckled, "speckled").recognisable > 0.85


def test_lumps_are_not_recognisable_shapes(model) -> None:
    images = labelled_shapes(500, 32, seed=11)[0]
    lumps = judge(model, warped(images, np.random.default_rng(1)), "lumps")
    assert lumps.recognisable < judge(model, images, "sharp").recognisable - 0.5
