"""`ml5-dcgan train --config`: the settings that are not command-line options, from a TOML file
or a run's own config.json; a bad key or value is one line."""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import asdict, fields
from pathlib import Path

import pytest

from ml5_dcgan_tools.errors import UsageError
from ml5_dcgan_tools.training.config import (
    EPOCHS,
    LABELLED_LATENT_DIM,
    LATENT_DIM,
    TrainConfig,
    read_settings,
)

REPO_ROOT = Path(__file__).resolve().parent.parent


def _write(tmp_path: Path, text: str, name: str = "settings.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_a_toml_file_sets_every_kind_of_setting(tmp_path: Path) -> None:
    path = _write(tmp_path, 'lr = 0.0001\nbeta1 = 0\nproject-bias = false\nminutes = 3\n'
                            'update_order = "alternating"\nbackground = "#102030"\n'
                            'checkpoint_every = 50\n')
    settings = read_settings(path)
    assert settings == {"lr": 1e-4, "beta1": 0.0, "project_bias": False, "minutes": 3.0,
                        "update_order": "alternating", "background": (16, 32, 48),
                        "checkpoint_every": 50}
    TrainConfig(data="shapes", **settings).check()


@pytest.mark.parametrize(("text", "message"), [
    ("learning_rate = 0.1\n", r"unknown setting 'learning_rate' .*Fix: use one of: .*\blr\b"),
    ("lr = \"fast\"\n", r"setting 'lr' must be a number, not \"fast\""),
    ("ema = 1\n", r"setting 'ema' must be true or false, not 1"),
    ("width = 3.5\n", r"setting 'width' must be a whole number, not 3.5"),
    ("background = \"white\"\n", r"setting 'background' must be a colour like"),
    ("lr = \n", r"not a valid TOML file"),
])
def test_a_bad_key_or_value_is_one_line_naming_it(tmp_path: Path, text: str,
                                                  message: str) -> None:
    with pytest.raises(UsageError, match=message) as caught:
        read_settings(_write(tmp_path, text))
    assert "\n" not in str(caught.value)


def test_a_value_out_of_range_names_the_setting(tmp_path: Path) -> None:
    settings = read_settings(_write(tmp_path, "label_smoothing = 0.7\n"))
    with pytest.raises(Exception, match=r"label_smoothing must be in \[0, 0\.5\)"):
        TrainConfig(data="shapes", **settings).check()


def test_a_runs_config_json_is_read_back_field_for_field(tmp_path: Path) -> None:
    original = TrainConfig(data="shapes:64", size=32, lr=3e-4, label_smoothing=0.0, ema=False,
                           background=(0, 0, 0), update_order="alternating", minutes=2.5)
    original.save(tmp_path / "config.json", {"run": {"steps_per_epoch": 2}})
    assert TrainConfig(**read_settings(tmp_path / "config.json")) == original


def test_a_labelled_run_defaults_to_the_shorter_latent_unless_one_is_set(tmp_path: Path) -> None:
    assert TrainConfig(data="shapes").latent_dim == LATENT_DIM == 128
    assert TrainConfig(data="shapes", labels=True).latent_dim == LABELLED_LATENT_DIM == 32
    assert TrainConfig(data="shapes", labels=True, latent_dim=100).latent_dim == 100
    settings = read_settings(_write(tmp_path, "labels = true\nlatent_dim = 64\n"))
    assert TrainConfig(data="shapes", **settings).latent_dim == 64


def test_a_time_budget_alone_trains_until_the_time_is_up() -> None:
    assert TrainConfig(data="shapes").epochs == EPOCHS == 25
    assert TrainConfig(data="shapes", minutes=30).epochs is None  # not 25 epochs' worth
    assert TrainConfig(data="shapes", minutes=30, epochs=3).epochs == 3  # whichever ends first


@pytest.mark.parametrize(("args", "latent", "epochs"), [
    ((), 128, 25), (("--labels",), 32, 25), (("--labels", "--latent-dim", "100"), 100, 25),
    (("--minutes", "30"), 128, None), (("--minutes", "30", "--epochs", "3"), 128, 3)])
def test_the_command_line_resolves_the_latent_and_epochs_defaults(
        monkeypatch, tmp_path: Path, args: tuple, latent: int, epochs: int | None) -> None:
    from click.testing import CliRunner

    from ml5_dcgan_tools import training
    from ml5_dcgan_tools.cli import cli

    started = []
    monkeypatch.setattr(training, "train", lambda config, out, quiet: started.append(config))
    result = CliRunner().invoke(cli, ["train", "shapes", "--out", str(tmp_path / "run"), *args])
    assert result.exit_code == 0, result.output
    assert (started[0].latent_dim, started[0].epochs) == (latent, epochs)


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ml5_dcgan_tools", "train", *args],
                          capture_output=True, text=True, timeout=300, cwd=REPO_ROOT)


