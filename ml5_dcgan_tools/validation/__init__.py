"""Validate any ml5 DCGAN bundle, ours or a stranger's: structure, safety, the ml5 contract and
the numbers. ::

    from ml5_dcgan_tools.validation import validate_bundle

    report = validate_bundle("submissions/faces.zip", runtimes=("1.7.4",))
    report.status(strict=False)  # "pass" | "warn" | "fail"
"""

from __future__ import annotations

from ..safety import Limits
from .report import STAGES, BundleReport
from .validator import validate_bundle

__all__ = ["STAGES", "BundleReport", "Limits", "validate_bundle"]
