"""Take a model out of a hosting repository: its folder and its catalog rows, in one step.

Under the same lock as publish. The folder is first renamed to a hidden name (one atomic
rename, ignored by git and by the audit), then the catalog is rewritten without it, then the
hidden folder is deleted; if the catalog cannot be written, the folder is renamed back, so the
repository never lists a model it no longer has.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..errors import UsageError
from ..files import exclusive_lock
from . import git
from .catalog import INDEX, read_index, rendered, without, write_catalog
from .publisher import GITIGNORE, LOCK, MODELS_DIR, NAME_PATTERN, STAGING_PREFIX


@dataclass(frozen=True)
class Unpublication:
    name: str
    had_folder: bool
    had_entry: bool
    commit: str | None


def unpublish_model(repo: str | Path, name: str, *, commit: bool = False) -> Unpublication:
    """Remove ``REPO/models/dcgan/NAME/`` and its entry in index.json, README.md and
    index.html; with ``commit``, commit exactly that. A UsageError when there is no such model."""
    repo = Path(repo)
    models = repo / MODELS_DIR
    if not NAME_PATTERN.fullmatch(name):
        raise UsageError(f"{name!r} is not a model name", fix="see models/dcgan/index.json")
    if not models.is_dir():
        raise UsageError(f"no {MODELS_DIR.as_posix()}/ folder", where=str(repo),
                         fix="give the root of a repository written by `ml5-dcgan publish`")
    if commit:
        git.require_work_tree(repo)
    with exclusive_lock(models / LOCK):
        index = read_index(models)
        had_entry = any(entry["name"] == name for entry in index["models"])
        folder = models / name
        had_folder = folder.is_dir()
        if not (had_entry or had_folder):
            raise UsageError(f"no model named {name!r} is published", where=str(models),
                             fix="see models/dcgan/index.json for the names")
        retired = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{name}-removed-", dir=models))
        if had_folder:
            folder.rename(retired / name)
        try:
            write_catalog(models, without(index, name))
        except BaseException:
            if had_folder:
                (retired / name).rename(folder)
            raise
        finally:
            shutil.rmtree(retired, ignore_errors=True)
        commit_id = None
        if commit:
            paths = [path for path in ((MODELS_DIR / part).as_posix() for part in
                                       (name, INDEX, *rendered(index), GITIGNORE))
                     if (repo / path).exists() or git.tracked(repo, path)]
            commit_id = git.commit(repo, paths, f"Unpublish DCGAN model {name}")
    return Unpublication(name=name, had_folder=had_folder, had_entry=had_entry,
                         commit=commit_id)
