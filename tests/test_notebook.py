"""notebooks/train-for-ml5.ipynb: the committed file is what make_notebook.py writes, and it runs
top to bottom in a real Jupyter kernel (CPU, tiny settings) to a zip whose bundle validates."""

from __future__ import annotations

import ast
import importlib.util
import os
import sys
import zipfile
from pathlib import Path

import nbformat
import pytest
from PIL import Image

from ml5_dcgan_tools.data.shapes import generate_shapes

ROOT = Path(__file__).resolve().parents[1]
spec = importlib.util.spec_from_file_location("make_notebook", ROOT / "notebooks/make_notebook.py")
make_notebook = importlib.util.module_from_spec(spec)
spec.loader.exec_module(make_notebook)

# 48 images of 32 px and a 3-second budget: one or two steps, then every later cell for real.
TINY = {"SIZE": 32, "MINUTES": 0.05, "EVAL_SAMPLES": 32, "DESCRIPTION": "Tiny test shapes",
        "NAME": "tiny", "PACKAGE": "unused: the kernel imports this checkout"}
WHERE_FROM = "import sys, ml5_dcgan_tools\nprint(sys.executable)\nprint(ml5_dcgan_tools.__file__)"


def test_committed_notebook_is_the_generated_one() -> None:
    committed = make_notebook.NOTEBOOK.read_text(encoding="utf-8")
    assert committed == make_notebook.render_notebook(), (
        "run `python notebooks/make_notebook.py` and commit the notebook")


def _settings_cell(notebook: nbformat.NotebookNode) -> nbformat.NotebookNode:
    tagged = [cell for cell in notebook.cells
              if make_notebook.SETTINGS_TAG in cell.metadata.get("tags", [])]
    assert len(tagged) == 1
    return tagged[0]


def _assigned(source: str) -> set[str]:
    return {target.id for node in ast.parse(source).body if isinstance(node, ast.Assign)
            for target in node.targets}


def _images_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as archive:
        for index, pixels in enumerate(generate_shapes(48, 32, seed=1)):
            with archive.open(f"shapes/{index:02d}.png", "w") as file:
                Image.fromarray(pixels).save(file, "PNG")
    return path


@pytest.mark.slow
def test_notebook_runs_to_a_bundle_that_validates(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from nbclient import NotebookClient

    from ml5_dcgan_tools import validate_bundle

    notebook = make_notebook.build()
    settings = _settings_cell(notebook)
    tiny = {"DATA": str(_images_zip(tmp_path / "my-images.zip")), **TINY}
    assert _assigned(settings.source) == set(tiny), "the test sets every setting the notebook has"
    settings.source = "\n".join(f"{name} = {value!r}" for name, value in tiny.items())
    notebook.cells.append(nbformat.v4.new_code_cell(WHERE_FROM))
    monkeypatch.setenv("PYTHONPATH", str(ROOT))

    work = tmp_path / "work"
    work.mkdir()
    NotebookClient(notebook, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(work)}}).execute()

    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert not [out for cell in code for out in cell.outputs if out.output_type == "error"]
    kernel_python, package = _stdout(code[-1]).split()
    assert Path(kernel_python).resolve() == Path(sys.executable).resolve()
    assert Path(package).resolve().is_relative_to(ROOT)

    assert "data: 48 images 32x32" in _stdout(_cell(code, "load_images(data, SIZE)"))
    assert any("image/png" in out.get("data", {}) for out in _cell(code, "train(").outputs)
    assert _stdout(_cell(code, "export_bundle(")).count("max abs difference") == 2

    archive = work / "tiny.zip"
    with zipfile.ZipFile(archive) as opened:
        names = set(opened.namelist())
        opened.extractall(tmp_path / "unzipped")
    assert {"tiny/index.html", "tiny/sketch.js", "tiny/samples.png",
            "tiny/model/manifest.json", "tiny/model/model.json"} <= names
    report = validate_bundle(tmp_path / "unzipped/tiny/model")
    assert report.status(strict=True) == "pass", [f.message for f in report.findings]


# Colab's file picker, for the upload branch: "picks" 16 shape images, saved in the current
# folder as Colab saves them, and returns their names and bytes as Colab's files.upload() does.
FAKE_COLAB_FILES = """
import io
from PIL import Image
from ml5_dcgan_tools.data.shapes import generate_shapes


def upload():
    picked = {}
    for index, pixels in enumerate(generate_shapes(16, 32, seed=2)):
        buffer = io.BytesIO()
        Image.fromarray(pixels).save(buffer, "PNG")
        picked[f"picked-{index:02d}.png"] = buffer.getvalue()
    for name, data in picked.items():
        with open(name, "wb") as file:
            file.write(data)
    return picked
"""


@pytest.mark.slow
def test_uploaded_images_become_the_data_in_colab(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from nbclient import NotebookClient

    colab = tmp_path / "fake" / "google" / "colab"
    colab.mkdir(parents=True)
    for package in (colab.parent, colab):
        (package / "__init__.py").write_text("")
    (colab / "files.py").write_text(FAKE_COLAB_FILES)
    monkeypatch.setenv("PYTHONPATH", f"{ROOT}{os.pathsep}{tmp_path / 'fake'}")

    notebook = make_notebook.build()
    settings = _settings_cell(notebook)
    settings.source = "import google.colab\n" + "\n".join(
        f"{name} = {value!r}" for name, value in {"DATA": "upload", **TINY}.items())
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    data_cell = _cell(code, "load_images(data, SIZE)")
    notebook.cells = code[:code.index(data_cell) + 1]
    work = tmp_path / "work"
    work.mkdir()
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(work)}}).execute()

    assert "data: 16 images 32x32 from images/upload" in _stdout(data_cell)
    assert sorted(p.name for p in (work / "images/upload").iterdir())[0] == "picked-00.png"
    assert not list(work.glob("*.png")), "the picked files moved into images/upload"


def _cell(cells: list[nbformat.NotebookNode], text: str) -> nbformat.NotebookNode:
    return next(cell for cell in cells if text in cell.source)


def _stdout(cell: nbformat.NotebookNode) -> str:
    return "".join(out.get("text", "") for out in cell.outputs if out.output_type == "stream"
                   and out.name == "stdout")
