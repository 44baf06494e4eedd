"""A labelled (conditional) run end to end: train --labels, its two-input generator, an exact
resume, and generate --label."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from ml5_dcgan_tools.cli import main
from ml5_dcgan_tools.contract import LAYER_CLASSES
from ml5_dcgan_tools.generators.run_folder import RunFolder, pick_generator
from ml5_dcgan_tools.model import build_generator
from ml5_dcgan_tools.training import TrainConfig, resume, train
from ml5_dcgan_tools.training.config import read_settings
from ml5_dcgan_tools.training.metrics import MetricsLog

pytestmark = pytest.mark.slow  # trains real (tiny) networks: seconds per test

SHAPES = ["circle", "square", "triangle"]


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ML5_DCGAN_CACHE", str(tmp_path / "cache"))


def _run(*args: str, capsys: pytest.CaptureFixture) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    captured = capsys.readouterr()
    return exit_.value.code, captured.out + captured.err


@pytest.fixture(scope="module")
def labelled_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`train shapes:256 --labels`: 8 steps of a 32-pixel model, evaluated at its last step."""
    out = tmp_path_factory.mktemp("labelled") / "run"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ML5_DCGAN_CACHE", str(out.parent / "cache"))
        with pytest.raises(SystemExit) as exit_:
            main(["train", "shapes:256", "--out", str(out), "--labels", "--size", "32",
                  "--width", "8", "--latent-dim", "16", "--epochs", "1", "--quiet"])
    assert exit_.value.code == 0
    return out


def test_a_labelled_run_writes_a_two_input_generator(labelled_run: Path) -> None:
    run = RunFolder(labelled_run)
    saved = json.loads(run.config.read_text())
    assert saved["labels"] is True and saved["class_names"] == SHAPES
    assert "3 classes: circle, square, triangle" in saved["run"]["data_summary"]
    for path in (run.generator, run.generator_ema, run.generator_best):
        model = keras.models.load_model(path)
        assert [tensor.name for tensor in model.inputs] == ["latent", "label"]
        assert [layer.name for layer in model.layers[:3]] == ["latent", "label", "latent_label"]
        assert model.input_shape == [(None, 16), (None, 3)]
        assert model.output_shape == (None, 32, 32, 3)
        assert {type(layer).__name__ for layer in model.layers} <= set(LAYER_CLASSES)
    assert "eval_fd" in MetricsLog(run.metrics).read()[-1]  # the quality tracker ran
    with Image.open(run.sample_path(1)) as grid:  # one row per class, 8 latents across
        assert grid.size == (8 * 34 - 2, 3 * 34 - 2)
    assert read_settings(run.config)["labels"] is True  # train again like this run


def test_a_checkpoint_of_a_labelled_run_rebuilds_its_two_inputs(labelled_run: Path) -> None:
    path, _ = pick_generator(labelled_run, "step-8")
    assert keras.models.load_model(path).input_shape == [(None, 16), (None, 3)]


def test_the_label_steers_the_generator(labelled_run: Path) -> None:
    model = keras.models.load_model(RunFolder(labelled_run).generator_ema)
    latents = np.random.default_rng(0).standard_normal((3, 16)).astype(np.float32)
    images = model.predict([latents[[0, 0, 0]], np.eye(3, dtype=np.float32)], verbose=0)
    assert not np.allclose(images[0], images[1]) and not np.allclose(images[1], images[2])


