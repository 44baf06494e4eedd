"""A labelled model (its manifest lists modelLabels) in the model card and the gallery: the labels
are listed, it is drawn through the loader with a label, and unlabelled models are untouched."""

from __future__ import annotations

import json

import pytest

from ml5_dcgan_tools.publish.gallery import gallery_models, render_gallery
from ml5_dcgan_tools.publish.layout import PublishedFile
from ml5_dcgan_tools.publish.model_card import CardFacts, model_labels, render_card

URL = "https://host/models/dcgan/shapes/manifest.json"
LOADER_FILE = PublishedFile("ml5-dcgan.js", 3, "ef" * 32)


def facts(*, loader: bool = True, **manifest: object) -> CardFacts:
    files = [PublishedFile("manifest.json", 10, "ab" * 32), *([LOADER_FILE] if loader else [])]
    return CardFacts(name="shapes", manifest={"modelSize": 8, "modelLatentDim": 4,
                                              "license": "MIT", **manifest},
                     manifest_url=URL, parameters=1234, files=files, training={})


def test_the_card_lists_the_labels_and_draws_them_through_the_loader() -> None:
    card = render_card(facts(modelLabels=["circle", "square", "triangle"]))
    assert "| Labels | `circle`, `square`, `triangle` |" in card
    assert "one of its 3 labels" in card and "cannot pass a label" in card
    assert f"const gan = await ml5DCGAN({json.dumps(URL)});" in card
    assert 'await gan.generate(undefined, { label: "circle" });' in card
    assert '{ label: { "circle": 0.7, "triangle": 0.3 } }' in card
    assert "ml5.DCGAN(" not in card  # ml5 0.12.2's own DCGAN would feed a latent only
    front = card.split("\n---\n", 1)[0]
    assert '- "class-conditional"' in front


def test_an_unlabelled_card_says_nothing_of_labels() -> None:
    card = render_card(facts())
    assert "Labels" not in card and "label:" not in card and "class-conditional" not in card
    assert f"ml5.DCGAN({json.dumps(URL)})" in card


def test_a_labelled_card_without_the_loader_says_how_to_get_it() -> None:
    card = render_card(facts(loader=False, modelLabels=["a", "b"]))
    assert "no `ml5-dcgan.js`" in card and "ml5DCGAN(" not in card and "ml5.DCGAN(" not in card


def test_label_names_are_text_in_the_card() -> None:
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py: [dev] extra")
    hostile = "[x](http://evil.example) <b>"
    card = render_card(facts(modelLabels=[hostile, "plain"]))
    tokens = markdown_it.MarkdownIt("commonmark").enable("table").parse(card.split("\n---\n")[1])
    children = [child for token in tokens if token.type == "inline"
                for child in token.children or []]
    assert not [child for child in children if child.type in ("link_open", "html_inline")]


@pytest.mark.parametrize("labels", [None, "circle", [1, 2], ["a", None]])
def test_only_a_list_of_names_counts_as_labels(labels) -> None:
    assert model_labels({"modelLabels": labels}) == []


def _entry(name: str, **extra: object) -> dict:
    return {"name": name, "modelSize": 8, "modelLatentDim": 4, "parameters": 10, "bytes": 20,
            "files": [{"path": "manifest.json"}, {"path": "ml5-dcgan.js"}], **extra}


def test_the_gallery_gives_a_labelled_model_its_labels_and_loader() -> None:
    index = {"models": [_entry("plain"), _entry("shapes", modelLabels=["circle", "square"])]}
    plain, labelled = gallery_models(index)
    assert "labels" not in plain and "loader" not in plain  # as before labels existed
    assert labelled["labels"] == ["circle", "square"] and labelled["loader"] == "ml5-dcgan.js"
    page = render_gallery(index)
    assert '"labels": ["circle", "square"]' in page
    assert "card.dcgan.generate(undefined, { label })" in page
    assert "for (const label of card.dcgan.labels)" in page
