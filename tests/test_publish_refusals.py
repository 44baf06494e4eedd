"""Publishing's fast parts: arguments refused before anything is touched, the catalog files."""

from __future__ import annotations

import json

import pytest
from bundle_factory import TinyGenerator, write_bundle
from hosting import tiny_bundle

from ml5_dcgan_tools.errors import UsageError, UserError
from ml5_dcgan_tools.publish import ModelFacts, hosted_url, publish_bundle
from ml5_dcgan_tools.publish.catalog import (
    INDEX_FORMAT,
    read_index,
    render_readme,
    with_entry,
)
from ml5_dcgan_tools.publish.layout import stage_model


def entry(name: str, description: str = "d") -> dict:
    return {"name": name, "description": description, "manifest": f"{name}/manifest.json",
            "manifestUrl": None, "modelSize": 64, "modelLatentDim": 128, "parameters": 1234567,
            "bytes": 2048, "files": [{"path": "manifest.json", "bytes": 2048, "sha256": "ab" * 32}],
            "published": "2026-01-02T03:04:05+00:00", "tool": "ml5-dcgan-tools 0.1.0"}


@pytest.mark.parametrize(("name", "message"), [
    ("Faces", "not a valid model name"),
    ("../x", "not a valid model name"),
    ("-x", "not a valid model name"),
    ("", "not a valid model name"),
])
def test_bad_names_are_refused(tmp_path, name, message):
    with pytest.raises(UsageError, match=message):
        publish_bundle(tmp_path, tmp_path, name)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("url", ["ftp://host/x", "models/", "https://host/x?y=1", "https://"])
def test_base_url_must_be_an_http_url(url):
    with pytest.raises(UsageError, match="--base-url"):
        hosted_url(url, "faces", "model.json")


def test_hosted_url_joins_one_slash():
    assert hosted_url("https://host/repo/", "faces", "model.json") == (
        "https://host/repo/models/dcgan/faces/model.json")


def test_commit_needs_a_git_repository(tmp_path):
    repo = tmp_path / "plain"
    repo.mkdir()
    with pytest.raises(UsageError, match=r"--commit needs a git repository.*git init"):
        publish_bundle(tmp_path, repo, "faces", commit=True)
    assert list(repo.iterdir()) == []


def test_missing_repository_is_refused(tmp_path):
    with pytest.raises(UsageError, match="the repository folder does not exist"):
        publish_bundle(tmp_path, tmp_path / "nowhere", "faces")


def test_catalog_keeps_one_entry_per_name_sorted(tmp_path):
    index = read_index(tmp_path)
    assert index == {"format": INDEX_FORMAT, "models": []}
    index = with_entry(with_entry(with_entry(index, entry("b")), entry("a")), entry("b", "new"))
    assert [(e["name"], e["description"]) for e in index["models"]] == [("a", "d"), ("b", "new")]


def test_damaged_index_is_refused_not_replaced(tmp_path):
    (tmp_path / "index.json").write_text('{"models": [')
    with pytest.raises(UserError, match=r"index\.json is unreadable"):
        read_index(tmp_path)
    (tmp_path / "index.json").write_text(json.dumps({"models": []}))
    with pytest.raises(UserError, match="is not a ml5-dcgan-tools/model-index@1 catalog"):
        read_index(tmp_path)


def test_readme_cells_cannot_break_the_table():
    readme = render_readme({"format": INDEX_FORMAT,
                            "models": [entry("faces", "a | b\n<img src=x>")]})
    row = readme.splitlines()[-3]
    assert row.startswith("| [faces](faces/) | a \\| b &lt;img src=x&gt; | 64x64 |")
    assert "| 1,234,567 | 2,048 | manifest.json `" + "ab" * 32 + "` | 2026-01-02 |" in row
    assert row.count(" | ") == 8


def test_readme_shows_markdown_images_and_links_as_text():
    """Issue 9: a description must not put an image or a link on the hosting repository's page."""
    readme = render_readme({"format": INDEX_FORMAT, "models": [
        entry("faces", "![x](http://evil.example/t.png) [click](http://evil.example) *b* `c`")]})
    row = readme.splitlines()[-3]
    assert "![x](" not in row and "[click](" not in row
    assert ("\\!\\[x\\](http://evil.example/t.png) \\[click\\](http://evil.example) \\*b\\* "
            "\\`c\\`") in row


@pytest.mark.parametrize(("license_id", "message"), [
    (None, "the model has no licence.*--license"),
    ("MIT license", "not an SPDX identifier"),
    ("", "not an SPDX identifier"),
])
def test_a_licence_is_required_before_anything_is_written(tmp_path, license_id, message):
    bundle = tiny_bundle(tmp_path / "bundle")
    repo = tmp_path / "repo"
    repo.mkdir()
    with pytest.raises(UsageError, match=message):
        publish_bundle(bundle, repo, "faces", facts=ModelFacts(license=license_id))
    assert list(repo.iterdir()) == []


def test_staging_refuses_a_weight_path_out_of_the_bundle(tmp_path):
    bundle = tmp_path / "bundle"
    tiny = TinyGenerator()
    write_bundle(bundle, tiny.topology(), tiny.random_weights())
    model = json.loads((bundle / "model.json").read_text())
    model["weightsManifest"][0]["paths"] = ["../secret.bin"]
    (bundle / "model.json").write_text(json.dumps(model))
    (bundle / "manifest.json").write_text(json.dumps({"model": "model.json"}))
    staging = tmp_path / "staging"
    staging.mkdir()
    with pytest.raises(UsageError,
                       match=r"weight file \"\.\./secret\.bin\" leaves the bundle folder"):
        stage_model(bundle, staging, None)
