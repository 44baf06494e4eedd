"""Picture quality per minute of training: `ml5-dcgan train` with its defaults against the
pytorch/examples DCGAN (pytorch_dcgan.py) as written and trained with our recipe's width, batch
and latent, same data, same minutes, same image size, several seeds.

    python benchmarks/quality_per_minute.py --dataset mnist=TRAIN_IDX[,HELDOUT_IDX] \\
        [--dataset fashion=...] [--minutes 4] [--seeds 0 1 2] [--out quality-per-minute]
    python benchmarks/quality_per_minute.py --dataset photos=my-folder/ --minutes 10

Each trainer runs in its own process, one after the other, for --minutes of training time as
each counts it (ours: `train --minutes`, which leaves out its quality evaluations; the peer: its
loop from the first step; start-up and decoding are not counted for either). Ours is then sampled
from its best checkpoint (what `export` takes), the peer's generator in inference mode. Both are
scored by `ml5-dcgan evaluate`'s figures (Fréchet distance and KID on the fixed random-convolution
embedding, precision/recall/coverage) against held-out images when given (else the training
images): 2,000 samples each. Prints medians with the range over seeds, and writes OUT/results.json
and OUT/DATASET.png (the first seed's samples side by side, in the table's order). --variant runs
ml5-dcgan again with other flags, for an ablation. Needs torch for the peer.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image

HERE = Path(__file__).parent
SAMPLES = 2000
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
# TrainConfig's width, batch size and latent length, for the peer that trains with our recipe.
OUR_RECIPE = ("--width", "32", "--batch-size", "32", "--latent-dim", "128")


def run_ours(data: str, size: int, minutes: float, seed: int, scratch: Path,
             flags: str = "") -> tuple[np.ndarray, dict]:
    from ml5_dcgan_tools.generators.pictures import fixed_latents
    from ml5_dcgan_tools.generators.run_folder import pick_generator
    from ml5_dcgan_tools.generators.sampling import generated_images
    from ml5_dcgan_tools.generators.source import load_generator

    run = Path(tempfile.mkdtemp(prefix=f"ours-{seed}-", dir=scratch))
    subprocess.run([sys.executable, "-m", "ml5_dcgan_tools", "train", data, "--out", str(run),
                    "--size", str(size), "--seed", str(seed), "--minutes", str(minutes), "--quiet",
                    *flags.split()],
                   env=ENV, check=True)
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    config = json.loads((run / "config.json").read_text())
    generator = load_generator(pick_generator(run)[0])  # what `export` takes: the best
    fake = generated_images(generator, fixed_latents(SAMPLES, generator.input_shape[-1],
                                                     seed + 1))
    steps = records[-1]["step"]
    rates = [r["images_per_sec"] for r in records if r["step"] > config["log_every"]] or [
        r["images_per_sec"] for r in records]  # the first line's rate includes compiling
    patterns = [r["eval_pattern"] for r in records if "eval_pattern" in r]  # each evaluation's
    return fake, {"steps": steps, "images_per_sec": round(statistics.median(rates), 1),
                  "pattern_per_evaluation": patterns}


def run_peer(data: str, size: int, minutes: float, seed: int, scratch: Path,
             recipe: tuple[str, ...] = ()) -> tuple[np.ndarray, dict]:
    out = scratch / f"peer-{seed}.npy"
    result = subprocess.run([sys.executable, str(HERE / "pytorch_dcgan.py"), "--data", data,
                             "--size", str(size), "--minutes", str(minutes), "--seed", str(seed),
                             "--count", str(SAMPLES), "--samples", str(out), *recipe],
                            env=ENV, check=True, capture_output=True, text=True)
    return np.load(out), json.loads(result.stdout.strip().splitlines()[-1])


def trainers(variants: list[str], defaults: bool, peers: list[str]) -> dict[str, Callable]:
    """Our defaults, each NAME=FLAGS variant of them (an ablation), and the peer: as the example
    has it, and with our recipe's width, batch and latent (so a lead is the trainer's too)."""
    runs: dict[str, Callable] = {"ml5-dcgan (defaults)": run_ours} if defaults else {}
    for variant in variants:
        name, _, flags = variant.partition("=")
        runs[f"ml5-dcgan {name}"] = functools.partial(run_ours, flags=flags)
    if "examples" in peers:
        runs["pytorch/examples DCGAN"] = run_peer
    if "recipe" in peers:
        runs["PyTorch, ml5-dcgan's recipe"] = functools.partial(run_peer, recipe=OUR_RECIPE)
    return runs


def score(fake: np.ndarray, reference: np.ndarray, seed: int) -> dict:
    from ml5_dcgan_tools.evaluation.evaluate import evaluate_images

    report = evaluate_images(fake, reference, seed=seed)
    m = report.manifold
    return {"fd": report.fd, "kid": report.kid, "precision": m.precision, "recall": m.recall,
            "coverage": m.coverage, "fd_real": report.fd_real, "collapsed": m.collapsed,
            "patterned": report.patterned}


def spread(values: list[float], scale: float = 1.0, digits: int = 1) -> str:
    values = [v * scale for v in values]
    return (f"{statistics.median(values):.{digits}f} [{min(values):.{digits}f}–"
            f"{max(values):.{digits}f}]")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", action="append", required=True,
                        help="NAME=TRAIN[,HELDOUT]: anything `ml5-dcgan train` reads")
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--size", type=int, choices=(32, 64), default=64)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--out", type=Path, default=Path("quality-per-minute"))
    parser.add_argument("--variant", action="append", default=[],
                        help='NAME="TRAIN FLAGS": also ml5-dcgan with these flags (an ablation)')
    parser.add_argument("--no-peer", action="store_true", help="leave the PyTorch peers out")
    parser.add_argument("--peers", nargs="+", choices=("examples", "recipe"),
                        default=["examples", "recipe"],
                        help="which PyTorch peers: the example as written, with our recipe's sizes")
    parser.add_argument("--no-defaults", action="store_true",
                        help="leave ml5-dcgan's defaults out (variants already compared with them)")
    args = parser.parse_args()
    runs = trainers(args.variant, not args.no_defaults, [] if args.no_peer else args.peers)
    from ml5_dcgan_tools.data import load_images
    from ml5_dcgan_tools.generators.pictures import image_grid, save_png

    args.out.mkdir(parents=True, exist_ok=True)
    results: dict = {"minutes": args.minutes, "size": args.size, "samples": SAMPLES,
                     "cpu_cores": os.cpu_count(), "datasets": {}}
    for spec in args.dataset:
        name, _, paths = spec.partition("=")
        train, _, heldout = paths.partition(",")
        reference = load_images(heldout or train, args.size, progress=False).images
        rows: dict = {trainer: [] for trainer in runs}
        grids = []
        with tempfile.TemporaryDirectory(prefix="ml5-dcgan-qpm-") as scratch:
            for seed in args.seeds:
                for trainer, run in runs.items():  # interleaved: load hits all alike
                    fake, facts = run(train, args.size, args.minutes, seed, Path(scratch))
                    rows[trainer].append({"seed": seed, **facts,
                                          **score(fake, reference, seed)})
                    print(f"{name} seed {seed} {trainer}: " + json.dumps(rows[trainer][-1]),
                          flush=True)
                    if seed == args.seeds[0]:
                        grids += [np.asarray(image_grid(fake[:64]))]
        gap = np.full((grids[0].shape[0], 8, 3), 255, np.uint8)
        side_by_side = [part for grid in grids for part in (grid, gap)][:-1]
        save_png(Image.fromarray(np.concatenate(side_by_side, axis=1)), args.out / f"{name}.png")
        results["datasets"][name] = {"train": train, "heldout": heldout or None, "runs": rows}
        (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
        floor = rows[next(iter(runs))][0]["fd_real"]  # None: too few images for a second set
        print(f"\n{name}, {args.size} px: {args.minutes:g} minutes of training, median [range] "
              f"over seeds {args.seeds}, {SAMPLES} samples vs "
              f"{'held-out' if heldout else 'training'} images (real vs real FD "
              f"{'n/a' if floor is None else f'{floor:.2f}'})")
        print("| trainer | FD | KID x 1000 | precision | recall | coverage | steps | images/s |")
        print("|---|---|---|---|---|---|---|---|")
        for trainer, seeds in rows.items():
            def column(key: str, scale: float = 1.0, digits: int = 1,
                       seeds: list = seeds) -> str:
                return spread([r[key] for r in seeds], scale, digits)
            print(f"| {trainer} | {column('fd')} | {column('kid', 1000)} | "
                  f"{column('precision', digits=2)} | {column('recall', digits=2)} | "
                  f"{column('coverage', digits=2)} | {column('steps', digits=0)} | "
                  f"{column('images_per_sec')} |", flush=True)


if __name__ == "__main__":
    main()
