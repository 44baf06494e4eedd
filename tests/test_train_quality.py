"""Quality evaluations during training, the best checkpoint, and --checkpoint in the commands
that read a run folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import keras
import numpy as np
import pytest

from ml5_dcgan_tools.cli import main
from ml5_dcgan_tools.errors import UsageError
from ml5_dcgan_tools.generators.run_folder import RunFolder, pick_generator
from ml5_dcgan_tools.training import TrainConfig, resume, train
from ml5_dcgan_tools.training.metrics import MetricsLog

pytestmark = pytest.mark.slow  # trains real (tiny) networks: seconds per test


@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ML5_DCGAN_CACHE", str(tmp_path / "cache"))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> RunFolder:
    """8 steps of a tiny model with EMA, evaluated every 3 steps and at the end (3, 6, 8)."""
    folder = tmp_path_factory.mktemp("quality") / "run"
    config = TrainConfig(data="shapes:128", size=32, latent_dim=16, width=8, epochs=2,
                         batch_size=32, log_every=2, checkpoint_every=4, ema=True,
                         eval_every=3)
    train(config, folder, quiet=True)
    return RunFolder(folder)


def test_evaluations_are_logged_and_the_best_is_kept(run: RunFolder) -> None:
    records = MetricsLog(run.metrics).read()
    evaluated = {r["step"]: r for r in records if "eval_fd" in r}
    assert sorted(evaluated) == [3, 6, 8]
    assert [r["step"] for r in records] == [2, 3, 4, 6, 8]  # losses logged with them
    for record in evaluated.values():
        assert record["eval_fd"] > 0 and 0 <= record["eval_precision"] <= 1
        assert np.isfinite(record["eval_kid"]) and "d_loss" in record
    best = json.loads(run.best.read_text())
    assert best["fd"] == pytest.approx(min(r["eval_fd"] for r in evaluated.values()), abs=1e-4)
    assert evaluated[best["step"]]["eval_fd"] == pytest.approx(best["fd"], abs=1e-4)
    generator = keras.models.load_model(run.generator_best, compile=False, safe_mode=True)
    assert generator.output_shape == (None, 32, 32, 3)
    if best["step"] == 8:  # the best is the last: the same weights as the final EMA generator
        final = keras.models.load_model(run.generator_ema, compile=False)
        for a, b in zip(generator.get_weights(), final.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
    events = b"".join(p.read_bytes() for p in run.tensorboard.glob("events.out.tfevents.*"))
    assert b"eval_fd" in events


def test_pick_generator_says_which_step_it_took(run: RunFolder) -> None:
    best = json.loads(run.best.read_text())
    path, note = pick_generator(run.path)
    assert path == run.generator_best and f"step {best['step']}" in note
    assert "never evaluated" not in note  # every step up to the last one saved was
    path, note = pick_generator(run.path, "last")
    assert path == run.generator_ema and "step 8" in note
    path, note = pick_generator(run.path, "step-8")
    assert path.name == "generator_step-8.keras" and "step 8" in note
    at_8 = keras.models.load_model(path, compile=False).get_weights()
    final = keras.models.load_model(run.generator_ema, compile=False).get_weights()
    assert all(np.array_equal(a, b) for a, b in zip(at_8, final, strict=True))
    with pytest.raises(UsageError, match=r"no checkpoint of step 5.*kept steps: 4, 8"):
        pick_generator(run.path, "step-5")
    with pytest.raises(UsageError, match="not one of last, best or step-N"):
        pick_generator(run.path, "newest")


def test_the_python_api_loads_the_checkpoint_the_commands_take(run: RunFolder,
                                                                tmp_path: Path) -> None:
    from ml5_dcgan_tools import load_generator

    copy = RunFolder(Path(shutil.copytree(run.path, tmp_path / "run")))
    best = keras.models.load_model(copy.generator_best, compile=False)
    best.set_weights([w + 1 for w in best.get_weights()])  # unlike the final EMA generator
    best.save(copy.generator_best)

    def same(a: keras.Model, b: keras.Model) -> bool:
        return all(np.array_equal(x, y) for x, y in zip(a.get_weights(), b.get_weights(),
                                                       strict=True))

    final = keras.models.load_model(copy.generator_ema, compile=False)
    assert same(load_generator(copy.path), best) and not same(best, final)
    assert same(load_generator(copy.path, "last"), final)


def test_generate_uses_the_best_checkpoint_and_says_so(run: RunFolder, tmp_path: Path,
                                                        capsys) -> None:
    best = json.loads(run.best.read_text())
    with pytest.raises(SystemExit) as exit_:
        main(["generate", str(run.path), "--n", "4", "--out", str(tmp_path / "grid.png")])
    output = capsys.readouterr()
    assert exit_.value.code == 0, output
    assert f"generator: best checkpoint: step {best['step']}" in output.err


def test_best_says_how_many_newer_steps_were_never_evaluated(run: RunFolder, tmp_path: Path,
                                                              capsys) -> None:
    """As a run killed after step 3's evaluation, or one from before stops evaluated, leaves
    its folder: evaluations up to step 3, checkpoints up to step 8."""
    old = RunFolder(tmp_path / "old")
    shutil.copytree(run.path, old.path)
    records = MetricsLog(old.metrics).read()
    old.metrics.write_text("".join(json.dumps({k: v for k, v in r.items() if r["step"] <= 3
                                               or not k.startswith("eval_")}) + "\n"
                                   for r in records))
    fd = next(r["eval_fd"] for r in records if r["step"] == 3)
    old.best.write_text(json.dumps({"step": 3, "fd": fd}))
    path, note = pick_generator(old.path)
    assert path == old.generator_best
    assert note == (f"best checkpoint: step 3 (Fréchet distance {fd:.2f} during training); the "
                    "last 5 steps (to step 8) were never evaluated: use --checkpoint step-8")
    with pytest.raises(SystemExit) as exit_:  # the run is finished: no resume advice
        main(["generate", str(old.path), "--n", "4", "--out", str(tmp_path / "grid.png")])
    output = capsys.readouterr()
    assert exit_.value.code == 0, output
    assert f"generator: {note}\n" in output.err


def test_without_evaluations_best_falls_back_to_the_last(tmp_path: Path) -> None:
    config = TrainConfig(data="shapes:64", size=32, latent_dim=16, width=8, epochs=1,
                         batch_size=32, eval_every=0, ema=False)
    train(config, tmp_path / "run", quiet=True)
    run = RunFolder(tmp_path / "run")
    assert not run.best.exists() and not run.generator_best.exists()
    path, note = pick_generator(run.path)
    assert path == run.generator and "no quality evaluation was recorded" in note


def test_resume_forgets_a_best_recorded_after_its_checkpoint(tmp_path: Path) -> None:
    config = TrainConfig(data="shapes:128", size=32, latent_dim=16, width=8, epochs=1,
                         batch_size=32, checkpoint_every=2, eval_every=3)
    run = RunFolder(tmp_path / "run")
    train(config, run.path, quiet=True)
    (run.checkpoints / "step-000000004.npz").unlink()  # as if killed between steps 3 and 4
    run.best.write_text(json.dumps({"step": 4, "fd": 0.0}))  # recorded after step 2
    resume(run.path, quiet=True)
    best = json.loads(run.best.read_text())  # the stale 0.0 forgotten, steps 3 and 4 redone
    assert best["step"] in (3, 4) and best["fd"] > 0
