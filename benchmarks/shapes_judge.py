"""Does a generator trained on the built-in `shapes` draw recognisable shapes? Judged by a
classifier trained on the labelled built-in data (the data's generator knows each image's shape
and shape colour), not by the GAN's own discriminator.

    python benchmarks/shapes_judge.py SOURCE [SOURCE ...] [--samples 1000] [--json]

SOURCE is anything `ml5-dcgan generate` takes (a run folder, a .keras file, a bundle). For each,
and for as many real held-out images, it prints:
  - shape confidence: the classifier's mean probability of the likeliest of circle / square /
    triangle (real images score about 1);
  - recognisable: the share of samples it calls a circle, square or triangle with probability
    >= 0.9. Besides the three shapes the judge knows a fourth answer, "no clear shape", learnt
    from the same images blurred into soft blobs and warped into lumps: without it a round blob
    passed as a circle, and a lump as a triangle. Every training image gets pixel noise of a
    random strength, so that speckle alone says nothing about the shape;
  - shape balance: entropy of the recognisable samples' shapes over ln 3 (1 = all three equally
    often);
  - classes: how many of the 24 (shape, colour) classes at least 0.5% of the samples are
    recognised in.
A labelled SOURCE (trained with `--labels` on `shapes`) is also asked for each shape in turn:
  - asked shape: per shape, of the samples drawn for it that the judge is sure of (p >= 0.9, not
    "no clear shape"), the share it calls the asked shape.
"""

from __future__ import annotations

import argparse
import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

SIZE = 32  # the judge's side: samples of other sizes are scaled to it
TRAINING_IMAGES, HELD_OUT = 12000, 2000
UNCLEAR = 3  # the judge's fourth shape class: a soft blob, no clear shape
RECOGNISED = 0.9
CLASS_SHARE = 0.005


@dataclass
class Judgement:
    source: str
    samples: int
    shape_confidence: float
    recognisable: float
    shape_balance: float
    classes: int


