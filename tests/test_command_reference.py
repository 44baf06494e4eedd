"""docs/reference/commands.md is generated from the Click commands; it must match them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

SCRIPT = Path("scripts") / "write_command_reference.py"
REFERENCE = Path("docs") / "reference" / "commands.md"


def check(repo_root: Path, reference: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(repo_root / SCRIPT), "--check", "--out",
                           str(reference)], capture_output=True, text=True, timeout=60,
                          check=False)


def test_the_committed_reference_matches_the_commands(repo_root: Path) -> None:
    completed = check(repo_root, repo_root / REFERENCE)
    assert completed.returncode == 0, completed.stderr


def test_an_edited_reference_fails_the_check_in_one_line(repo_root: Path, tmp_path: Path) -> None:
    edited = tmp_path / "commands.md"
    shutil.copyfile(repo_root / REFERENCE, edited)
    text = edited.read_text(encoding="utf-8")
    assert "--minutes" in text  # a real option of `train`, so the edit below changes something
    edited.write_text(text.replace("--minutes", "--hours", 1), encoding="utf-8")
    completed = check(repo_root, edited)
    assert completed.returncode == 1
    assert completed.stderr.strip().splitlines() == [
        f"{edited} is out of date with the commands; fix: python "
        "scripts/write_command_reference.py"]


def test_every_command_has_its_section(repo_root: Path) -> None:
    text = (repo_root / REFERENCE).read_text(encoding="utf-8")
    for path in ("ml5-dcgan train", "ml5-dcgan manifest validate", "ml5-dcgan runtime install",
                 "ml5-dcgan audit", "ml5-dcgan browser-check"):
        assert f"\n## {path}\n" in text
        assert f"Usage: {path} " in text
