"""The git side of publishing: is the repository a git work tree, and commit exactly our paths.

Real git through subprocess with argument lists (never a shell). Only the published paths are
committed (``git commit -- PATHS``), so changes the user has staged elsewhere stay out of it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..errors import UsageError, UserError, last_line

GIT_FIX = "install git (Debian/Ubuntu: apt-get install git)"


def _git(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    git = shutil.which("git")
    if git is None:
        raise UsageError("git is not on PATH; --commit needs it", fix=GIT_FIX)
    return subprocess.run([git, "-C", str(repo), *args], capture_output=True, text=True,
                          timeout=120, check=False)


def require_work_tree(repo: Path) -> None:
    """UsageError unless ``repo`` is inside a git work tree."""
    done = _git(repo, "rev-parse", "--is-inside-work-tree")
    if done.returncode != 0 or done.stdout.strip() != "true":
        raise UsageError("--commit needs a git repository", where=str(repo),
                         fix=f"run `git init {repo}` first, or leave out --commit")


def tracked(repo: Path, path: str) -> bool:
    """Whether git tracks ``path`` (a file, or any file below a folder)."""
    done = _git(repo, "ls-files", "--", path)
    return done.returncode == 0 and bool(done.stdout.strip())


def commit(repo: Path, paths: list[str], message: str) -> str | None:
    """Stage ``paths`` (additions and deletions) and commit only them; return the commit id,
    or None when they are exactly as already committed (the same model published again)."""
    _run(repo, "add", "-A", "--", *paths)
    if _git(repo, "diff", "--cached", "--quiet", "--", *paths).returncode == 0:
        return None
    _run(repo, "commit", "-q", "-m", message, "--", *paths)
    return _git(repo, "rev-parse", "HEAD").stdout.strip()


def _run(repo: Path, *args: str) -> None:
    done = _git(repo, *args)
    if done.returncode != 0:
        raise UserError(f"git {args[0]} failed: {last_line(done.stderr + done.stdout)}",
                        where=str(repo),
                        fix="the model is published but not committed: fix git (e.g. set "
                            "user.name and user.email), then commit by hand")
