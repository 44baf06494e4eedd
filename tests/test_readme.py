"""The README is a reader's document that cannot drift from the code: its Python example runs,
it imports only from ``ml5_dcgan_tools``, and every link in it and in docs/ points at a file
that exists."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import ml5_dcgan_tools

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FENCE = re.compile(r"^```python\n(.*?)^```", re.M | re.S)
LINK = re.compile(r"\]\(([^)\s]+)\)|<img src=\"([^\"]+)\"")


def python_blocks() -> list[str]:
    return FENCE.findall(README.read_text(encoding="utf-8"))


def test_the_readme_is_short_and_starts_with_the_two_commands_and_a_picture() -> None:
    lines = README.read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 200
    first_screen = "\n".join(lines[:40])
    assert "bash scripts/quickstart.sh" in first_screen
    assert "bash scripts/test.sh" in first_screen
    assert re.search(r"<img src=\"docs/images/|!\[[^\]]*\]\(docs/images/", first_screen)


def test_the_python_example_imports_only_public_names_of_the_package() -> None:
    blocks = python_blocks()
    assert blocks, "the README has no ```python example"
    for block in blocks:
        for node in ast.walk(ast.parse(block)):
            if isinstance(node, ast.Import):
                pytest.fail(f"`import {node.names[0].name}`: import names from ml5_dcgan_tools")
            if isinstance(node, ast.ImportFrom):
                assert node.module == "ml5_dcgan_tools", ast.unparse(node)
                for alias in node.names:
                    assert alias.name in ml5_dcgan_tools.__all__, alias.name


def markdown_files() -> list[Path]:
    return [README, *sorted((ROOT / "docs").rglob("*.md"))]


def anchors(document: Path) -> set[str]:
    """The anchors GitHub gives the document's headings."""
    text = re.sub(r"^```.*?^```", "", document.read_text(encoding="utf-8"), flags=re.M | re.S)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
            for heading in re.findall(r"^#+ (.*)$", text, flags=re.M)}


@pytest.mark.parametrize("document", markdown_files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_every_relative_link_points_at_a_file_and_heading_that_exist(document: Path) -> None:
    text = re.sub(r"^```.*?^```", "", document.read_text(encoding="utf-8"), flags=re.M | re.S)
    missing = []
    for match in LINK.finditer(text):
        target, _, fragment = (match.group(1) or match.group(2)).partition("#")
        if re.match(r"[a-z]+:", target):
            continue  # a web address
        linked = (document.parent / target) if target else document
        if not linked.exists():
            missing.append(target)
        elif fragment and linked.suffix == ".md" and fragment not in anchors(linked):
            missing.append(f"{target}#{fragment}")
    assert not missing, f"{document.relative_to(ROOT)} links to missing files: {missing}"


@pytest.mark.slow
def test_the_python_example_runs(tmp_path: Path) -> None:
    """In a fresh interpreter (so use_fast_cpu_kernels() comes before TensorFlow), in an empty
    folder: it trains a few steps on the built-in shapes, exports, validates (needs Node)."""
    script = tmp_path / "readme_example.py"
    script.write_text("\n\n".join(python_blocks()), encoding="utf-8")
    completed = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True,
                               text=True, timeout=600, check=False,
                               env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert "trained 4 steps" in completed.stdout
    assert (tmp_path / "runs" / "demo" / "samples.png").is_file()
    assert (tmp_path / "bundles" / "demo" / "manifest.json").is_file()