def test_labelled_resume_is_exact(tmp_path: Path) -> None:
    options = {"data": "shapes:128", "size": 32, "latent_dim": 16, "width": 8, "epochs": 2,
               "batch_size": 32, "log_every": 1, "checkpoint_every": 3, "augment": True,
               "eval_every": 0, "labels": True}
    train(TrainConfig(**options), tmp_path / "straight", quiet=True)
    train(TrainConfig(**{**options, "epochs": 1}), tmp_path / "resumed", quiet=True)
    resume(tmp_path / "resumed", epochs=2, quiet=True)
    straight = keras.models.load_model(tmp_path / "straight" / "generator_ema.keras")
    resumed = keras.models.load_model(tmp_path / "resumed" / "generator_ema.keras")
    assert len(straight.inputs) == 2
    for a, b in zip(straight.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    losses = [[r["d_loss"], r["g_loss"]] for r in
              MetricsLog(tmp_path / "straight" / "metrics.jsonl").read()]
    assert losses == [[r["d_loss"], r["g_loss"]] for r in
                      MetricsLog(tmp_path / "resumed" / "metrics.jsonl").read()]


def test_generate_draws_one_class_or_a_row_per_class(labelled_run: Path, tmp_path: Path,
                                                     capsys) -> None:
    code, output = _run("generate", str(labelled_run), "--label", "square", "--n", "4",
                        "--out", str(tmp_path / "squares.png"), capsys=capsys)
    assert code == 0, output
    with Image.open(tmp_path / "squares.png") as grid:
        assert grid.size == (2 * 34 - 2, 2 * 34 - 2)
    code, output = _run("generate", str(labelled_run), "--n", "6",
                        "--out", str(tmp_path / "rows.png"), capsys=capsys)
    assert code == 0, output
    with Image.open(tmp_path / "rows.png") as grid:  # 3 rows of 2
        rows = np.asarray(grid.convert("RGB"))
        assert grid.size == (2 * 34 - 2, 3 * 34 - 2)
    squares = np.asarray(Image.open(tmp_path / "squares.png").convert("RGB"))
    # --seed 0 gives the same first latent: row 2 (square) starts with the --label grid's first
    np.testing.assert_array_equal(rows[34:66, :32], squares[:32, :32])
    code, output = _run("generate", str(labelled_run), "--label", "square", "--interpolate",
                        "--n", "2", "--out", str(tmp_path / "walk.gif"), capsys=capsys)
    assert code == 0, output


def test_generate_refuses_a_label_it_does_not_know_in_one_line(labelled_run: Path,
                                                               tmp_path: Path, capsys) -> None:
    code, output = _run("generate", str(labelled_run), "--label", "hexagon",
                        "--out", str(tmp_path / "x.png"), capsys=capsys)
    assert code != 0 and "Traceback" not in output
    error = output.strip().splitlines()[-1]  # after the line saying which checkpoint it is
    assert error.startswith("error: unknown label 'hexagon'")
    assert "circle, square, triangle" in error
    assert not (tmp_path / "x.png").exists()


def test_a_bare_keras_file_names_its_classes_by_number(tmp_path: Path, capsys) -> None:
    build_generator(32, latent_dim=16, width=8, num_classes=2).save(tmp_path / "g.keras")
    code, output = _run("generate", str(tmp_path / "g.keras"), "--label", "1", "--n", "1",
                        "--out", str(tmp_path / "one.png"), capsys=capsys)
    assert code == 0, output
    code, output = _run("generate", str(tmp_path / "g.keras"), "--label", "cats",
                        "--out", str(tmp_path / "x.png"), capsys=capsys)
    assert code != 0 and "0, 1" in output and len(output.strip().splitlines()) == 1


def test_a_label_for_an_unlabelled_generator_is_one_line(tmp_path: Path, capsys) -> None:
    build_generator(32, latent_dim=16, width=8).save(tmp_path / "plain.keras")
    code, output = _run("generate", str(tmp_path / "plain.keras"), "--label", "cats",
                        "--out", str(tmp_path / "x.png"), capsys=capsys)
    assert code != 0 and "Traceback" not in output
    assert len(output.strip().splitlines()) == 1 and "labelled generator" in output


@pytest.mark.parametrize("mixed", [False, True])
def test_a_labelled_step_trains_every_new_weight(mixed: bool) -> None:
    """Both networks' label weights learn, in float32 and under the mixed (bfloat16 on a CPU)
    policy, where the projection still adds up in float32."""
    import tensorflow as tf

    from ml5_dcgan_tools.data.shapes import labelled_shapes
    from ml5_dcgan_tools.model import dtype_policy
    from ml5_dcgan_tools.training.gan import Gan, make_train_step

    config = TrainConfig(data="shapes:32", size=32, latent_dim=16, width=8, batch_size=32,
                         labels=True, mixed_precision=mixed)
    images, truth = labelled_shapes(32, 32)
    with dtype_policy(mixed):
        gan = Gan.build(config, loss_scaling=False, num_classes=3)
        embed = gan.discriminator.get_layer("embed").kernel
        project = gan.generator.get_layer("project").kernel
        before = [embed.numpy(), project.numpy()]
        step = make_train_step(gan, config, tf.distribute.get_strategy())
        result = step((tf.constant(images), tf.constant(truth[:, 0], tf.int32)),
                      tf.constant(0, tf.int64))
    assert all(np.isfinite(float(value)) for value in result.values())
    assert gan.discriminator.output.dtype == "float32"
    assert project.shape == (16 + 3, 4 * 4 * 32)
    for old, new in zip(before, [embed.numpy(), project.numpy()], strict=True):
        assert not np.allclose(old, new)
