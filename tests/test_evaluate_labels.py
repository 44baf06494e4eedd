"""Label adherence on generators whose answer is known: one that ignores its label is recognised
about as often as chance, one whose picture is decided by its label about as often as held-out
real images; a classifier on shuffled labels cannot judge at all."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from ml5_dcgan_tools.cli import main
from ml5_dcgan_tools.data.shapes import SHAPES, labelled_shapes
from ml5_dcgan_tools.errors import UserError

pytestmark = pytest.mark.slow  # Keras generators and the embedding: seconds on a shared CPU

SIZE = 32
LATENT = 16
PER_CLASS = 30  # images each generator can draw per class: unseen by the classifier
CLASSES = list(SHAPES)


@pytest.fixture(scope="module")
def real() -> tuple[np.ndarray, np.ndarray]:
    """600 labelled shapes (circle, square, triangle): what the classifier learns from."""
    images, labels = labelled_shapes(600, SIZE, seed=1)
    return images, labels[:, 0]


@pytest.fixture(scope="module")
def drawable() -> np.ndarray:
    """(classes, PER_CLASS, H, W, 3): other images of each class, for the generators to draw."""
    images, labels = labelled_shapes(400, SIZE, seed=2)
    return np.stack([images[labels[:, 0] == c][:PER_CLASS] for c in range(len(CLASSES))])


def picking_generator(drawable: np.ndarray, *, follows: bool):
    """(latent, label) -> a nearly one-hot softmax over all drawable images -> that image.

    The latent's random weights pick among every image; with `follows`, the label adds a bonus
    far larger than the latent's part to the images of its own class, so the class is decided
    by the label; without it the label's weights are zero and the label changes nothing.
    """
    import keras

    classes, per_class = drawable.shape[:2]
    latent = keras.Input((LATENT,), name="latent")
    label = keras.Input((classes,), name="label")
    joined = keras.layers.Concatenate()([latent, label])
    choice = keras.layers.Dense(classes * per_class, activation="softmax")(joined)
    pixels = keras.layers.Dense(SIZE * SIZE * 3, use_bias=False)(choice)
    model = keras.Model([latent, label], keras.layers.Reshape((SIZE, SIZE, 3))(pixels))
    rng = np.random.default_rng(0)
    bonus = np.kron(np.eye(classes), np.ones((1, per_class))) * (1e4 if follows else 0.0)
    model.layers[3].set_weights([
        np.vstack([rng.standard_normal((LATENT, classes * per_class)) * 100, bonus]),
        np.zeros(classes * per_class)])
    model.layers[4].set_weights([drawable.reshape(classes * per_class, -1) / 127.5 - 1])
    return model


def test_a_generator_that_ignores_its_label_is_recognised_at_chance(real, drawable) -> None:
    from ml5_dcgan_tools.evaluation.labels import label_adherence

    images, labels = real
    result = label_adherence(picking_generator(drawable, follows=False), images, labels,
                             CLASSES, samples=90)
    assert result.classifier_accuracy > 0.85  # separable classes: a judge to trust
    assert result.chance == pytest.approx(1 / 3)
    assert abs(result.recognised - 1 / 3) < 0.12
    assert result.verdict == "LABELS NOT FOLLOWED"
    assert [c.name for c in result.classes] == CLASSES
    assert all(c.mistaken_for in CLASSES for c in result.classes)


def test_a_generator_decided_by_its_label_is_recognised_like_real_images(real, drawable) -> None:
    from ml5_dcgan_tools.evaluation.labels import label_adherence

    images, labels = real
    follows = label_adherence(picking_generator(drawable, follows=True), images, labels,
                              CLASSES, samples=90)
    swapped = label_adherence(picking_generator(np.roll(drawable, 1, axis=0), follows=True),
                              images, labels, CLASSES, samples=90)  # asked c, draws c - 1
    assert follows.recognised > 0.8
    assert abs(follows.recognised - follows.classifier_accuracy) < 0.12
    assert follows.verdict == "follows its labels"
    assert all(c.recognised > 0.6 for c in follows.classes)
    assert follows.held_out == 150 and follows.real_images == 600 and follows.samples == 90
    assert swapped.recognised < 0.15 and swapped.classifier_accuracy > 0.85
    assert [c.mistaken_for for c in swapped.classes] == ["triangle", "circle", "square"]
    # Per class, as varied images of the class asked for are nearer its real images than those
    # of another class.
    for right, wrong in zip(follows.classes, swapped.classes, strict=True):
        assert np.isfinite(right.fd) and right.fd < wrong.fd, (right, wrong)
    text = "\n".join(follows.lines())
    assert "held-out real images" in text and "circle" in text and "follows its labels" in text
    data = follows.as_dict()
    assert data["classes"][0]["name"] == "circle" and isinstance(data["classes"][0]["fd"], float)


def test_shuffled_labels_leave_the_classifier_at_chance(real, drawable) -> None:
    from ml5_dcgan_tools.evaluation.labels import label_adherence

    images, labels = real
    shuffled = np.random.default_rng(0).permutation(labels)
    result = label_adherence(picking_generator(drawable, follows=True), images, shuffled,
                             CLASSES, samples=30)
    assert result.classifier_accuracy < 0.5
    assert result.verdict.startswith("cannot judge")


def test_a_class_count_the_generator_does_not_take_is_one_line(real, drawable) -> None:
    from ml5_dcgan_tools.evaluation.labels import label_adherence

    images, labels = real
    with pytest.raises(UserError) as error:
        label_adherence(picking_generator(drawable[:2], follows=True), images, labels, CLASSES)
    assert "takes 2 labels but the data has 3 classes" in str(error.value)
    assert "\n" not in str(error.value)


# ---- through the command line ------------------------------------------------------------------

def _run(*args: str, capsys: pytest.CaptureFixture) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    captured = capsys.readouterr()
    return exit_.value.code, captured.out + captured.err


def test_labels_on_a_latent_only_generator_is_one_line(tmp_path: Path, capsys) -> None:
    from ml5_dcgan_tools.model import build_generator

    build_generator(SIZE, latent_dim=LATENT, width=8).save(tmp_path / "plain.keras")
    code, output = _run("evaluate", str(tmp_path / "plain.keras"), "--data", "shapes:100",
                        "--labels", capsys=capsys)
    assert code == 2 and output.startswith("error: ") and len(output.strip().splitlines()) == 1
    assert "--labels needs a labelled generator" in output


def test_a_labelled_generator_without_labelled_data_says_so_in_one_line(
        tmp_path: Path, drawable, capsys) -> None:
    picking_generator(drawable, follows=True).save(tmp_path / "labelled.keras")
    code, output = _run("evaluate", str(tmp_path / "labelled.keras"), "--data", "shapes:200",
                        "--samples", "100", "--json", capsys=capsys)
    assert code == 0, output
    report = json.loads(output[output.index("{"):output.rindex("}") + 1])
    notes = [w for w in report["warnings"] if "takes a label (3 classes)" in w]
    assert len(notes) == 1 and "--labels" in notes[0]
    assert "adherence" not in report


def test_evaluate_labels_reports_adherence_per_class(tmp_path: Path, drawable, capsys) -> None:
    """Needs labelled data loading (`load_images(..., labels=True)`, the labels-train part)."""
    from PIL import Image

    images, labels = labelled_shapes(240, SIZE, seed=5)
    for c, name in enumerate(CLASSES):
        (tmp_path / "data" / name).mkdir(parents=True)
        for i in np.flatnonzero(labels[:, 0] == c):
            Image.fromarray(images[i]).save(tmp_path / "data" / name / f"{i:03d}.png")
    picking_generator(drawable, follows=True).save(tmp_path / "labelled.keras")
    code, output = _run("evaluate", str(tmp_path / "labelled.keras"), "--data",
                        str(tmp_path / "data"), "--labels", "--samples", "90", "--json",
                        capsys=capsys)
    assert code == 0, output
    report = json.loads(output[output.index("{"):output.rindex("}") + 1])
    adherence = report["adherence"]
    assert [c["name"] for c in adherence["classes"]] == CLASSES
    assert adherence["samples"] == 30 and adherence["recognised"] > 0.6
    assert not any("takes a label" in w for w in report["warnings"])


def test_evaluate_labels_reads_an_idx_files_labels(tmp_path: Path, drawable, capsys) -> None:
    """An IDX DATA file (grey, like MNIST) takes its labels file with --idx-labels."""
    images, labels = labelled_shapes(240, SIZE, seed=6)
    grey = images.mean(axis=-1).astype(np.uint8)
    for name, array, code in (("images-idx3-ubyte", grey, 3), ("labels-idx1-ubyte",
                                                                labels[:, 0].astype(np.uint8), 1)):
        header = bytes([0, 0, 0x08, code]) + b"".join(
            int(side).to_bytes(4, "big") for side in array.shape)
        (tmp_path / name).write_bytes(header + array.tobytes())
    picking_generator(drawable, follows=True).save(tmp_path / "labelled.keras")
    code, output = _run("evaluate", str(tmp_path / "labelled.keras"), "--data",
                        str(tmp_path / "images-idx3-ubyte"), "--labels", "--idx-labels",
                        str(tmp_path / "labels-idx1-ubyte"), "--samples", "90", "--json",
                        capsys=capsys)
    assert code == 0, output
    adherence = json.loads(output[output.index("{"):output.rindex("}") + 1])["adherence"]
    assert [c["name"] for c in adherence["classes"]] == ["0", "1", "2"]
    code, output = _run("evaluate", str(tmp_path / "labelled.keras"), "--data",
                        str(tmp_path / "images-idx3-ubyte"), "--labels", capsys=capsys)
    assert code != 0 and output.count("\n") == 1 and "labels" in output
