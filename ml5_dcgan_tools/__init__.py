"""ml5-dcgan-tools: train a DCGAN, export it as an ml5.js bundle, validate anyone's bundle.

Every public name imports from here::

    from ml5_dcgan_tools import TrainConfig, train, export_bundle, validate_bundle

They are loaded on first use, so ``import ml5_dcgan_tools`` stays cheap and changes nothing in
the process (no environment variable, no TensorFlow import); only the functions that need
TensorFlow import it, when called. For the CLI's training speed on x86 CPUs, call
:func:`use_fast_cpu_kernels` before anything imports TensorFlow.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# Name -> the module that defines it. Grouped by the pipeline: data, training, generators,
# evaluation, export, validation, browser, publishing.
_PUBLIC = {
    "load_images": "ml5_dcgan_tools.data",
    "TrainConfig": "ml5_dcgan_tools.training",
    "train": "ml5_dcgan_tools.training",
    "resume": "ml5_dcgan_tools.training",
    "use_fast_cpu_kernels": "ml5_dcgan_tools.cpu_kernels",
    "load_generator": "ml5_dcgan_tools.generators",
    "pick_generator": "ml5_dcgan_tools.generators",
    "sample_grid": "ml5_dcgan_tools.generators",
    "evaluate": "ml5_dcgan_tools.evaluation",
    "QualityReport": "ml5_dcgan_tools.evaluation",
    "export_bundle": "ml5_dcgan_tools.export",
    "ExportReport": "ml5_dcgan_tools.export",
    "create_manifest": "ml5_dcgan_tools.manifest",
    "validate_manifest": "ml5_dcgan_tools.manifest",
    "validate_manifests": "ml5_dcgan_tools.manifest_batch",
    "validate_bundle": "ml5_dcgan_tools.validation",
    "BundleReport": "ml5_dcgan_tools.validation",
    "check_in_browser": "ml5_dcgan_tools.web",
    "write_sketch": "ml5_dcgan_tools.web",
    "publish_bundle": "ml5_dcgan_tools.publish",
    "ModelFacts": "ml5_dcgan_tools.publish",
    "audit_repository": "ml5_dcgan_tools.publish",
    "Finding": "ml5_dcgan_tools.findings",
    "Report": "ml5_dcgan_tools.findings",
    "UserError": "ml5_dcgan_tools.errors",
}

__all__ = [  # the names of _PUBLIC
    "BundleReport",
    "ExportReport",
    "Finding",
    "ModelFacts",
    "QualityReport",
    "Report",
    "TrainConfig",
    "UserError",
    "__version__",
    "audit_repository",
    "check_in_browser",
    "create_manifest",
    "evaluate",
    "export_bundle",
    "load_generator",
    "load_images",
    "pick_generator",
    "publish_bundle",
    "resume",
    "sample_grid",
    "train",
    "use_fast_cpu_kernels",
    "validate_bundle",
    "validate_manifest",
    "validate_manifests",
    "write_sketch",
]

if TYPE_CHECKING:  # what IDEs and type checkers see; at run time, __getattr__ below
    from .cpu_kernels import use_fast_cpu_kernels
    from .data import load_images
    from .errors import UserError
    from .evaluation import QualityReport, evaluate
    from .export import ExportReport, export_bundle
    from .findings import Finding, Report
    from .generators import load_generator, pick_generator, sample_grid
    from .manifest import create_manifest, validate_manifest
    from .manifest_batch import validate_manifests
    from .publish import ModelFacts, audit_repository, publish_bundle
    from .training import TrainConfig, resume, train
    from .validation import BundleReport, validate_bundle
    from .web import check_in_browser, write_sketch


def __getattr__(name: str) -> Any:
    if name in _PUBLIC:
        value = getattr(importlib.import_module(_PUBLIC[name]), name)
        globals()[name] = value  # later lookups skip this function
        return value
    raise AttributeError(f"module 'ml5_dcgan_tools' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_PUBLIC})
