"""ml5-dcgan-tools: train a DCGAN, export it as an ml5.js bundle, validate anyone's bundle.

The public API is imported lazily, so ``import ml5_dcgan_tools`` stays cheap and only the
functions that need TensorFlow import it, when called::

    from ml5_dcgan_tools import validate_manifest, export_bundle, validate_bundle
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
from typing import Any

__version__ = "0.1.0"

# TensorFlow turns its oneDNN kernels on by itself only on x86 CPUs with AVX-512 VNNI or newer.
# On an AVX2 CPU they make our float32 training step 1.6x faster (README, "Speed"), so ask for
# them before TensorFlow is imported. oneDNN's own memory pool added about 400 MiB to a 128-px
# run's peak; with the system allocator it is about 100 MiB, at the same speed (README,
# "Memory"). Variables the user set win; once TensorFlow is imported, they no longer matter.
if platform.machine().lower() in ("x86_64", "amd64") and "tensorflow" not in sys.modules:
    os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "1")
    os.environ.setdefault("TF_ONEDNN_USE_SYSTEM_ALLOCATOR", "1")

_PUBLIC = {
    "load_images": "ml5_dcgan_tools.data",
    "TrainConfig": "ml5_dcgan_tools.training",
    "train": "ml5_dcgan_tools.training",
    "resume": "ml5_dcgan_tools.training",
    "validate_manifest": "ml5_dcgan_tools.manifest",
    "validate_manifests": "ml5_dcgan_tools.manifest_batch",
    "load_generator": "ml5_dcgan_tools.generator_source",
    "create_manifest": "ml5_dcgan_tools.manifest",
    "export_bundle": "ml5_dcgan_tools.export",
    "validate_bundle": "ml5_dcgan_tools.validation",
    "publish_bundle": "ml5_dcgan_tools.publish",
    "check_in_browser": "ml5_dcgan_tools.web.browser_check",
    "ExportReport": "ml5_dcgan_tools.export",
    "Finding": "ml5_dcgan_tools.findings",
    "Report": "ml5_dcgan_tools.findings",
    "UserError": "ml5_dcgan_tools.errors",
}

__all__ = ["__version__", *_PUBLIC]


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'ml5_dcgan_tools' has no attribute {name!r}")
