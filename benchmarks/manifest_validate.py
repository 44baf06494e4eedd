"""How fast `ml5-dcgan` starts, and how fast it validates many manifests.

Targets: `ml5-dcgan --help` under 0.3 s (median), and 1,000 manifests validated in one call
in under 1 s beyond start-up. Run from anywhere with the project's Python:

    python benchmarks/manifest_validate.py [--runs 7] [--manifests 1000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COMMAND = [sys.executable, "-m", "ml5_dcgan_tools"]
STARTUP_TARGET_S = 0.3
VALIDATION_TARGET_S = 1.0


def median_seconds(arguments: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run([*COMMAND, *arguments], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL, check=False)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def write_manifests(folder: Path, count: int) -> None:
    """A realistic mix: mostly good, some warnings, some failures."""
    for index in range(count):
        manifest = {"description": f"DCGAN #{index}, 64x64", "model": "https://example.org/"
                    f"models/{index}/model.json", "modelSize": 64, "modelLatentDim": 128}
        if index % 10 == 1:
            manifest["model"] = f"models/{index}/model.json"
        if index % 10 == 2:
            del manifest["modelLatentDim"]
        (folder / f"manifest-{index:04}.json").write_text(json.dumps(manifest))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--manifests", type=int, default=1000)
    options = parser.parse_args()

    startup = median_seconds(["--help"], options.runs)
    with tempfile.TemporaryDirectory() as folder:
        write_manifests(Path(folder), options.manifests)
        validation = median_seconds(["manifest", "validate", "--json", folder], options.runs)
    beyond_startup = validation - startup

    print(f"ml5-dcgan --help: median {startup:.3f} s over {options.runs} runs "
          f"(target < {STARTUP_TARGET_S} s) {'OK' if startup < STARTUP_TARGET_S else 'SLOW'}")
    print(f"manifest validate, {options.manifests} files: median {validation:.3f} s, "
          f"{beyond_startup:.3f} s beyond start-up (target < {VALIDATION_TARGET_S} s) "
          f"{'OK' if beyond_startup < VALIDATION_TARGET_S else 'SLOW'}")


if __name__ == "__main__":
    main()
