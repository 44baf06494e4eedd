"""The real TF.js runtimes, installed from npm into the user's cache, that prove exported bundles.

    from ml5_dcgan_tools.runtime import run_bundle, compare_outputs
"""

from __future__ import annotations

from .install import RuntimeInfo, ensure_part, ensure_runtime, runtime_info
from .tfjs import RuntimeRun, compare_outputs, run_bundle

__all__ = [
    "RuntimeInfo",
    "RuntimeRun",
    "compare_outputs",
    "ensure_part",
    "ensure_runtime",
    "run_bundle",
    "runtime_info",
]
