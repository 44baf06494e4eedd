"""The trainer and its run folder, with models small enough for a shared 2-core CPU."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import keras
import numpy as np
import pytest
from PIL import Image

from ml5_dcgan_tools.contract import LAYER_CLASSES
from ml5_dcgan_tools.errors import UserError
from ml5_dcgan_tools.generators.pictures import GIF_MOST_FRAMES, ProgressGif
from ml5_dcgan_tools.generators.run_folder import RunFolder
from ml5_dcgan_tools.training import TrainConfig, resume, train
from ml5_dcgan_tools.training.metrics import MetricsLog
from ml5_dcgan_tools.training.progress import Progress

pytestmark = pytest.mark.slow  # trains real (tiny) networks: seconds per test



@pytest.fixture(autouse=True)
def _private_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ML5_DCGAN_CACHE", str(tmp_path / "cache"))


def tiny(**overrides) -> TrainConfig:
    """4 steps an epoch of a 32-pixel model with a few thousand parameters."""
    options = {"data": "shapes:128", "size": 32, "latent_dim": 16, "width": 8, "epochs": 2,
               "batch_size": 32, "log_every": 1, "checkpoint_every": 3, "ema": True,
               "augment": True}
    return TrainConfig(**{**options, **overrides})


def test_run_folder_holds_everything_a_person_and_the_exporter_need(tmp_path: Path) -> None:
    result = train(tiny(), tmp_path / "run", quiet=True)
    run = RunFolder(tmp_path / "run")
    assert (result.step, result.total_steps, result.interrupted) == (8, 8, False)
    saved = json.loads(run.config.read_text())
    assert saved["ema"] is True and saved["size"] == 32 and saved["data"] == "shapes:128"
    assert saved["mixed_precision"] is False  # float32 unless asked, whatever the CPU has
    assert saved["run"]["steps_per_epoch"] == 4 and saved["run"]["versions"]["tensorflow"]
    records = MetricsLog(run.metrics).read()
    assert [r["step"] for r in records] == list(range(1, 9))
    assert [r["epoch"] for r in records] == [1] * 4 + [2] * 4
    for key in ("d_loss", "g_loss", "images_per_sec"):
        assert all(np.isfinite(r[key]) for r in records)
    assert sorted(p.name for p in run.samples.iterdir()) == ["epoch-0001.png", "epoch-0002.png"]
    with Image.open(run.progress_gif) as gif:
        assert gif.n_frames == 2
    assert list(run.tensorboard.glob("events.out.tfevents.*"))
    assert sorted(p.name for p in run.checkpoints.iterdir()) == ["step-000000006.npz",
                                                                 "step-000000008.npz"]
    assert not [p for p in run.path.rglob(".*")]  # no temporary files left behind
    for path in (run.generator, run.generator_ema):
        generator = keras.models.load_model(path, safe_mode=True, compile=False)
        assert {type(layer).__name__ for layer in generator.layers} <= LAYER_CLASSES
        assert generator.output_shape == (None, 32, 32, 3)
        assert all(w.dtype == "float32" for w in generator.weights)
    live = keras.models.load_model(run.generator, compile=False).get_weights()
    average = keras.models.load_model(run.generator_ema, compile=False).get_weights()
    assert not np.allclose(live[0], average[0])


def test_a_bundle_exported_from_a_run_says_how_it_was_trained(tmp_path: Path) -> None:
    from ml5_dcgan_tools import export_bundle

    train(tiny(epochs=1), tmp_path / "run", quiet=True)
    export_bundle(tmp_path / "run", tmp_path / "bundle", verify=False)
    facts = json.loads((tmp_path / "bundle" / "training.json").read_text())
    assert facts["dataset"] == "shapes:128" and facts["images"] == 128
    assert facts["steps"] == 4 and facts["size"] == 32 and facts["ema"] is True
    assert facts["tool"].startswith("ml5-dcgan-tools ")
    assert str(tmp_path) not in json.dumps(facts)  # no local path is published


def test_resume_continues_exactly_where_the_run_stopped(tmp_path: Path) -> None:
    train(tiny(epochs=2), tmp_path / "straight", quiet=True)
    train(tiny(epochs=1), tmp_path / "resumed", quiet=True)
    resume(tmp_path / "resumed", epochs=2, quiet=True)
    straight = keras.models.load_model(tmp_path / "straight" / "generator_ema.keras")
    resumed = keras.models.load_model(tmp_path / "resumed" / "generator_ema.keras")
    for a, b in zip(straight.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    losses = [[r["d_loss"], r["g_loss"]] for r in
              MetricsLog(tmp_path / "straight" / "metrics.jsonl").read()]
    assert losses == [[r["d_loss"], r["g_loss"]] for r in
                      MetricsLog(tmp_path / "resumed" / "metrics.jsonl").read()]
    assert json.loads((tmp_path / "resumed" / "config.json").read_text())["epochs"] == 2


def test_a_time_budget_stops_like_ctrl_c_and_each_resume_gets_it_again(tmp_path: Path) -> None:
    train(tiny(epochs=1, eval_every=0), tmp_path / "straight", quiet=True)
    budget = tiny(epochs=1, eval_every=0, minutes=1e-6)  # over after every first step
    result = train(budget, tmp_path / "budget", quiet=True)
    assert (result.step, result.total_steps, result.interrupted) == (1, 4, True)
    run = RunFolder(tmp_path / "budget")
    assert run.generator.is_file() and run.generator_ema.is_file()
    assert [p.name for p in run.samples.iterdir()] == ["epoch-0001.png"]
    steps = [resume(run.path, quiet=True).step for _ in range(3)]
    assert steps == [2, 3, 4]
    straight = keras.models.load_model(tmp_path / "straight" / "generator_ema.keras")
    resumed = keras.models.load_model(run.generator_ema)
    for a, b in zip(straight.get_weights(), resumed.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_a_time_budget_says_its_last_epoch_line_is_a_partial_epoch(tmp_path: Path,
                                                                   capsys) -> None:
    train(tiny(epochs=1, eval_every=0, minutes=1e-6), tmp_path / "run")
    assert "epoch 1/1 (stopped after 1 of its 4 steps)  step 1" in capsys.readouterr().err
    train(tiny(epochs=1, eval_every=0, log_every=100), tmp_path / "whole")
    assert "epoch 1/1  step 4  d_loss " in capsys.readouterr().err  # losses before any log step


def test_a_time_budget_without_epochs_trains_until_the_time_is_up(
        tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    import time

    from ml5_dcgan_tools.training import trainer
    from ml5_dcgan_tools.training.config import EPOCHS

    readings = iter(range(10**9))  # the trainer's clock: a second a reading, whatever the load
    monkeypatch.setattr(trainer, "time", SimpleNamespace(monotonic=lambda: next(readings),
                                                         time=time.time))
    result = train(tiny(data="shapes:64", batch_size=64, epochs=None, minutes=10, eval_every=0,
                        checkpoint_every=10_000, log_every=50), tmp_path / "run")
    assert result.interrupted and result.total_steps is None
    assert result.step > EPOCHS  # the 25 one-step epochs that would have ended it
    run = RunFolder(tmp_path / "run")
    saved = json.loads(run.config.read_text())
    assert saved["epochs"] is None and saved["run"]["total_steps"] is None
    # one-step epochs: their samples and checkpoints wait for EPOCH_END_EVERY_STEPS steps
    samples = len(list(run.samples.iterdir()))
    assert 2 <= samples <= result.step // trainer.EPOCH_END_EVERY_STEPS + 2
    assert len(list(run.checkpoints.iterdir())) <= 3
    err = capsys.readouterr().err
    assert "10 minutes of training done at step" in err
    assert " of " not in err.split("done at")[1]  # no total to count towards
    assert "epoch 1  step 1  d_loss" in err and "epoch 1/" not in err


def test_a_time_budget_ends_with_a_quality_evaluation(tmp_path: Path) -> None:
    train(tiny(epochs=1, minutes=1e-6), tmp_path / "run", quiet=True)
    run = RunFolder(tmp_path / "run")
    assert json.loads(run.best.read_text())["step"] == 1
    assert "eval_fd" in MetricsLog(run.metrics).read()[-1]


def test_resume_drops_metrics_logged_after_the_checkpoint(tmp_path: Path) -> None:
    run = RunFolder(tmp_path / "run")
    train(tiny(epochs=1, checkpoint_every=3), run.path, quiet=True)
    (run.checkpoints / "step-000000004.npz").unlink()  # as if killed between steps 3 and 4
    with run.metrics.open("a") as file:
        file.write('{"epoch": 1, "step": 5, "d_lo')  # and mid-write
    result = resume(run.path, quiet=True)
    assert result.step == 4
    assert [r["step"] for r in MetricsLog(run.metrics).read()] == [1, 2, 3, 4]


def test_a_run_folder_from_before_float32_was_the_default_reads_as_float32(
        tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    tiny().save(path, {})
    path.write_text(json.dumps({**json.loads(path.read_text()), "mixed_precision": None}))
    assert TrainConfig.load(path).mixed_precision is False


def test_a_run_folder_from_before_checkerboard_free_training_resumes_without_it(
        tmp_path: Path) -> None:
    """A resumed run trains on as it began: older config.json files lack the key."""
    path = tmp_path / "config.json"
    tiny().save(path, {})
    saved = json.loads(path.read_text())
    assert saved.pop("checkerboard_free_training") is True  # today's default
    path.write_text(json.dumps(saved))
    assert TrainConfig.load(path).checkerboard_free_training is False


def test_clear_errors_for_runs_that_cannot_start(tmp_path: Path) -> None:
    with pytest.raises(UserError, match=r"128 images are fewer than one batch of 256.*"
                                        r"--batch-size 128"):
        train(tiny(batch_size=256), tmp_path / "a", quiet=True)
    with pytest.raises(UserError, match="size must be one of"):
        train(tiny(size=48), tmp_path / "b", quiet=True)
    with pytest.raises(UserError, match="minutes must be positive"):
        train(tiny(minutes=0.0), tmp_path / "c", quiet=True)
    with pytest.raises(UserError, match=r"not a run folder: no config\.json"):
        resume(tmp_path / "nothing", quiet=True)
    train(tiny(epochs=1), tmp_path / "run", quiet=True)
    with pytest.raises(UserError, match=r"already holds a run.*--resume"):
        train(tiny(), tmp_path / "run", quiet=True)
    with pytest.raises(UserError, match="--epochs can only extend"):
        resume(tmp_path / "run", epochs=0, quiet=True)
    (tmp_path / "run" / "config.json").write_text("{not json")
    with pytest.raises(UserError, match="cannot read the run's configuration"):
        resume(tmp_path / "run", quiet=True)


def test_progress_bar_only_on_a_terminal() -> None:
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal, log = Terminal(), io.StringIO()
    for stream in (terminal, log):
        progress = Progress(100, stream=stream)
        progress.line("data: 100 images")
        progress.start(0)
        for step in (1, 2, 100):
            progress.update(step, 1, 1, {"d_loss": 1.25, "g_loss": 0.5}, seconds_left=299)
        progress.line("epoch 1/1")
        progress.close()
    drawn = terminal.getvalue()
    assert "100/100" in drawn and "d_loss 1.250  g_loss 0.500" in drawn
    assert "stops in 4m5" in drawn  # the --minutes budget, not only the whole run's ETA
    assert drawn.index("data: 100 images") < drawn.index("100/100")
    assert log.getvalue() == "data: 100 images\nepoch 1/1\n"
    quiet = Terminal()
    Progress(100, quiet=True, stream=quiet).line("epoch 1/1")
    assert quiet.getvalue() == ""


@pytest.mark.parametrize("command", ["train", "generate"])
def test_help_does_not_import_tensorflow(command: str) -> None:
    probe = ("import sys\nfrom ml5_dcgan_tools.cli import main\ntry:\n    main([sys.argv[1], "
             "'--help'])\nexcept SystemExit:\n    pass\n"
             "print(sorted({'tensorflow', 'keras'} & set(sys.modules)), file=sys.stderr)")
    done = subprocess.run([sys.executable, "-c", probe, command], capture_output=True, text=True,
                          timeout=60, check=True)
    assert "Usage: ml5-dcgan " + command in done.stdout
    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_a_run_started_from_a_relative_folder_resumes_from_anywhere(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The library (not only the CLI) records DATA as an absolute path (issue 9)."""
    folder = tmp_path / "project" / "photos"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for index in range(32):
        Image.fromarray(rng.integers(0, 256, (40, 40, 3), dtype=np.uint8)).save(
            folder / f"{index}.png")
    monkeypatch.chdir(tmp_path / "project")
    train(tiny(data="photos", epochs=1), tmp_path / "run", quiet=True)
    saved = json.loads(RunFolder(tmp_path / "run").config.read_text())
    assert saved["data"] == str(folder.resolve())
    monkeypatch.chdir(tmp_path)
    result = resume(tmp_path / "run", epochs=2, quiet=True)
    assert result.step == result.total_steps == 2


def test_progress_gif_keeps_at_most_its_frame_budget(tmp_path: Path) -> None:
    """Rewritten as grids arrive (each frame prepared once): at most GIF_MOST_FRAMES, the
    first and the newest always in, in order."""
    gif_path, pngs = tmp_path / "progress.gif", []
    progress = ProgressGif(gif_path)
    for epoch in range(1, 121):
        pngs.append(tmp_path / f"epoch-{epoch:04d}.png")
        Image.new("RGB", (8, 8), (epoch * 2, 0, 0)).save(pngs[-1])
        if epoch in (3, 70, 120):
            progress.update(pngs)
            with Image.open(gif_path) as gif:
                reds = []
                for frame in range(gif.n_frames):
                    gif.seek(frame)
                    reds.append(gif.convert("RGB").getpixel((0, 0))[0])
            assert len(reds) == min(epoch, GIF_MOST_FRAMES)
            assert reds[0] == 2 and reds[-1] == 2 * epoch and reds == sorted(reds)
