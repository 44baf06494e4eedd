"""`ml5-dcgan evaluate` on cases whose answer is known: real images score near real-vs-real,
blur scores worse, a constant generator is collapsed, a copying generator is memorising."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ml5_dcgan_tools.cli import main
from ml5_dcgan_tools.data.shapes import SHAPES, generate_shapes, labelled_shapes
from ml5_dcgan_tools.evaluation import evaluate_images
from ml5_dcgan_tools.evaluation.distribution import frechet_distance, kernel_distance
from ml5_dcgan_tools.evaluation.manifold import manifold_metrics
from ml5_dcgan_tools.evaluation.pattern import box_blur, has_pattern, shared_pattern

SIZE = 32
slow = pytest.mark.slow  # embeds about a thousand images: seconds on a shared CPU


def test_metrics_on_gaussians_with_known_answers() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((2, 1000, 8))
    shift = np.zeros(8)
    shift[0] = 3.0
    assert frechet_distance(a, b) < 0.15  # one distribution: 0 up to sampling noise
    assert frechet_distance(a, b + shift) == pytest.approx(9.0, abs=0.6)  # |mean shift|^2
    assert frechet_distance(a, 2 * b) == pytest.approx(8.0, abs=0.8)  # 8 x (2 - 1)^2
    kid, spread = kernel_distance(a, b)
    assert abs(kid) < 3 * spread + 1e-3 and kernel_distance(a, b + shift)[0] > 100 * spread
    same = manifold_metrics(a[:500], b[:500])
    assert min(same.precision, same.recall, same.coverage) > 0.9 and not same.collapsed
    far = manifold_metrics(a[:500], b[:500] + 10 * shift)
    assert max(far.precision, far.recall, far.coverage, far.density) == 0


def test_shared_pattern_counts_a_grid_pattern_not_detail_that_merely_repeats() -> None:
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 256, (200, 32, 32, 3), dtype=np.uint8)
    assert shared_pattern(noise) < 0.001  # independent detail averages out
    # One image drawn 200 times (what similar, aligned samples approach) is not a dot pattern:
    # its detail does not repeat on the pixel grid. (A circle: the long straight edge of an
    # upright square does repeat along its row of tiles, and one square 200 times scores ~0.1.)
    images, labels = labelled_shapes(12, 32)
    circle = images[list(labels[:, 0]).index(SHAPES.index("circle"))]
    same = np.repeat(circle[None], 200, axis=0)
    assert not has_pattern(shared_pattern(same), real_share=0.0)
    tiled = np.tile(rng.integers(0, 256, (1, 4, 4, 3), dtype=np.uint8), (200, 8, 8, 1))
    assert shared_pattern(tiled) == pytest.approx(1.0, abs=0.1)  # all of the detail is the grid


@pytest.fixture(scope="module")
def shapes() -> tuple[np.ndarray, np.ndarray]:
    """(training images, held-out images of the same distribution)"""
    images = generate_shapes(1200, SIZE, seed=7)
    return images[:800], images[800:]


def _blur(images: np.ndarray, times: int = 2) -> np.ndarray:
    x = images.astype(np.float32)
    for _ in range(times):
        x = box_blur(x)
    return x.round().astype(np.uint8)


def _run(*args: str, capsys: pytest.CaptureFixture) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    captured = capsys.readouterr()
    return exit_.value.code, captured.out + captured.err


@slow
def test_held_out_real_images_score_like_real_images(shapes) -> None:
    train, held_out = shapes
    report = evaluate_images(held_out, train)
    m = report.manifold
    assert report.fd_real is not None and report.fd < 1.5 * report.fd_real
    assert abs(report.kid) < 3 * report.kid_std + 0.01
    assert min(m.precision, m.recall, m.coverage) > 0.9 and 0.8 < m.density < 1.25
    assert 0.9 < m.diversity < 1.1 and not m.collapsed
    assert not report.memorisation.memorising and not report.patterned
    assert any("only 400 samples" in w for w in report.warnings)


@slow
def test_blurred_images_score_worse_than_sharp_ones(shapes) -> None:
    train, held_out = shapes
    sharp, blurred = evaluate_images(held_out, train), evaluate_images(_blur(held_out), train)
    assert blurred.fd > sharp.fd + 2 * abs(sharp.fd - sharp.fd_real)
    assert blurred.kid - sharp.kid > blurred.kid_std + sharp.kid_std


@slow
def test_a_dot_pattern_on_every_sample_is_flagged(shapes) -> None:
    train, held_out = shapes
    dots = np.zeros((SIZE, SIZE, 1), np.int16)
    dots[::2, ::2] = 12  # a faint period-2 grid, as transposed convolutions leave
    dotted = np.clip(held_out.astype(np.int16) + dots, 0, 255).astype(np.uint8)
    clean, report = evaluate_images(held_out, train), evaluate_images(dotted, train)
    assert report.patterned and not clean.patterned
    assert report.pattern > 10 * clean.pattern and report.fd > clean.fd


@slow
def test_one_image_over_and_over_is_mode_collapse(shapes) -> None:
    train, held_out = shapes
    report = evaluate_images(np.repeat(held_out[:1], 200, axis=0), train)
    assert report.manifold.collapsed and report.manifold.diversity < 0.05
    assert report.manifold.recall < 0.05 and report.fd > 5 * report.fd_real


@slow
def test_copies_of_training_images_are_named(shapes) -> None:
    train, held_out = shapes
    fake = np.concatenate([train[10:60], held_out[:150]])  # a quarter are copies
    names = [f"img-{i}.png" for i in range(len(train))]
    report = evaluate_images(fake, train, names=names)
    assert report.memorisation.memorising
    named = dict(zip((c.sample for c in report.memorisation.copies), report.copy_names,
                     strict=True))
    assert all(named.get(i) == f"img-{10 + i}.png" for i in range(50))
    assert len(named) < 50 + 0.05 * 150  # few held-out images pass for copies
    assert report.as_dict()["memorisation"]["copies"][0]["training_image"].startswith("img-")


# ---- through the command line, from real generator files -------------------------------------

def _constant_generator(path: Path) -> Path:
    from ml5_dcgan_tools.model import build_generator

    model = build_generator(SIZE, latent_dim=16, width=8)
    last = model.get_layer("to_rgb")
    last.set_weights([np.zeros_like(w) for w in last.get_weights()])
    model.save(path)
    return path


def _copying_generator(images: np.ndarray, path: Path) -> Path:
    """latent -> (nearly one-hot softmax over the images) -> that training image."""
    import keras

    rng = np.random.default_rng(0)
    z = keras.Input((16,))
    choice = keras.layers.Dense(len(images), activation="softmax")(z)
    pixels = keras.layers.Dense(SIZE * SIZE * 3, use_bias=False)(choice)
    model = keras.Model(z, keras.layers.Reshape((SIZE, SIZE, 3))(pixels))
    model.layers[1].set_weights([rng.standard_normal((16, len(images))) * 200,
                                 np.zeros(len(images))])
    model.layers[2].set_weights([images.reshape(len(images), -1) / 127.5 - 1])
    model.save(path)
    return path


@pytest.mark.slow
def test_cli_flags_a_constant_generator_as_collapsed(tmp_path: Path, capsys) -> None:
    model = _constant_generator(tmp_path / "constant.keras")
    code, output = _run("evaluate", str(model), "--data", "shapes:400", "--samples", "100",
                        "--json", capsys=capsys)
    assert code == 0, output
    report = json.loads(output[output.index("{"):output.rindex("}") + 1])
    assert report["manifold"]["collapsed"] and report["samples"] == 100


@pytest.mark.slow
def test_cli_names_the_files_a_copying_generator_reproduces(tmp_path: Path, capsys) -> None:
    images = generate_shapes(300, SIZE, seed=3)
    data = tmp_path / "data"
    data.mkdir()
    for i, image in enumerate(images):
        Image.fromarray(image).save(data / f"shape-{i:03d}.png")
    model = _copying_generator(images[:40], tmp_path / "copier.keras")
    code, output = _run("evaluate", str(model), "--data", str(data), "--samples", "100",
                        capsys=capsys)
    assert code == 0, output
    assert "MEMORISING" in output
    named = {line.split(" copies ")[1].split()[0] for line in output.splitlines()
             if " copies shape-" in line}
    assert named and named <= {f"shape-{i:03d}.png" for i in range(40)}


@pytest.mark.slow
def test_run_keras_file_and_bundle_give_the_same_numbers(tmp_path: Path, capsys) -> None:
    from ml5_dcgan_tools import export_bundle
    from ml5_dcgan_tools.model import build_generator

    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text("{}")
    build_generator(SIZE, latent_dim=16, width=8).save(run / "generator.keras")
    export_bundle(run / "generator.keras", tmp_path / "bundle", verify=False)
    figures = []
    for source in (run, run / "generator.keras", tmp_path / "bundle"):
        code, output = _run("evaluate", str(source), "--data", "shapes:400", "--samples", "100",
                            "--json", capsys=capsys)
        assert code == 0, output
        report = json.loads(output[output.index("{"):output.rindex("}") + 1])
        figures.append([report["fd"], report["kid"], report["manifold"]["precision"],
                        report["manifold"]["diversity"]])
    assert figures[0] == figures[1]
    assert np.allclose(figures[0], figures[2], rtol=0.01, atol=1e-4)


@slow
def test_cli_refuses_a_missing_source_in_one_line(tmp_path: Path, capsys) -> None:
    code, output = _run("evaluate", str(tmp_path / "nothing"), "--data", "shapes:100",
                        capsys=capsys)
    assert code != 0 and output.startswith("error: ") and len(output.strip().splitlines()) == 1
