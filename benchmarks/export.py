"""Export figures for the canonical 64x64 generator (latent 128, about 3.8 M parameters).

Prints export time without verification (TensorFlow already imported and the model built, so
interpreter and TensorFlow start-up are excluded), verification time in the TF.js runtimes, and
bundle bytes for float32 / uint16 / uint8 with each one's max error.

    .venv/bin/python benchmarks/export.py
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))


def main() -> None:
    from generator_zoo import randomize

    from ml5_dcgan_tools.export import export_bundle, verify_bundle
    from ml5_dcgan_tools.model.dcgan import build_generator, count_parameters
    from ml5_dcgan_tools.reference import read_reference
    from ml5_dcgan_tools.runtime import ensure_runtime

    ensure_runtime()
    # Random weights scaled like trained ones (outputs spread over [-1, 1], not all near 0),
    # so that the errors printed are the ones a real model would see.
    generator = randomize(build_generator(size=64, latent_dim=128))
    print(f"canonical generator: 64x64, latent 128, {count_parameters(generator):,} parameters")

    with tempfile.TemporaryDirectory() as scratch:
        export_bundle(generator, Path(scratch) / "warm-up", verify=False)
        started = time.perf_counter()
        export_bundle(generator, Path(scratch) / "float32", verify=False)
        export_seconds = time.perf_counter() - started
        print(f"export without verification: {export_seconds:.2f} s")

        reference = read_reference(Path(scratch) / "float32" / "reference.json")
        started = time.perf_counter()
        checks = verify_bundle(Path(scratch) / "float32", reference, "ml5")
        print(f"verification (TF.js 1.7.4 + 4.22.0, {len(reference.latents)} latents): "
              f"{time.perf_counter() - started:.2f} s")
        for check in checks:
            print(f"  TF.js {check.version}: max abs error {check.max_abs_error:.2e}, "
                  f"{check.seconds:.2f} s")

        print(f"{'weights':8} {'bundle bytes':>14} {'vs Keras float32':>17} {'TF.js max err':>14}")
        for quantization in ("none", "uint16", "uint8"):
            report = export_bundle(generator, Path(scratch) / quantization,
                                   quantization=quantization)
            tfjs_error = max(check.max_abs_error for check in report.runtime_checks)
            label = "float32" if quantization == "none" else quantization
            print(f"{label:8} {report.bundle_bytes:>14,} {report.quantization_error:>17.2e} "
                  f"{tfjs_error:>14.2e}")


if __name__ == "__main__":
    main()
