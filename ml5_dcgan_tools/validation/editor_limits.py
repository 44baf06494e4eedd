"""Whether a bundle's files could be uploaded to the p5.js web editor as they are (its limits:
:mod:`ml5_dcgan_tools.p5_editor`). A warning, not a failure: the bundle still works when
hosted elsewhere, and ``ml5-dcgan sketch BUNDLE --zip`` makes a sketch folder the editor takes.
"""

from __future__ import annotations

from pathlib import PurePosixPath

from ..contract import MANIFEST_FILE
from ..p5_editor import editor_problem
from ..tfjs_model import TfjsModel
from .report import BundleReport, listed
from .targets import Bundle


def check_editor_limits(bundle: Bundle, model: TfjsModel, report: BundleReport) -> None:
    """One warning naming every file a sketch needs that the editor would refuse to upload."""
    model_name = PurePosixPath(bundle.model_json_name or "model.json")
    names = [model_name, *(model_name.parent / path for group in model.weight_groups
                           for path in group.paths)]
    if bundle.manifest is not None:
        names.insert(0, PurePosixPath(MANIFEST_FILE))
    problems = []
    for name in names:
        path = bundle.root / name
        if path.is_file():
            problems.append(editor_problem(name.name, path.stat().st_size))
    problems = [problem for problem in problems if problem]
    if problems:
        report.add("source.p5-web-editor", "warn",
                   f"the p5.js web editor would refuse to upload: "
                   f"{listed(problems, quoted=False, separator='; ')}",
                   f"run `ml5-dcgan sketch {report.target} --zip` for a zip of files it takes")
