"""audit, the model card, unpublish and the hosting repository's CI, on a git repository the
test creates with three real publishes (each validated in TF.js, as publish always does)."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from hosting import git, git_repo, tiny_bundle

from ml5_dcgan_tools.cli import main
from ml5_dcgan_tools.publish import ModelFacts, publish_bundle
from ml5_dcgan_tools.publish.audit import audit_repository

pytestmark = pytest.mark.slow

NAMES = ("alpha", "beta", "gamma")
MODELS = Path("models", "dcgan")


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Path:
    """A hosting repository with three models published and committed."""
    work = tmp_path_factory.mktemp("hosting")
    repo = git_repo(work / "repo")
    for seed, name in enumerate(NAMES):
        bundle = tiny_bundle(work / f"bundle-{name}", seed=seed,
                             description=f"{name} ![x](http://evil.example/x.png) <b>b</b>")
        (bundle / "training.json").write_text(json.dumps({
            "dataset": "shapes (procedural, 1,000 images)", "steps": 1200 + seed,
            "images": 1000, "tool": "ml5-dcgan-tools 0.1.0", "metrics": {"fid": 42.5}}))
        publish_bundle(bundle, repo, name, commit=True, facts=ModelFacts(
            license="CC-BY-4.0", author="Test Author", training_data="procedural shapes"))
    return repo


@pytest.fixture
def repo(published, tmp_path) -> Path:
    """A copy of the published repository that a test may damage."""
    copy = tmp_path / "repo"
    shutil.copytree(published, copy)
    return copy


def run_audit(repo: Path, capsys, *extra: str) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exited:
        main(["audit", str(repo), *extra])
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return exited.value.code, captured.out


def test_three_published_models_pass_the_full_audit(published, capsys):
    before = git(published, "status", "--porcelain", "--ignored")
    code, out = run_audit(published, capsys, "--jobs", "2")
    assert code == 0, out
    assert out.splitlines()[-1].startswith("intact: 3 of 3 models intact, 0 catalog problems; "
                                           "numbers checked in TF.js")
    report = audit_repository(published, numbers=False)
    assert [model.name for model in report.models] == list(NAMES) and report.intact
    assert git(published, "status", "--porcelain", "--ignored") == before  # nothing written


def test_a_flipped_byte_in_a_shard_fails_naming_model_and_file(repo, capsys):
    shard = repo / MODELS / "beta" / "group1-shard1of1.bin"
    data = bytearray(shard.read_bytes())
    data[17] ^= 0x01
    shard.write_bytes(bytes(data))
    code, out = run_audit(repo, capsys)  # with numbers: the model itself is checked too
    assert code == 1
    assert ("FAIL beta: beta/group1-shard1of1.bin: sha256 differs from index.json (the file "
            "changed after it was published)") in out
    assert not any(line.startswith(("FAIL alpha", "FAIL gamma")) for line in out.splitlines())


def test_a_deleted_file_fails_naming_model_and_file(repo, capsys):
    (repo / MODELS / "alpha" / "reference-outputs.bin").unlink()
    code, out = run_audit(repo, capsys, "--no-numbers")
    assert code == 1
    assert "FAIL alpha: alpha/reference-outputs.bin: listed in index.json but missing" in out


def test_a_folder_not_in_the_index_fails_naming_it(repo, capsys):
    stray = repo / MODELS / "stray"
    shutil.copytree(repo / MODELS / "gamma", stray)
    code, out = run_audit(repo, capsys, "--no-numbers")
    assert code == 1
    assert ("FAIL stray: stray/: this folder is not in index.json (added by hand, or its entry "
            "was removed)") in out


def test_a_hand_edited_index_fails_naming_model_and_file(repo, capsys):
    index_path = repo / MODELS / "index.json"
    index = json.loads(index_path.read_text())
    gamma = next(entry for entry in index["models"] if entry["name"] == "gamma")
    gamma["description"] = "a better description"
    gamma["files"][1]["sha256"] = hashlib.sha256(b"other").hexdigest()
    index_path.write_text(json.dumps(index))
    code, out = run_audit(repo, capsys, "--no-numbers", "--json")
    assert code == 1
    report = json.loads(out)
    assert report["intact"] is False
    (model,) = [model for model in report["models"] if not model["intact"]]
    assert model["name"] == "gamma"
    assert {"model": "gamma", "file": "index.json",
            "message": "gamma's description differs from gamma/manifest.json (edited by "
                       "hand?)"} in model["problems"]
    assert {"model": "gamma", "file": f"gamma/{gamma['files'][1]['path']}",
            "message": "sha256 differs from index.json (the file changed after it was "
                       "published)"} in model["problems"]
    assert {problem["file"] for problem in report["problems"]} == {"README.md", "index.html"}


def test_catalog_files_of_another_tool_version_are_stale_not_tampered(repo, capsys):
    readme = repo / MODELS / "README.md"
    readme.write_text(readme.read_text().replace("ml5-dcgan-tools ", "ml5-dcgan-tools 0.0.") +
                      "old layout\n")
    code, out = run_audit(repo, capsys, "--no-numbers")
    assert code == 0, out
    assert ("note: README.md was written by another version of ml5-dcgan-tools: the next "
            "publish or unpublish rewrites it") in out


def test_audit_of_a_broken_index_is_one_line_not_a_traceback(repo):
    (repo / MODELS / "index.json").write_text('{"format": ')
    done = subprocess.run([sys.executable, "-m", "ml5_dcgan_tools", "audit", str(repo),
                           "--no-numbers"], capture_output=True, text=True, timeout=300)
    assert done.returncode == 1
    assert "Traceback" not in done.stdout + done.stderr
    assert "FAIL catalog: index.json: index.json is unreadable" in done.stdout


def test_the_model_card_is_front_matter_and_markdown_with_licence_hashes_and_sample(published):
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with the [dev] extra")
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py: [dev] extra")
    folder = published / MODELS / "beta"
    text = (folder / "README.md").read_text()
    assert text.startswith("---\n")
    front, body = text[4:].split("\n---\n", 1)
    meta = yaml.safe_load(front)
    assert meta["license"] == "cc-by-4.0"
    assert meta["library_name"] == "ml5"
    assert meta["pipeline_tag"] == "unconditional-image-generation"
    assert "dcgan" in meta["tags"]
    assert meta["datasets"] == ["procedural shapes", "shapes (procedural, 1,000 images)"]
    assert meta["metrics"] == ["fid"]

    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(body)
    images = [child.attrs["src"] for token in tokens if token.type == "inline"
              for child in token.children or [] if child.type == "image"]
    assert images == ["sample.png", "walk.gif"]  # the description's image stays text
    assert (folder / "sample.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (folder / "walk.gif").read_bytes()[:6] == b"GIF89a"
    assert not any(token.type == "html_block" or (token.type == "inline" and any(
        child.type == "html_inline" for child in token.children or [])) for token in tokens)

    cells = [token.content for token in tokens if token.type == "inline"]
    index = json.loads((published / MODELS / "index.json").read_text())
    entry = next(entry for entry in index["models"] if entry["name"] == "beta")
    for file in entry["files"]:
        if file["path"] == "README.md":
            continue  # the card cannot hold its own hash; index.json does
        assert hashlib.sha256((folder / file["path"]).read_bytes()).hexdigest() == file["sha256"]
        row = cells.index(file["path"])
        assert cells[row + 1:row + 3] == [f"{file['bytes']:,}", f"`{file['sha256']}`"]
    assert "CC-BY-4.0" in cells and "Test Author" in cells
    assert "1201" in cells  # a training fact from training.json
    assert "ml5.DCGAN(\"manifest.json\")" in body


def test_the_first_publish_wrote_the_repository_ci(published):
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with the [dev] extra")
    workflow = yaml.safe_load((published / ".github/workflows/ml5-dcgan-audit.yml").read_text())
    steps = workflow["jobs"]["audit"]["steps"]
    commands = "\n".join(step.get("run", "") for step in steps)
    assert "ml5-dcgan runtime install" in commands and "ml5-dcgan audit ." in commands
    assert any(step.get("uses", "").startswith("actions/setup-node") for step in steps)
    hooks = yaml.safe_load((published / ".pre-commit-config.yaml").read_text())
    (hook,) = hooks["repos"][0]["hooks"]
    assert hook["entry"] == "ml5-dcgan audit . --no-numbers" and hook["language"] == "system"
    assert "ml5-dcgan-audit.yml" in git(published, "ls-files", ".github")


def test_init_ci_keeps_existing_files_and_says_what_to_add(tmp_path, capsys):
    (tmp_path / ".pre-commit-config.yaml").write_text("repos: []\n")
    with pytest.raises(SystemExit) as exited:
        main(["audit", str(tmp_path), "--init-ci"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "wrote" in out and "kept" in out and "id: ml5-dcgan-audit" in out
    assert (tmp_path / ".pre-commit-config.yaml").read_text() == "repos: []\n"
    assert (tmp_path / ".github/workflows/ml5-dcgan-audit.yml").is_file()


def test_unpublish_removes_model_and_rows_and_the_audit_still_passes(repo, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["unpublish", str(repo), "beta", "--commit"])
    assert exited.value.code == 0
    assert not (repo / MODELS / "beta").exists()
    index = json.loads((repo / MODELS / "index.json").read_text())
    assert [entry["name"] for entry in index["models"]] == ["alpha", "gamma"]
    assert "beta" not in (repo / MODELS / "README.md").read_text()
    assert '"beta"' not in (repo / MODELS / "index.html").read_text()
    assert git(repo, "status", "--porcelain") == ""
    assert git(repo, "log", "-1", "--format=%s") == "Unpublish DCGAN model beta\n"
    capsys.readouterr()
    code, out = run_audit(repo, capsys, "--no-numbers")
    assert code == 0, out
    with pytest.raises(SystemExit) as exited:
        main(["unpublish", str(repo), "beta"])
    assert exited.value.code == 2
    assert "no model named 'beta' is published" in capsys.readouterr().err
