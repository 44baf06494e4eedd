"""What `ml5-dcgan evaluate` found, as JSON for machines and as lines for people."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .labels import LabelAdherence
from .manifold import Manifold
from .memorisation import Memorisation

MIN_STABLE = 1000  # samples below which FD, KID and the k-NN figures are visibly noisy
SHOWN_COPIES = 10


@dataclass
class QualityReport:
    source: str
    samples: int
    reference: int  # real images the samples are compared with (a fixed subset of the data)
    training_images: int  # all of them, for the memorisation check
    embedding: str
    fd: float
    kid: float
    kid_std: float
    manifold: Manifold
    memorisation: Memorisation
    copy_names: list[str]  # the training image each listed copy reproduces
    pattern: float  # a grid pattern common to all samples (see pattern.py): 0 ideal
    pattern_real: float  # the same for as many real images
    patterned: bool
    fd_real: float | None = None  # two disjoint real subsets of this size: the floor
    kid_real: float | None = None
    adherence: LabelAdherence | None = None  # a labelled generator evaluated with --labels
    warnings: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        data = asdict(self)
        for copy, name in zip(data["memorisation"]["copies"], self.copy_names, strict=True):
            copy["training_image"] = name
        del data["copy_names"]
        if self.adherence is None:
            del data["adherence"]
        return data

    def lines(self) -> list[str]:
        m, mem = self.manifold, self.memorisation
        lines = [
            f"{self.source}: {self.samples} samples vs {self.reference} real images "
            f"({self.training_images} in the data), embedding {self.embedding}",
            f"  Fréchet distance  {self.fd:8.2f}{_floor(self.fd_real)}",
            f"  KID x 1000        {self.kid * 1000:8.2f} ± {self.kid_std * 1000:.2f}"
            f"{_floor(self.kid_real, 1000)}",
            f"  precision {m.precision:.2f}  recall {m.recall:.2f}  density {m.density:.2f}  "
            f"coverage {m.coverage:.2f}   (real data: about 1, 1, 1, 1)",
            f"  diversity {m.diversity:.2f} (1 = as varied as the data), near-duplicates "
            f"{m.duplicates:.0%} (real data: {m.duplicates_real:.0%}): "
            + ("MODE COLLAPSE" if m.collapsed else "no collapse"),
            f"  shared grid pattern {self.pattern:.3f} of the fine detail (real data: "
            f"{self.pattern_real:.3f}): " + ("DOT PATTERN" if self.patterned else "none"),
            f"  copies of training images: {mem.copied_share:.1%} of samples (unseen real "
            f"images: {mem.expected_share:.0%}): " + ("MEMORISING" if mem.memorising else "ok"),
        ]
        for copy, name in list(zip(mem.copies, self.copy_names, strict=True))[:SHOWN_COPIES]:
            lines.append(f"    sample {copy.sample} copies {name} (distance "
                         f"{copy.ratio:.3f} of the data's usual spacing)")
        if len(mem.copies) > SHOWN_COPIES:
            lines.append(f"    ... and {len(mem.copies) - SHOWN_COPIES} more (--json lists all)")
        lines += self.adherence.lines() if self.adherence else []
        lines += [f"  warning: {warning}" for warning in self.warnings]
        return lines


def _floor(value: float | None, scale: float = 1.0) -> str:
    return f"   (real vs real: {value * scale:.2f})" if value is not None else ""
