"""The model card: ``models/dcgan/NAME/README.md``, what a person reads before using a model.

Hugging Face model-card style: YAML front matter (licence, library, tags, datasets, pipeline,
metrics) and a Markdown body with the description, pictures generated from the published files
themselves, how to load it in ml5 0.12.2 and in today's ml5, its size and the sha256 of every
file. Every text that came from a manifest or a training record is escaped (it is data), and
the front matter holds only JSON-quoted strings, so the card is always valid YAML + Markdown.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import __version__
from .layout import LOADER, MANIFEST, TRAINING, PublishedFile
from .text import markdown_inline, plain, yaml_string

CARD = "README.md"
SAMPLE = "sample.png"
WALK = "walk.gif"
PIPELINE = "unconditional-image-generation"
TAGS = ("dcgan", "gan", "ml5", "tfjs", "p5js", "image-generation")
LABELLED_TAG = "class-conditional"
ML5_CDN = "https://cdn.jsdelivr.net/npm/ml5@0.12.2/dist/ml5.min.js"
MAX_TRAINING_BYTES = 64 * 1024
MAX_TRAINING_FACTS = 30
SAMPLE_COUNT = 16
WALK_COUNT = 4  # images in each frame of the walk
WALK_FRAMES_BETWEEN = 8


@dataclass(frozen=True)
class CardFacts:
    """What the card says about one model."""

    name: str
    manifest: dict[str, Any]
    manifest_url: str  # absolute once hosted, else relative to the model's folder
    parameters: int
    files: Sequence[PublishedFile]  # every file of the model but the card itself
    training: dict[str, Any]  # training.json's facts, empty when there is none


def draw_pictures(folder: Path) -> list[str]:
    """Write the sample grid and the latent-walk GIF of the bundle in ``folder``, computed from
    its own files (rebuilt in Keras from whitelisted layers); return their names."""
    from ..generators import sample_grid, walk_gif

    sample_grid(folder, folder / SAMPLE, count=SAMPLE_COUNT)
    walk_gif(folder, folder / WALK, count=WALK_COUNT, frames_between=WALK_FRAMES_BETWEEN)
    return [SAMPLE, WALK]


def read_training(folder: Path) -> dict[str, Any]:
    """The scalar facts of ``folder/training.json`` ({} when absent or not a small JSON object);
    ``metrics`` (name -> number) is kept as a dict."""
    path = folder / TRAINING
    try:
        if not path.is_file() or path.stat().st_size > MAX_TRAINING_BYTES:
            return {}
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    facts: dict[str, Any] = {}
    for key, value in list(data.items())[:MAX_TRAINING_FACTS]:
        if key == "metrics" and isinstance(value, dict):
            facts[key] = {str(k): v for k, v in value.items()
                          if isinstance(v, int | float) and not isinstance(v, bool)}
        elif isinstance(value, str | int | float | bool):
            facts[str(key)] = value
    return facts


def render_card(facts: CardFacts) -> str:
    """The card's text: front matter, then the Markdown body."""
    return _front_matter(facts) + "\n" + _body(facts)


def _front_matter(facts: CardFacts) -> str:
    manifest = facts.manifest
    lines = ["---"]
    if manifest.get("license"):
        lines.append(f"license: {yaml_string(str(manifest['license']).lower())}")
    lines += [f"library_name: {yaml_string('ml5')}", f"pipeline_tag: {yaml_string(PIPELINE)}",
              "tags:", *(f"- {yaml_string(tag)}" for tag in TAGS)]
    if model_labels(manifest):
        lines.append(f"- {yaml_string(LABELLED_TAG)}")
    datasets = [text for text in (manifest.get("trainingData"), facts.training.get("dataset"))
                if isinstance(text, str) and plain(text)]
    if datasets:
        lines += ["datasets:", *(f"- {yaml_string(text)}" for text in dict.fromkeys(datasets))]
    metrics = facts.training.get("metrics") or {}
    if metrics:
        lines += ["metrics:", *(f"- {yaml_string(name)}" for name in metrics)]
    return "\n".join([*lines, "---"]) + "\n"


