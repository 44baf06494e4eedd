"""Time to validate the canonical 64x64 bundle (latent 128, about 3.8 M parameters, 15 MB).

Runs `ml5-dcgan validate` in a fresh process, as a curator would (interpreter, TensorFlow import
and Node start-up included), with both TF.js runtimes (target: under 10 s once the npm runtimes
are installed), with --runtime none (Keras only) and with --no-numbers (structure only, no
TensorFlow). Then the parts, from the report's metrics.

    .venv/bin/python benchmarks/validate.py
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

RUNS = {
    "both TF.js runtimes": [],
    "without TF.js (--runtime none)": ["--runtime", "none"],
    "structure only (--no-numbers)": ["--no-numbers"],
}


def main() -> None:
    from generator_zoo import randomize

    from ml5_dcgan_tools.export import export_bundle
    from ml5_dcgan_tools.model.dcgan import build_generator
    from ml5_dcgan_tools.runtime import ensure_runtime

    ensure_runtime()  # the figures are for a warm npm cache
    with tempfile.TemporaryDirectory() as scratch:
        bundle = Path(scratch) / "bundle"
        report = export_bundle(randomize(build_generator(size=64, latent_dim=128)), bundle,
                               verify=False)
        print(f"canonical bundle: 64x64, latent 128, {report.parameters:,} parameters, "
              f"{report.bundle_bytes / 1e6:.1f} MB; {os.cpu_count()} CPUs, load "
              f"{os.getloadavg()[0]:.1f}")
        for label, options in RUNS.items():
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "ml5_dcgan_tools", "validate", "--json", *options,
                 str(bundle)], capture_output=True, text=True, check=False)
            seconds = time.perf_counter() - started
            result = json.loads(done.stdout)
            print(f"{label:32} {seconds:6.2f} s  ({result['status']})")
            numbers = result["metrics"].get("numbers")
            if numbers and numbers.get("tfjs"):
                print(f"  Keras rebuild + predict, TensorFlow import included: "
                      f"{numbers['python_seconds']:.2f} s (overlapping the TF.js runs)")
                for version, run in numbers["tfjs"].items():
                    print(f"  TF.js {version}: {run['seconds']:.2f} s, max abs error "
                          f"{run['max_abs_error']:.1e}")


if __name__ == "__main__":
    main()
