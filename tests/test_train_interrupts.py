"""What people do to long trainings: kill them, Ctrl-C them, feed them messy folders."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ml5_dcgan_tools.training.metrics import MetricsLog

pytestmark = pytest.mark.slow  # trains real (tiny) networks: seconds per test

MODEL = ["--size", "32", "--latent-dim", "16", "--width", "8"]
TINY = [*MODEL, "--batch-size", "32", "--ema", "--augment"]


def _settings(tmp_path: Path, **settings: int) -> list[str]:
    """`--config FILE` with these training settings (those that are no command-line options)."""
    path = tmp_path / "settings.toml"
    path.write_text("".join(f"{key} = {value}\n" for key, value in settings.items()))
    return ["--config", str(path)]


def _env(tmp_path: Path) -> dict[str, str]:
    return {**os.environ, "ML5_DCGAN_CACHE": str(tmp_path / "cache"),
            "TF_NUM_INTEROP_THREADS": "1", "TF_NUM_INTRAOP_THREADS": "1"}


def _cli(*args: str, tmp_path: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "ml5_dcgan_tools", *args],
                            env=_env(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def _wait_for_step(run: Path, step: int, process: subprocess.Popen, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"finished before step {step}: {process.stderr.read()}"
        lines = (run / "metrics.jsonl").read_text().splitlines() if (
            run / "metrics.jsonl").exists() else []
        if any(json.loads(line)["step"] >= step for line in lines[-3:] if line.endswith("}")):
            return
        time.sleep(0.05)
    raise AssertionError(f"no step {step} within {timeout} s")


def _checkpoint_steps(run: Path) -> list[int]:
    return sorted(int(p.stem.split("-")[1]) for p in (run / "checkpoints").glob("step-*.npz"))


def _assert_nothing_corrupt(run: Path) -> None:
    assert not [p for p in run.rglob(".*")], "temporary files left behind"
    for path in (run / "checkpoints").glob("*.npz"):
        with np.load(path) as checkpoint:
            assert all(np.isfinite(checkpoint[name]).all() for name in checkpoint.files)
    for path in run.rglob("*.png"):
        with Image.open(path) as image:
            image.load()
    json.loads((run / "config.json").read_text())


def test_sigkill_mid_epoch_then_resume_finishes_the_planned_steps(tmp_path: Path) -> None:
    run = tmp_path / "run"  # 2 epochs of 60 steps, checkpoints every 16
    process = _cli("train", "shapes:1920", "--out", str(run), "--epochs", "2",
                   *_settings(tmp_path, checkpoint_every=16, log_every=1), *TINY,
                   tmp_path=tmp_path)
    _wait_for_step(run, 40, process)
    process.send_signal(signal.SIGKILL)
    process.wait(30)
    killed_at = time.time()
    checkpoint = _checkpoint_steps(run)[-1]
    logged = [r["step"] for r in MetricsLog(run / "metrics.jsonl").read()]
    assert 32 <= checkpoint < max(logged) < 60, "killed mid-epoch, past a checkpoint"
    _assert_nothing_corrupt(run)

    resumed = _cli("train", "--resume", str(run), tmp_path=tmp_path)
    _, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    assert f"resuming at step {checkpoint} of 120" in stderr
    records = MetricsLog(run / "metrics.jsonl").read()
    assert [r["step"] for r in records] == list(range(1, 121))
    after_kill = [r["step"] for r in records if r["time"] > killed_at]
    assert after_kill[0] == checkpoint + 1  # continued from the checkpoint, not from zero
    assert _checkpoint_steps(run)[-1] == 120
    assert (run / "generator.keras").is_file() and (run / "generator_ema.keras").is_file()
    _assert_nothing_corrupt(run)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stop_evaluates_its_last_step_saves_and_exits_cleanly(tmp_path: Path,
                                                                signum: int) -> None:
    run = tmp_path / "run"
    process = _cli("train", "shapes:1920", "--out", str(run), "--epochs", "2", "--eval-every",
                   "8", *TINY, *_settings(tmp_path, log_every=1),
                   tmp_path=tmp_path)
    _wait_for_step(run, 20, process)
    process.send_signal(signum)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 0, stderr
    records = MetricsLog(run / "metrics.jsonl").read()
    stopped = records[-1]["step"]
    assert 20 <= stopped < 120
    assert f"stopped at step {stopped} of 120; checkpoint saved" in stderr
    assert "Traceback" not in stderr
    evaluated = {r["step"]: r["eval_fd"] for r in records if "eval_fd" in r}
    assert stopped in evaluated, "the last logged step has its evaluation"
    assert sorted(evaluated) == sorted({*range(8, stopped + 1, 8), stopped})
    best = json.loads((run / "best.json").read_text())
    assert best["fd"] == pytest.approx(min(evaluated.values()), abs=1e-4)
    assert evaluated[best["step"]] == pytest.approx(best["fd"], abs=1e-4)
    assert _checkpoint_steps(run)[-1] == stopped
    assert (run / "generator.keras").is_file() and (run / "generator_best.keras").is_file()
    _assert_nothing_corrupt(run)


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_second_stop_skips_the_last_evaluation_and_the_run_resumes(tmp_path: Path,
                                                                     signum: int) -> None:
    from ml5_dcgan_tools.generators.run_folder import pick_generator

    run = tmp_path / "run"  # evaluated at step 50, stopped soon after, before step 100's
    process = _cli("train", "shapes:1920", "--out", str(run), "--epochs", "2", "--eval-every",
                   "50", *TINY, *_settings(tmp_path, log_every=1), tmp_path=tmp_path)
    _wait_for_step(run, 55, process)
    process.send_signal(signum)
    lines = []
    while not any("stopping after a last quality evaluation" in line for line in lines[-1:]):
        lines.append(process.stderr.readline())
        assert lines[-1], f"no last evaluation announced: {''.join(lines)}"
    process.send_signal(signum)  # while that evaluation runs
    _, rest = process.communicate(timeout=120)
    stderr = "".join(lines) + rest
    assert process.returncode == 0, stderr
    records = MetricsLog(run / "metrics.jsonl").read()
    stopped = records[-1]["step"]
    assert f"of step {stopped} (Ctrl-C again skips it)" in lines[-1]
    again = "Ctrl-C again" if signum == signal.SIGINT else "SIGTERM again"
    assert (f"{again}: skipped the last quality evaluation; `best` has not seen steps after 50"
            in stderr)
    assert f"stopped at step {stopped} of 120; checkpoint saved" in stderr
    assert [r["step"] for r in records if "eval_fd" in r] == [50]
    assert json.loads((run / "best.json").read_text())["step"] == 50
    assert _checkpoint_steps(run)[-1] == stopped and (run / "generator.keras").is_file()
    _assert_nothing_corrupt(run)
    _, note = pick_generator(run)
    assert note.startswith("best checkpoint: step 50 (")
    assert note.endswith(f"; the last {stopped - 50} steps (to step {stopped}) were never "
                         f"evaluated: use --checkpoint step-{stopped}, or resume the run to "
                         "evaluate newer ones")

    resumed = _cli("train", "--resume", str(run), tmp_path=tmp_path)
    _, stderr = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, stderr
    assert f"resuming at step {stopped} of 120" in stderr
    records = MetricsLog(run / "metrics.jsonl").read()
    assert [r["step"] for r in records if "eval_fd" in r] == [50, 100, 120]
    assert "never evaluated" not in pick_generator(run)[1]


def test_messy_folder_trains_and_reports_what_it_skipped(tmp_path: Path) -> None:
    from test_data import make_messy_folder

    good = 16
    expected = make_messy_folder(tmp_path / "photos", good=good)
    process = _cli("train", str(tmp_path / "photos"), "--out", str(tmp_path / "run"),
                   "--epochs", "1", "--batch-size", "8", *MODEL, tmp_path=tmp_path)
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    summary = next(line for line in stderr.splitlines() if line.startswith("data: "))
    assert f"data: {good + 8} images 32x32" in summary
    skipped = sum(expected.values())
    assert f"skipped {skipped}: " in summary
    for reason, count in expected.items():
        assert f"{count} {reason}" in summary
    listed = (tmp_path / "run" / "skipped-files.txt").read_text().splitlines()
    assert len(listed) == skipped and "too large\tbomb.png" in listed
    assert (tmp_path / "run" / "generator.keras").is_file()