def train_judge(seed: int = 0):
    """A small CNN at 32 px with a shape head and a colour head; returns (model, held-out
    accuracies). About 1.5 minutes on 2 CPU cores."""
    import keras

    from ml5_dcgan_tools.data.shapes import COLOURS, SHAPES, labelled_shapes

    keras.utils.set_random_seed(seed)
    inputs = keras.Input((SIZE, SIZE, 3))
    x = keras.layers.Rescaling(1 / 127.5, -1.0)(inputs)
    for filters in (32, 64, 128):
        x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = keras.layers.MaxPooling2D()(x)
    x = keras.layers.Dense(128, activation="relu")(keras.layers.Flatten()(x))
    model = keras.Model(inputs, {"shape": keras.layers.Dense(len(SHAPES) + 1, "softmax",
                                                             name="shape")(x),
                                 "colour": keras.layers.Dense(COLOURS, "softmax",
                                                              name="colour")(x)})
    model.compile("adam", {"shape": "sparse_categorical_crossentropy",
                           "colour": "sparse_categorical_crossentropy"},
                  metrics={"shape": "accuracy", "colour": "accuracy"})
    images, labels = labelled_shapes(TRAINING_IMAGES, SIZE, seed=1000 + seed)
    blobs, blob_labels = labelled_shapes(TRAINING_IMAGES // 3, SIZE, seed=4000 + seed)
    blob_labels[:, 0] = UNCLEAR
    rng = np.random.default_rng(seed)
    half = len(blobs) // 2
    images = np.concatenate([images, blurred(blobs[:half], rng), warped(blobs[half:], rng)])
    labels = np.concatenate([labels, blob_labels])
    images = speckled(images, rng)
    model.fit(images, {"shape": labels[:, 0], "colour": labels[:, 1]}, batch_size=64, epochs=4,
              verbose=0)
    test, test_labels = labelled_shapes(HELD_OUT, SIZE, seed=2000 + seed)
    predicted = model.predict(test, batch_size=256, verbose=0)
    accuracy = {head: float((predicted[head].argmax(1) == test_labels[:, i]).mean())
                for i, head in enumerate(("shape", "colour"))}
    return model, accuracy


def blurred(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each image blurred by 3 to 6 passes of a 3x3 box filter: a shape gone soft, as a young
    generator draws it."""
    from ml5_dcgan_tools.evaluation.pattern import box_blur

    out = images.astype(np.float32)
    passes = rng.integers(3, 7, len(images))
    for n in range(int(passes.max())):
        out = np.where((passes > n)[:, None, None, None], box_blur(out), out)
    return out.round().astype(np.uint8)


def warped(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Each image pulled about by a smooth random displacement (typically an eighth of its side),
    then softened: a lump in the shape's colours with none of its corners or roundness."""
    from ml5_dcgan_tools.evaluation.pattern import box_blur

    count, side = len(images), images.shape[1]
    coarse = rng.normal(0, side / 8, (count, 2, 4, 4))  # displacements on a 4 x 4 grid,
    at = np.linspace(0, 3, side)  # interpolated bilinearly to every pixel
    low = np.minimum(at.astype(int), 2)
    weight = at - low
    rows = coarse[:, :, low] * (1 - weight)[:, None] + coarse[:, :, low + 1] * weight[:, None]
    field = rows[..., low] * (1 - weight) + rows[..., low + 1] * weight
    pixel = np.arange(side)
    y = np.clip(np.rint(pixel[:, None] + field[:, 0]), 0, side - 1).astype(int)
    x = np.clip(np.rint(pixel[None, :] + field[:, 1]), 0, side - 1).astype(int)
    out = images[np.arange(count)[:, None, None], y, x].astype(np.float32)
    return box_blur(out).round().astype(np.uint8)


def speckled(images: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pixel noise of a random strength (standard deviation 0 to 24 of 255) on every training
    image, shapes and blobs alike: a young generator's samples are speckled, and without this
    the judge took the speckle itself for "no clear shape", even on plain triangles."""
    strength = rng.uniform(0, 24, (len(images), 1, 1, 1))
    noisy = images + strength * rng.standard_normal(images.shape, np.float32)
    return np.clip(noisy, 0, 255).round().astype(np.uint8)


def judge(model, images: np.ndarray, source: str) -> Judgement:
    """Score uint8 images (N, side, side, 3) with a model from `train_judge`; larger images are
    scaled down to 32 px (area averaging) first."""
    import tensorflow as tf

    from ml5_dcgan_tools.data.shapes import COLOURS, SHAPES

    if images.shape[1] != SIZE:
        images = tf.image.resize(images, (SIZE, SIZE), "area").numpy().round().astype(np.uint8)
    predicted = model.predict(images, batch_size=256, verbose=0)
    shape, colour = predicted["shape"][:, :UNCLEAR], predicted["colour"]
    recognised = shape.max(1) >= RECOGNISED
    named = shape.argmax(1)[recognised]
    counts = np.bincount(named, minlength=len(SHAPES)) / max(len(named), 1)
    balance = -sum(p * math.log(p) for p in counts if p > 0) / math.log(len(SHAPES))
    joint = np.bincount(named * COLOURS + colour.argmax(1)[recognised],
                        minlength=len(SHAPES) * COLOURS) / len(images)
    return Judgement(source, len(images), float(shape.max(1).mean()), float(recognised.mean()),
                     float(balance), int((joint >= CLASS_SHARE).sum()))


def asked_shapes(model, generator, samples: int) -> dict[str, dict[str, float]]:
    """Per asked shape: how many of its samples the judge is sure of, and how many of those are
    the asked shape."""
    import tensorflow as tf

    from ml5_dcgan_tools.data.shapes import SHAPES
    from ml5_dcgan_tools.generators import fixed_latents, generated_images

    width = int(generator.inputs[1].shape[-1])
    latents = fixed_latents(samples, int(generator.inputs[0].shape[-1]), 1)
    result = {}
    for index, shape_name in enumerate(SHAPES[:width]):
        onehots = np.zeros((samples, width), np.float32)
        onehots[:, index] = 1
        images = generated_images(generator, [latents, onehots])
        if images.shape[1] != SIZE:
            images = tf.image.resize(images, (SIZE, SIZE), "area").numpy().round().astype(np.uint8)
        shape = model.predict(images, batch_size=256, verbose=0)["shape"]
        sure = shape[:, :UNCLEAR].max(1) >= RECOGNISED
        right = shape[:, :UNCLEAR].argmax(1)[sure] == index
        result[shape_name] = {"sure": float(sure.mean()),
                              "asked_among_sure": float(right.mean()) if sure.any() else 0.0}
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sources", nargs="+", type=Path)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    from ml5_dcgan_tools.data.shapes import labelled_shapes
    from ml5_dcgan_tools.generators.pictures import fixed_latents
    from ml5_dcgan_tools.generators.sampling import generated_images
    from ml5_dcgan_tools.generators.source import load_generator

    model, accuracy = train_judge()
    rows = [judge(model, labelled_shapes(args.samples, SIZE, seed=3000)[0],
                  "real held-out shapes")]
    asked = {}
    for source in args.sources:
        generator = load_generator(source)
        latents = fixed_latents(args.samples, int(generator.inputs[0].shape[-1]), 1)
        inputs = latents
        if len(generator.inputs) > 1:  # labelled: uniform classes for the overall figures
            from ml5_dcgan_tools.generators import fixed_onehots

            inputs = [latents, fixed_onehots(args.samples, int(generator.inputs[1].shape[-1]), 1)]
            asked[str(source)] = asked_shapes(model, generator, args.samples)
        rows.append(judge(model, generated_images(generator, inputs), str(source)))
    if args.json:
        print(json.dumps({"judge_accuracy": accuracy, "rows": [asdict(row) for row in rows],
                          "asked_shapes": asked}, indent=2))
        return
    print(f"judge: held-out accuracy shape {accuracy['shape']:.3f}, colour "
          f"{accuracy['colour']:.3f}")
    print("| images | shape confidence | recognisable (p >= 0.9) | shape balance | classes of 24 |")
    print("|---|---|---|---|---|")
    for row in rows:
        print(f"| {row.source} | {row.shape_confidence:.2f} | {row.recognisable:.0%} | "
              f"{row.shape_balance:.2f} | {row.classes} |")

    for source, shapes in asked.items():
        print(f"{source}, each shape asked for: " + "; ".join(
            f"{name} {figures['asked_among_sure']:.0%} of the {figures['sure']:.0%} it is sure of"
            for name, figures in shapes.items()))


if __name__ == "__main__":
    main()
