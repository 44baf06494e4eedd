"""Does a labelled generator draw the class it is asked for?

A linear classifier (ridge regression onto one-hot targets, closed form: no tuning, no
randomness) is trained on the user's own labelled images in the fixed embedding, so nothing is
downloaded and it knows exactly the user's classes. Part of the real images is held out to say
how far the judge can be trusted: a generator that follows its labels is recognised about as
often as held-out real images are; one that ignores them, about as often as chance. Next to it,
per class, the Fréchet distance of the generated images to the real ones of that class.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING

import numpy as np

from ..errors import UserError
from ..generators import fixed_onehots, label_width
from .distribution import frechet_distance
from .embedding import embed, standardise

if TYPE_CHECKING:
    import keras

HOLD_OUT = 0.25  # share of each class's real images the classifier never sees
RIDGE = 1e-3  # L2 penalty per training image, on standardised features (best on shapes)
TELLS_APART = 0.2  # held-out accuracy above chance below which the judge cannot tell classes apart
# Shares of the way from chance to the judge's accuracy: below IGNORES a generator does not follow
# its labels, from FOLLOWS on it follows them, in between it follows them weakly.
IGNORES, FOLLOWS = 0.2, 0.5
NAME_WIDTH = 16


@dataclass
class ClassAdherence:
    name: str
    real_images: int
    recognised: float  # share of the samples asked for this class that the judge calls it
    mistaken_for: str | None  # the class the judge most often saw instead (None: never wrong)
    fd: float  # generated vs real images of this class, in the standardised embedding


@dataclass
class LabelAdherence:
    samples: int  # generated per class
    real_images: int
    held_out: int  # real images the classifier was scored on
    classifier_accuracy: float  # on the held-out real images
    chance: float  # 1 / number of classes
    recognised: float  # over all classes (equal samples per class, so the mean of the classes)
    verdict: str  # follows its labels, LABELS WEAKLY FOLLOWED, LABELS NOT FOLLOWED, cannot judge
    classes: list[ClassAdherence]

    def as_dict(self) -> dict:
        return asdict(self)

    def lines(self) -> list[str]:
        lines = [
            f"  label adherence: {len(self.classes)} classes x {self.samples} samples, judged by "
            f"a classifier trained on {self.real_images - self.held_out} of your images",
            f"    the classifier recognises {self.classifier_accuracy:.0%} of {self.held_out} "
            f"held-out real images (chance: {self.chance:.0%})",
            f"    {'class':<{NAME_WIDTH}} recognised  Fréchet distance  mostly mistaken for",
        ]
        for c in self.classes:
            lines.append(f"    {_clip(c.name):<{NAME_WIDTH}} {c.recognised:9.0%}  {c.fd:16.2f}  "
                         f"{_clip(c.mistaken_for) if c.mistaken_for else '-'}")
        lines.append(f"    {'overall':<{NAME_WIDTH}} {self.recognised:9.0%}  "
                     f"{'':16}  {self.verdict}")
        return lines


def label_adherence(generator: keras.Model, images: np.ndarray, labels: np.ndarray,
                    class_names: list[str], *, samples: int = 200,
                    seed: int = 0) -> LabelAdherence:
    """Judge `samples` images per class drawn from a two-input GENERATOR (latent, one-hot label)
    with a classifier trained on uint8 IMAGES (N, H, W, 3) and their class indices LABELS."""
    from ..generators import fixed_latents, generated_images

    labels = np.asarray(labels, np.int64)
    count = len(class_names)
    width = label_width(generator)
    if width != count:
        raise UserError(f"the generator takes {width} labels but the data has {count} classes "
                        f"({', '.join(class_names)})",
                        fix="evaluate with the labelled data the generator was trained on")
    train, held_out = _split(labels, count, seed)
    real = embed(images)
    asked = np.repeat(np.arange(count), samples)
    latents = fixed_latents(len(asked), generator.inputs[0].shape[-1], seed)
    fake = embed(generated_images(generator, [latents, np.eye(count, dtype=np.float32)[asked]]))
    real, fake = standardise(real, fake)
    weights = _fit(real[train], labels[train], count)
    accuracy = float((_predict(weights, real[held_out]) == labels[held_out]).mean())
    seen = _predict(weights, fake)
    classes = [ClassAdherence(name=name, real_images=int((labels == c).sum()),
                              recognised=float((seen[asked == c] == c).mean()),
                              mistaken_for=_mistaken_for(seen[asked == c], c, class_names),
                              fd=frechet_distance(real[labels == c], fake[asked == c]))
               for c, name in enumerate(class_names)]
    recognised = float((seen == asked).mean())
    return LabelAdherence(samples=samples, real_images=len(labels), held_out=len(held_out),
                          classifier_accuracy=accuracy, chance=1 / count, recognised=recognised,
                          verdict=_verdict(recognised, accuracy, 1 / count), classes=classes)


def generator_inputs(generator: keras.Model, latents: np.ndarray,
                     seed: int) -> np.ndarray | list[np.ndarray]:
    """What `generator` is fed for these latents: them alone, or with a one-hot label per row
    drawn uniformly (a labelled generator's whole output, as training draws its fakes)."""
    width = label_width(generator)
    return [latents, fixed_onehots(len(latents), width, seed)] if width else latents


def _split(labels: np.ndarray, count: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices (train, held out): HOLD_OUT of every class, at least one image each way."""
    rng = np.random.default_rng(seed)
    train, held_out = [], []
    for c in range(count):
        members = rng.permutation(np.flatnonzero(labels == c))
        if len(members) < 2:
            raise UserError(f"class {c} has {len(members)} labelled images: at least 2 are "
                            "needed to train and check the classifier",
                            fix="give every class several images")
        cut = min(max(1, round(HOLD_OUT * len(members))), len(members) - 1)
        held_out.append(members[:cut])
        train.append(members[cut:])
    return np.concatenate(train), np.concatenate(held_out)


def _fit(features: np.ndarray, labels: np.ndarray, count: int) -> np.ndarray:
    """Ridge regression of +1/-1 class targets on the features (with a bias column)."""
    x = np.hstack([features, np.ones((len(features), 1))])
    targets = 2 * np.eye(count)[labels] - 1
    penalty = RIDGE * len(x) * np.eye(x.shape[1])
    penalty[-1, -1] = 0  # the bias is not shrunk
    return np.linalg.solve(x.T @ x + penalty, x.T @ targets)


def _predict(weights: np.ndarray, features: np.ndarray) -> np.ndarray:
    return (np.hstack([features, np.ones((len(features), 1))]) @ weights).argmax(1)


def _mistaken_for(seen: np.ndarray, asked: int, class_names: list[str]) -> str | None:
    wrong = seen[seen != asked]
    return class_names[int(np.bincount(wrong).argmax())] if len(wrong) else None


def _verdict(recognised: float, accuracy: float, chance: float) -> str:
    if accuracy - chance < TELLS_APART:
        return ("cannot judge: the classifier barely tells these classes apart in the "
                "embedding")
    if recognised < chance + IGNORES * (accuracy - chance):
        return "LABELS NOT FOLLOWED"
    if recognised < chance + FOLLOWS * (accuracy - chance):
        return "LABELS WEAKLY FOLLOWED"
    return "follows its labels"


def _clip(name: str) -> str:
    return name if len(name) <= NAME_WIDTH else name[:NAME_WIDTH - 1] + "…"