def _body(facts: CardFacts) -> str:
    manifest = facts.manifest
    description = markdown_inline(manifest.get("description") or "A DCGAN for ml5.js")
    size, latent = manifest.get("modelSize"), manifest.get("modelLatentDim")
    names = {file.path for file in facts.files}
    parts = [f"# {markdown_inline(facts.name)}", "", description, ""]
    pictures = [f"![Samples from {markdown_inline(facts.name)}]({SAMPLE})"
                if SAMPLE in names else "",
                f"![A walk through the latent space]({WALK})" if WALK in names else ""]
    if any(pictures):
        parts += [" ".join(p for p in pictures if p), "",
                  "Pictures computed from the published files themselves, on fixed "
                  "standard-normal latents (seed 0).", ""]
    parts += _usage(facts, LOADER in names)
    rows = [("Output", f"{size}x{size} RGB" if size else "?"),
            ("Latent dimension", str(latent)),
            ("Parameters", f"{facts.parameters:,}"),
            ("Bytes", f"{sum(file.bytes for file in facts.files):,}")]
    for label, key in (("Licence", "license"), ("Author", "author"), ("Source", "source"),
                       ("Training data", "trainingData")):
        if manifest.get(key):
            rows.append((label, markdown_inline(manifest[key])))
    if model_labels(manifest):
        rows.append(("Labels", ", ".join(f"`{markdown_inline(name)}`"
                                          for name in model_labels(manifest))))
    parts += ["## The model", "", "| | |", "|---|---|",
              *(f"| {label} | {value} |" for label, value in rows), ""]
    training = {k: v for k, v in facts.training.items() if k != "metrics"}
    if training or facts.training.get("metrics"):
        parts += ["## Training", "", "From the run that trained it (`training.json`).", "",
                  "| | |", "|---|---|",
                  *(f"| {markdown_inline(k)} | {markdown_inline(v)} |"
                    for k, v in training.items()),
                  *(f"| metric: {markdown_inline(k)} | {v:g} |"
                    for k, v in (facts.training.get("metrics") or {}).items()), ""]
    parts += ["## Files", "", "| File | Bytes | sha256 |", "|---|---:|---|",
              *(f"| {markdown_inline(file.path)} | {file.bytes:,} | `{file.sha256}` |"
                for file in facts.files), "",
              f"Published with ml5-dcgan-tools {__version__}; `ml5-dcgan audit` re-checks "
              "every hash and the model's numbers against `reference.json`.", ""]
    return "\n".join(parts)


def model_labels(manifest: dict[str, Any]) -> list[str]:
    """The class names of a labelled model (``modelLabels`` in its manifest or catalog entry);
    [] for any other."""
    labels = manifest.get("modelLabels")
    if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
        return []
    return labels


def _usage(facts: CardFacts, has_loader: bool) -> list[str]:
    url = json.dumps(facts.manifest_url)
    labels = model_labels(facts.manifest)
    if labels:
        return _labelled_usage(url, labels, has_loader)
    lines = ["## Use it", "", "In a p5.js sketch with ml5.js 0.12.2 (its built-in DCGAN):", "",
             "```html", f'<script src="{ML5_CDN}"></script>', "<script>",
             f"ml5.DCGAN({url}).then(async (dcgan) => {{",
             "  const { image, raw } = await dcgan.generate();  // image: a p5.Image",
             "});", "</script>", "```", ""]
    if facts.manifest_url == MANIFEST:
        lines += ["ml5 0.12.2 resolves the manifest's relative `model` against the *page*: "
                  "serve the page from this folder, or publish with `--base-url`.", ""]
    if has_loader:
        lines += [f"In today's ml5 (1.x, which has no DCGAN of its own), with `{LOADER}` "
                  "from this folder:", "",
                  "```html", f'<script src="{LOADER}"></script>', "<script>",
                  f"const gan = await ml5DCGAN({url});",
                  "const { image, raw } = await gan.generate();",
                  f"// with ml5 1.x on the page, the loader also answers "
                  f"ml5.DCGAN({url}, callback)",
                  "</script>", "```", ""]
    else:
        lines += ["Today's ml5 (1.x) has no DCGAN; bundles exported by a current "
                  f"`ml5-dcgan export` carry `{LOADER}`, which adds one.", ""]
    return lines


def _labelled_usage(url: str, labels: list[str], has_loader: bool) -> list[str]:
    """A labelled model is drawn through the loader: ml5 0.12.2's own ml5.DCGAN feeds the
    generator a latent only, so it cannot run a model that also takes a label."""
    first, second = json.dumps(labels[0]), json.dumps(labels[-1])
    lines = ["## Use it", "",
             f"This model draws the class you ask for, one of its {len(labels)} labels "
             f"({', '.join(f'`{markdown_inline(name)}`' for name in labels)}). ml5.js 0.12.2's "
             f"own `ml5.DCGAN` cannot pass a label; the `{LOADER}` loader can, with ml5.js "
             "0.12.2 or today's ml5 (1.x) on the page.", ""]
    if not has_loader:
        return [*lines, f"This folder has no `{LOADER}`: export the model again with a current "
                        "`ml5-dcgan export`, which writes it.", ""]
    return [*lines, "```html", f'<script src="{ML5_CDN}"></script>',
            f'<script src="{LOADER}"></script>', "<script>",
            f"const gan = await ml5DCGAN({url});",
            "gan.labels;  // the class names, in the model's order",
            f"const {{ image, raw }} = await gan.generate(undefined, {{ label: {first} }});",
            "// between two classes (weights are normalised), e.g. for a slider:",
            f"await gan.generate(undefined, {{ label: {{ {first}: 0.7, {second}: 0.3 }} }});",
            "// no label: a class drawn at random",
            "</script>", "```", ""]
