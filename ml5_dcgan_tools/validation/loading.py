"""A TF.js bundle as a Keras model, for looking at its images in Python (``ml5-dcgan generate``).

The bundle passes the same source, safety and structure checks as ``validate`` first, and the
model is rebuilt from whitelisted layers only: nothing from the bundle is executed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import UserError
from ..safety import Limits
from .contract_checks import check_layers
from .keras_rebuild import RebuildError, rebuild
from .report import BundleReport
from .structure import check_topology, check_weight_specs, read_model
from .targets import open_bundle
from .weight_files import read_weights


def is_bundle(path: Path) -> bool:
    """A bundle folder, or its model.json / manifest.json (rather than a run or a .keras)."""
    path = Path(path)
    if path.is_dir():
        return (path / "model.json").is_file() or (path / "manifest.json").is_file()
    return path.suffix in (".json", ".zip")


def load_bundle_model(path: Path) -> Any:
    """A ``keras.Model`` computing what the bundle at ``path`` computes; UserError if it cannot."""
    report = BundleReport(str(path))
    limits = Limits()
    with open_bundle(Path(path), report, limits=limits, allow_network=False) as bundle:
        model = weights = None
        if bundle.model_json is not None:
            model = read_model(bundle.model_json, report, limits)
        if model is not None and check_layers(model, report) and check_topology(
                model, report, limits):
            check_weight_specs(model, report, limits)
            weights = read_weights(bundle, model, report, limits)
    failure = next((finding for finding in report.findings if finding.severity == "fail"), None)
    if failure is not None or model is None or weights is None:
        reason = failure.message if failure else "it holds no readable model"
        raise UserError(f"cannot load this bundle: {reason}", where=str(path),
                        fix=f"run `ml5-dcgan validate {path}` for every finding")
    try:
        return rebuild(model, weights)
    except RebuildError as error:
        raise UserError(f"cannot rebuild this bundle in Keras: {error}", where=str(path),
                        fix=f"run `ml5-dcgan validate {path}` for every finding") from None