def test_train_help_shows_the_recipe_in_at_most_fifteen_options() -> None:
    done = _cli("--help")
    options = [line for line in done.stdout.splitlines() if line.startswith("  -")]
    assert "--config" in done.stdout
    assert len(options) <= 16, options  # fifteen and --help


def test_the_cli_refuses_a_bad_settings_file_in_one_line(tmp_path: Path) -> None:
    done = _cli("shapes", "--out", str(tmp_path / "run"), "--config",
                str(_write(tmp_path, "lr_rate = 1\n")))
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "unknown setting 'lr_rate'" in done.stderr
    assert not (tmp_path / "run").exists()


def test_config_cannot_be_given_with_resume(tmp_path: Path) -> None:
    done = _cli("--resume", str(tmp_path), "--config", str(_write(tmp_path, "lr = 1\n")))
    assert done.returncode == 2 and "--config cannot be given with --resume" in done.stderr


@pytest.mark.slow
def test_a_runs_config_json_given_to_config_reproduces_its_settings(tmp_path: Path) -> None:
    settings = _write(tmp_path, "lr = 0.0003\nlabel_smoothing = 0.0\nbackground = [0, 0, 0]\n"
                                "update_order = \"alternating\"\nbn_epsilon = 1e-5\n"
                                "project_bias = false\nlog_every = 1\ncheckpoint_every = 3\n")
    first = _cli("shapes:64", "--out", str(tmp_path / "first"), "--size", "32", "--width", "4",
                 "--latent-dim", "8", "--batch-size", "32", "--epochs", "1", "--no-ema",
                 "--eval-every", "0", "--seed", "7", "--quiet", "--config", str(settings))
    assert first.returncode == 0, first.stderr
    again = _cli("--out", str(tmp_path / "again"), "--quiet", "--config",
                 str(tmp_path / "first" / "config.json"))
    assert again.returncode == 0, again.stderr
    recipe = {field.name for field in fields(TrainConfig)}
    saved = [json.loads((tmp_path / run / "config.json").read_text()) for run in
             ("first", "again")]
    assert {k: saved[0][k] for k in recipe} == {k: saved[1][k] for k in recipe}
    assert saved[0]["lr"] == 3e-4 and saved[0]["seed"] == 7 and saved[0]["width"] == 4
    assert asdict(TrainConfig.load(tmp_path / "again" / "config.json"))["update_order"] == \
        "alternating"
    # and a command-line option wins over the file
    wins = _cli("--out", str(tmp_path / "wins"), "--quiet", "--seed", "9", "--config",
                str(tmp_path / "first" / "config.json"))
    assert wins.returncode == 0, wins.stderr
    assert json.loads((tmp_path / "wins" / "config.json").read_text())["seed"] == 9


def test_every_setting_is_documented_with_its_default() -> None:
    reference = (REPO_ROOT / "docs" / "reference" / "training-settings.md").read_text()
    for field in fields(TrainConfig):
        row = next((line for line in reference.splitlines()
                    if line.startswith(f"| `{field.name}` |")), None)
        assert row is not None, f"{field.name} is not in docs/reference/training-settings.md"
        if field.name in ("data", "minutes", "background", "update_order", "distribute"):
            continue
        documented = row.split("|")[2].strip()
        if field.name == "latent_dim":
            assert documented == f"{LATENT_DIM}; {LABELLED_LATENT_DIM} with `labels`"
            continue
        if field.name == "epochs":
            assert documented == f"{EPOCHS}; until the time is up with `minutes`"
            continue
        default = field.default
        assert documented == (str(default).lower() if isinstance(default, bool)
                              else f"{default:g}" if isinstance(default, float)
                              else str(default)), field.name
