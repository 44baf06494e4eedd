"""`ml5-dcgan generate`: sample grids and latent walks from a run folder, a .keras file or a
TF.js bundle."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

from ml5_dcgan_tools.cli import main
from ml5_dcgan_tools.generators.pictures import latent_walk
from ml5_dcgan_tools.model import build_generator

pytestmark = pytest.mark.slow  # trains real (tiny) networks: seconds per test


def _run(*args: str, capsys: pytest.CaptureFixture) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exit_:
        main(list(args))
    captured = capsys.readouterr()
    return exit_.value.code, captured.out + captured.err


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A run folder with a (random) generator of 32 pixels, latent 16; training is not needed."""
    run = tmp_path_factory.mktemp("run")
    (run / "config.json").write_text("{}")
    build_generator(32, latent_dim=16, width=8).save(run / "generator.keras")
    return run


def test_grid_from_a_run_folder(run_folder: Path, tmp_path: Path, capsys) -> None:
    code, output = _run("generate", str(run_folder), "--n", "9", "--seed", "3",
                        "--out", str(tmp_path / "grid.png"), capsys=capsys)
    assert code == 0, output
    with Image.open(tmp_path / "grid.png") as grid:
        assert grid.size == (3 * 32 + 2 * 2, 3 * 32 + 2 * 2)  # 3 x 3 with 2-pixel gaps
        first = np.asarray(grid)
    _run("generate", str(run_folder / "generator.keras"), "--n", "9", "--seed", "3",
         "--out", str(tmp_path / "again.png"), capsys=capsys)
    assert np.array_equal(first, np.asarray(Image.open(tmp_path / "again.png")))


def test_interpolation_gif_loops_through_latent_space(run_folder: Path, tmp_path: Path,
                                                      capsys) -> None:
    code, output = _run("generate", str(run_folder), "--interpolate", "--n", "4",
                        "--out", str(tmp_path / "walk.gif"), capsys=capsys)
    assert code == 0, output
    with Image.open(tmp_path / "walk.gif") as gif:
        assert gif.n_frames == 48 and gif.info["loop"] == 0


def test_latent_walk_stays_near_the_norm_of_its_keys() -> None:
    walk = latent_walk(4, 128, seed=0, frames_between=6)
    norms = np.linalg.norm(walk, axis=1)
    assert walk.shape == (24, 128) and norms.min() > 0.8 * norms.max()


def test_ml5_ready_channels_first_generators_work_too(tmp_path: Path, capsys) -> None:
    generator = build_generator(32, latent_dim=16, width=8)
    ml5_ready = keras.Sequential([generator, keras.layers.Permute((3, 1, 2))])
    ml5_ready.save(tmp_path / "ml5.keras")
    code, output = _run("generate", str(tmp_path / "ml5.keras"), "--n", "4",
                        "--out", str(tmp_path / "grid.png"), capsys=capsys)
    assert code == 0, output
    assert Image.open(tmp_path / "grid.png").size == (66, 66)


def test_unusable_sources_are_one_line_errors(tmp_path: Path, capsys) -> None:
    (tmp_path / "unfinished").mkdir()
    (tmp_path / "unfinished" / "config.json").write_text("{}")
    code, output = _run("generate", str(tmp_path / "unfinished"), capsys=capsys)
    assert code == 1 and "this run has no generator yet" in output
    assert len(output.strip().splitlines()) == 1
    code, output = _run("generate", str(tmp_path), capsys=capsys)
    assert code == 1 and "not a run folder or a .keras generator" in output
    code, output = _run("generate", str(tmp_path), "--interpolate", "--out", "x.png",
                        capsys=capsys)
    assert code == 2 and "--out must end in .gif" in output


def test_generate_checks_a_keras_file_like_export_before_loading_it(tmp_path: Path,
                                                                     capsys) -> None:
    """One loading policy (issue 9): the whitelist is read before Keras deserializes anything,
    so a Lambda's code never runs, whether the command is export or generate."""
    generator = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4 * 4 * 3),
                                  keras.layers.Lambda(lambda x: x * 2.0),
                                  keras.layers.Reshape((4, 4, 3))])
    generator.save(tmp_path / "lambda.keras")
    code, output = _run("generate", str(tmp_path / "lambda.keras"), "--out",
                        str(tmp_path / "x.png"), capsys=capsys)
    assert code == 1 and "Lambda layers run arbitrary Python code" in output
    assert not (tmp_path / "x.png").exists()


def test_a_bundle_generates_the_same_images_as_the_keras_model_it_came_from(tmp_path: Path):
    from generator_zoo import dcgan

    from ml5_dcgan_tools import export_bundle
    from ml5_dcgan_tools.generators.sampling import sample_grid

    dcgan(16).save(tmp_path / "generator.keras")
    export_bundle(tmp_path / "generator.keras", tmp_path / "bundle", verify=False)
    sample_grid(tmp_path / "generator.keras", tmp_path / "from-keras.png", count=9, seed=3)
    sample_grid(tmp_path / "bundle", tmp_path / "from-bundle.png", count=9, seed=3)
    from_keras = np.asarray(Image.open(tmp_path / "from-keras.png"), dtype=int)
    from_bundle = np.asarray(Image.open(tmp_path / "from-bundle.png"), dtype=int)
    assert from_keras.shape == from_bundle.shape
    assert np.abs(from_keras - from_bundle).max() <= 1
    assert from_keras.std() > 5  # real images, not a blank grid


def test_a_broken_bundle_is_refused_with_one_line(tmp_path: Path):
    from generator_zoo import dcgan

    from ml5_dcgan_tools import export_bundle

    export_bundle(dcgan(16), tmp_path / "bundle", verify=False)
    shard = next((tmp_path / "bundle").glob("group1-*.bin"))
    shard.write_bytes(shard.read_bytes()[:100])
    done = subprocess.run([sys.executable, "-m", "ml5_dcgan_tools", "generate",
                           str(tmp_path / "bundle"), "--out", str(tmp_path / "x.png")],
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("error: cannot load this bundle")
    assert not (tmp_path / "x.png").exists()
