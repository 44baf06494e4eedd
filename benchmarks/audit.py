"""Time `ml5-dcgan audit` on a hosting repository of 50 tiny models (8x8, latent 8).

One model is published for real (validated, card drawn); 49 copies of its folder join it in
index.json under other names, so the repository is exactly what 50 publishes would leave.
Each audit runs in a fresh process, as CI would (interpreter, TensorFlow import and Node
start-up included):

- the whole repository with --no-numbers (catalog, hashes, structure: the pre-commit hook);
- with numbers (Keras rebuild, TF.js 1.7.4 and 4.22.0) on SUBSET models, --jobs 1 and 2, and
  the per-model figure scaled to 50 (a full numbers run takes many minutes on 2 shared cores;
  ``--full`` runs it anyway).

    .venv/bin/python benchmarks/audit.py [--models 50] [--subset 5] [--full]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def build_repository(repo: Path, count: int, scratch: Path) -> None:
    from hosting import tiny_bundle

    from ml5_dcgan_tools.publish import ModelFacts, publish_bundle
    from ml5_dcgan_tools.publish.catalog import read_index, with_entry, write_catalog

    bundle = tiny_bundle(scratch / "bundle", side=8, description="benchmark model")
    first = publish_bundle(bundle, repo, "model-000", facts=ModelFacts(license="MIT"))
    models = first.folder.parent
    index = read_index(models)
    for number in range(1, count):
        name = f"model-{number:03d}"
        shutil.copytree(first.folder, models / name)
        index = with_entry(index, {**first.entry, "name": name,
                                   "manifest": f"{name}/manifest.json"})
    write_catalog(models, index)


def audit(repo: Path, *options: str) -> tuple[float, dict]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "ml5_dcgan_tools", "audit", str(repo),
                           "--json", *options], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if not done.stdout.strip():
        raise SystemExit(f"audit printed nothing: {done.stderr.strip()[-500:]}")
    return seconds, json.loads(done.stdout)


def subset_of(repo: Path, count: int, target: Path) -> Path:
    from ml5_dcgan_tools.publish.catalog import read_index, write_catalog

    shutil.copytree(repo, target)
    models = target / "models" / "dcgan"
    index = read_index(models)
    keep = index["models"][:count]
    for entry in index["models"][count:]:
        shutil.rmtree(models / entry["name"])
    write_catalog(models, {**index, "models": keep})
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", type=int, default=50)
    parser.add_argument("--subset", type=int, default=5)
    parser.add_argument("--full", action="store_true", help="also numbers on every model")
    args = parser.parse_args()
    from ml5_dcgan_tools.runtime import ensure_runtime

    ensure_runtime()
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        repo = scratch / "repo"
        repo.mkdir()
        build_repository(repo, args.models, scratch)
        print(f"{args.models} models; {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
        seconds, report = audit(repo, "--no-numbers")
        print(f"--no-numbers, {args.models} models: {seconds:6.2f} s "
              f"(intact: {report['intact']})")
        subset = subset_of(repo, args.subset, scratch / "subset")
        for jobs in (1, 2):
            seconds, report = audit(subset, "--jobs", str(jobs))
            per_model = sorted(model["seconds"] for model in report["models"])
            print(f"numbers, {args.subset} models, --jobs {jobs}: {seconds:6.2f} s "
                  f"(intact: {report['intact']}; per model {per_model[0]:.1f}-"
                  f"{per_model[-1]:.1f} s) -> about {seconds / args.subset * args.models:.0f} s "
                  f"for {args.models}")
        if args.full:
            seconds, report = audit(repo, "--jobs", "2")
            print(f"numbers, {args.models} models, --jobs 2: {seconds:6.2f} s "
                  f"(intact: {report['intact']})")


if __name__ == "__main__":
    main()
