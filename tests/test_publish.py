"""Publishing into a real git repository the tests create: layout, catalog, refusals, a race.

The bundles are real exports, and every publish runs the real bundle validator first.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from generator_zoo import dcgan
from hosting import git, git_repo

from ml5_dcgan_tools import __version__, export_bundle
from ml5_dcgan_tools.cli import main
from ml5_dcgan_tools.errors import UsageError, UserError
from ml5_dcgan_tools.publish import ModelFacts, publish_bundle
from ml5_dcgan_tools.publish.catalog import INDEX_FORMAT
from ml5_dcgan_tools.publish.publisher import LOCK

pytestmark = pytest.mark.slow

BASE_URL = "https://raw.githubusercontent.com/someone/models/main"
MIT = ModelFacts(license="MIT")


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path below ``folder`` (.git included) with its bytes; None for folders."""
    return {path.relative_to(folder).as_posix(): None if path.is_dir() else path.read_bytes()
            for path in sorted(folder.rglob("*"))}


@pytest.fixture(scope="module")
def bundle(tmp_path_factory):
    return export_bundle(dcgan(16), tmp_path_factory.mktemp("export") / "bundle",
                         description="Test | shapes <16px>").out_dir


@pytest.fixture
def repo(tmp_path):
    return git_repo(tmp_path / "models-repo")


def test_lays_out_the_model_and_its_catalog(bundle, repo):
    done = publish_bundle(bundle, repo, "shapes-16", base_url=BASE_URL + "/", commit=True,
                          facts=MIT)
    folder = repo / "models" / "dcgan" / "shapes-16"
    model = json.loads((folder / "model.json").read_text())
    shards = [path for group in model["weightsManifest"] for path in group["paths"]]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["manifest.json", "model.json", *shards, "reference.json", "reference-outputs.bin",
         "README.md", "sample.png", "walk.gif"])
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["model"] == f"{BASE_URL}/models/dcgan/shapes-16/model.json"
    assert manifest["modelLatentDim"] == 16

    index = json.loads((repo / "models" / "dcgan" / "index.json").read_text())
    assert index["format"] == INDEX_FORMAT
    (entry,) = index["models"]
    assert entry == done.entry
    assert entry["manifestUrl"] == f"{BASE_URL}/models/dcgan/shapes-16/manifest.json"
    assert (entry["modelSize"], entry["modelLatentDim"]) == (16, 16)
    assert entry["tool"] == f"ml5-dcgan-tools {__version__}"
    for file in entry["files"]:
        data = (folder / file["path"]).read_bytes()
        assert file["bytes"] == len(data)
        assert file["sha256"] == hashlib.sha256(data).hexdigest()
    assert entry["bytes"] == sum(file["bytes"] for file in entry["files"])

    readme = (repo / "models" / "dcgan" / "README.md").read_text()
    row = next(line for line in readme.splitlines() if line.startswith("| [shapes-16]"))
    assert "Test \\| shapes &lt;16px&gt;" in row and "| 16x16 | 16 |" in row
    assert f"{entry['parameters']:,}" in row and entry["files"][1]["sha256"] in row
    assert entry["published"][:10] in row

    assert git(repo, "status", "--porcelain") == ""  # lock file and staging are ignored
    assert git(repo, "log", "-1", "--format=%s") == "Publish DCGAN model shapes-16\n"
    assert done.commit == git(repo, "rev-parse", "HEAD").strip()


def test_without_base_url_the_model_stays_next_to_the_manifest(bundle, repo, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["publish", str(bundle), "--repo", str(repo), "--name", "local", "--license", "MIT"])
    assert exited.value.code == 0
    assert "only a page in that folder loads it" in capsys.readouterr().out
    manifest = json.loads((repo / "models/dcgan/local/manifest.json").read_text())
    assert manifest["model"] == "model.json"


def test_two_concurrent_publishes_both_land(bundle, repo):
    processes = [subprocess.Popen(
        [sys.executable, "-m", "ml5_dcgan_tools", "publish", str(bundle), "--repo", str(repo),
         "--name", name, "--commit", "--license", "MIT"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("first", "second")]
    for process in processes:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
    index = json.loads((repo / "models" / "dcgan" / "index.json").read_text())
    assert [entry["name"] for entry in index["models"]] == ["first", "second"]
    for name in ("first", "second"):
        assert (repo / "models" / "dcgan" / name / "model.json").is_file()
    subjects = git(repo, "log", "--format=%s").splitlines()
    assert sorted(subjects[:2]) == ["Publish DCGAN model first", "Publish DCGAN model second"]
    assert subjects[2:] == ["start"]
    assert git(repo, "status", "--porcelain") == ""


def test_a_publish_waits_for_the_catalog_lock(bundle, repo):
    """Deterministic half of the race: while someone holds the lock, nothing lands."""
    models = repo / "models" / "dcgan"
    models.mkdir(parents=True)
    outcome = {}
    with (models / LOCK).open("a") as held:
        fcntl.flock(held.fileno(), fcntl.LOCK_EX)
        worker = threading.Thread(target=lambda: outcome.update(
            done=publish_bundle(bundle, repo, "waiting", commit=True, facts=MIT)))
        worker.start()
        deadline = time.monotonic() + 120
        while not list(models.glob(".staging-waiting-*")) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.5)  # staged and waiting for the lock
        assert not (models / "waiting").exists() and not (models / "index.json").exists()
    worker.join(timeout=120)
    assert outcome["done"].commit
    assert [entry["name"] for entry in json.loads((models / "index.json").read_text())[
        "models"]] == ["waiting"]


def test_same_name_again_is_refused_without_force(bundle, repo):
    publish_bundle(bundle, repo, "again", commit=True, facts=MIT)
    before = snapshot(repo)
    with pytest.raises(UsageError, match=r"a model named 'again' is already published.*--force"):
        publish_bundle(bundle, repo, "again", commit=True, facts=MIT)
    assert snapshot(repo) == before
    done = publish_bundle(bundle, repo, "again", commit=True, force=True, base_url=BASE_URL,
                          facts=MIT)
    assert done.replaced and done.commit == git(repo, "rev-parse", "HEAD").strip()
    index = json.loads((repo / "models" / "dcgan" / "index.json").read_text())
    assert [entry["name"] for entry in index["models"]] == ["again"]


def test_a_failing_bundle_is_refused_and_the_repository_untouched(bundle, repo, tmp_path,
                                                                    capsys):
    broken = tmp_path / "broken"
    shutil.copytree(bundle, broken)
    shard = next(broken.glob("group1-shard*"))
    shard.write_bytes(shard.read_bytes()[:-4])
    before = snapshot(repo)
    with pytest.raises(UserError, match="the bundle fails validation"):
        publish_bundle(broken, repo, "broken", commit=True, facts=MIT)
    assert snapshot(repo) == before
    with pytest.raises(SystemExit) as exited:
        main(["publish", str(broken), "--repo", str(repo), "--name", "broken",
              "--license", "MIT"])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith("error: the bundle fails validation: ")
    assert snapshot(repo) == before
