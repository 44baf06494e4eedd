"""Export: a Keras 3 generator -> a TF.js layers bundle (+ ml5 manifest), verified in TF.js."""

from .bundle import ExportReport, RuntimeCheck, export_bundle, verify_bundle
from .layers_format import UnsupportedModel

__all__ = ["ExportReport", "RuntimeCheck", "UnsupportedModel", "export_bundle", "verify_bundle"]
