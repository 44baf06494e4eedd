"""The hosting repository's own checks: a GitHub Actions workflow and a pre-commit hook that run
``ml5-dcgan audit``, so the repository fails CI the moment a hosted model stops being exactly
what was published.

Written by the first publish and by ``ml5-dcgan audit --init-ci``; an existing file is never
overwritten (the maintainer may have edited it), and an existing ``.pre-commit-config.yaml``
without our hook is left alone with the entry to add printed instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import __version__
from ..files import write_atomically

WORKFLOW = Path(".github", "workflows", "ml5-dcgan-audit.yml")
PRE_COMMIT = Path(".pre-commit-config.yaml")
HOOK_ID = "ml5-dcgan-audit"
TOOL_SPEC = f"ml5-dcgan-tools=={__version__}"

WORKFLOW_TEXT = f"""# Written by ml5-dcgan-tools: re-checks every hosted DCGAN model, on each change
# and weekly.
# `ml5-dcgan audit` fails when a file's sha256 differs from models/dcgan/index.json, a model
# folder and the index disagree, or a model no longer computes its published reference outputs
# in TF.js 1.7.4 (the runtime inside ml5 0.12.2) and 4.22.0.
name: ml5-dcgan audit

on:
  push:
  pull_request:
  schedule:
    - cron: "23 5 * * 1"
  workflow_dispatch:

env:
  # Where pip finds ml5-dcgan-tools: a version, or e.g. git+https://github.com/OWNER/REPO@TAG
  ML5_DCGAN_TOOLS: "{TOOL_SPEC}"

jobs:
  audit:
    runs-on: ubuntu-latest
    timeout-minutes: 60
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.11"
      - uses: actions/setup-node@v4
        with:
          node-version: "20"
      - name: Install ml5-dcgan-tools and the two TF.js runtimes the audit runs
        # Only the numeric proof's runtimes (about 33 MB on disk); the browser part is not needed.
        run: |
          python -m pip install "$ML5_DCGAN_TOOLS"
          ml5-dcgan runtime install
      - name: Audit every hosted model
        run: ml5-dcgan audit . --jobs 2
"""

HOOK_ENTRY = f"""  - repo: local
    hooks:
      - id: {HOOK_ID}
        name: ml5-dcgan audit (files and index; the numbers run in CI)
        entry: ml5-dcgan audit . --no-numbers
        language: system
        pass_filenames: false
        files: ^models/dcgan/
"""

PRE_COMMIT_TEXT = f"""# Written by ml5-dcgan-tools.
# Install with: pip install pre-commit && pre-commit install
repos:
{HOOK_ENTRY}"""


@dataclass
class CiFiles:
    """What :func:`init_ci` did: files written, and files kept as they were."""

    written: list[str] = field(default_factory=list)  # relative to the repository, "/"-separated
    kept: list[str] = field(default_factory=list)
    hook_missing: bool = False  # .pre-commit-config.yaml exists without our hook


def init_ci(repo: Path) -> CiFiles:
    """Write the workflow and the pre-commit configuration into ``repo`` where they are absent."""
    done = CiFiles()
    workflow = repo / WORKFLOW
    if workflow.exists():
        done.kept.append(WORKFLOW.as_posix())
    else:
        workflow.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(workflow, WORKFLOW_TEXT)
        done.written.append(WORKFLOW.as_posix())
    pre_commit = repo / PRE_COMMIT
    if not pre_commit.exists():
        write_atomically(pre_commit, PRE_COMMIT_TEXT)
        done.written.append(PRE_COMMIT.as_posix())
    else:
        done.kept.append(PRE_COMMIT.as_posix())
        done.hook_missing = HOOK_ID not in pre_commit.read_text(encoding="utf-8", errors="replace")
    return done
