"""Writes train-for-ml5.ipynb from the cell sources below, so the notebook is reviewed as code.

    python notebooks/make_notebook.py      # after editing a cell; commit both files

The notebook is written without outputs and with fixed cell ids, so the same sources give the same
file (tests/test_notebook.py checks the committed one is up to date, and runs it).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

NOTEBOOK = Path(__file__).with_name("train-for-ml5.ipynb")
SETTINGS_TAG = "parameters"  # the settings cell; the test replaces it with tiny settings

INTRO = """\
# Train a DCGAN for ml5.js on a free GPU

From a folder of images (or the built-in coloured shapes) to **one zip holding an ml5.js model
bundle and a sketch page that draws with it**: training on the GPU, the samples as they improve,
a quality report, the export proved in the real TF.js runtimes (1.7.4, inside ml5 0.12.2, and
4.22.0, inside ml5 1.x) and the validation a curator would run.

**Before you start:** Runtime > Change runtime type > **GPU** (a T4 is enough), then Runtime >
Run all. Installing takes a few minutes (the TF.js runtimes are about 1.2 GB from npm), training
takes `MINUTES`, the quality report, export and checks a few more. Stopping the training cell
(its stop button) ends the training early and keeps what it learnt; the cells after it carry on
from there."""

SETTINGS = """\
# Settings: change them here, then Runtime > Run all.
DATA = "shapes"  # "shapes" (built-in coloured shapes), "upload" (a zip or images you pick),
                 # or the path of a folder or .zip of images, e.g. on a mounted Google Drive
SIZE = 64  # pixels: 32, 64, 128 or 256 (ml5's own DCGAN models are 64)
MINUTES = 10  # training time; then the run stops and saves
EVAL_SAMPLES = 2000  # images sampled for the quality report; 0 skips it
DESCRIPTION = "Coloured shapes, 64x64"  # the model's description in its manifest.json
NAME = "my-dcgan"  # the folder and the zip you download: my-dcgan.zip
PACKAGE = "ml5-dcgan-tools"  # where pip gets the toolkit, e.g. git+https://github.com/OWNER/REPO"""

INSTALL = """\
# The toolkit (skipped when it is installed), then the TF.js runtimes it proves bundles in
# (npm, once, about 33 MB; Colab has Node.js and npm).
import importlib.util
import subprocess
import sys
from pathlib import Path

if importlib.util.find_spec("ml5_dcgan_tools") is None:
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", PACKAGE], check=True)
    importlib.invalidate_caches()

import ml5_dcgan_tools
from ml5_dcgan_tools.cli.quiet_tensorflow import quiet_tensorflow
from ml5_dcgan_tools.runtime.install import ensure_runtime, runtime_info

ml5_dcgan_tools.use_fast_cpu_kernels()  # before TensorFlow starts: faster on x86 CPUs
quiet_tensorflow()  # TensorFlow's C++ start-up log lines would fill the cells below
ensure_runtime(progress=print)
info = runtime_info()
print(f"ml5-dcgan-tools {ml5_dcgan_tools.__version__} ({Path(ml5_dcgan_tools.__file__).parent})")
print(f"Node.js {info.node_version}, npm {info.npm_version}; TF.js runtimes in "
      + ", ".join(str(part.folder) for part in info.parts if part.installed))"""

DATA_INTRO = """\
## Your images

`DATA = "upload"` opens a file picker: choose one zip of images (a folder zipped), or the images
themselves. Any size and shape: they are centre-cropped and resized to `SIZE`; unreadable files
are skipped and counted. A few hundred images is a start, thousands are better."""

DATA_CELL = """\
import shutil

from ml5_dcgan_tools import UserError, load_images
from ml5_dcgan_tools.safety import Limits, extract_zip

IN_COLAB = "google.colab" in sys.modules
IMAGES = Path("images")  # where uploaded or zipped images are unpacked


def unpack(archive: Path) -> str:
    \"\"\"Unpack a zip of images into images/NAME once, refusing links, paths that leave the
    folder and zip bombs (the toolkit's own checks, with room for a dataset).\"\"\"
    folder = IMAGES / archive.stem
    if not folder.exists():
        folder.mkdir(parents=True)
        problems = extract_zip(archive, folder, Limits(zip_entries=200_000,
                                                       bundle_bytes=4 * 2**30))
        if problems:
            shutil.rmtree(folder)
            raise UserError(problems[0].message, where=str(archive), fix=problems[0].hint)
    return str(folder)


if DATA == "upload":
    if not IN_COLAB:
        raise UserError("DATA = 'upload' needs Colab's file picker",
                        fix="set DATA to the path of a folder or .zip of images")
    from google.colab import files

    uploaded = [Path(name) for name in files.upload()]  # saved in the current folder
    zips = [path for path in uploaded if path.suffix.lower() == ".zip"]
    if zips:
        data = unpack(zips[0])
    else:
        (IMAGES / "upload").mkdir(parents=True, exist_ok=True)
        for path in uploaded:
            path.replace(IMAGES / "upload" / path.name)
        data = str(IMAGES / "upload")
elif DATA.lower().endswith(".zip"):
    data = unpack(Path(DATA).expanduser())
else:
    data = DATA
print(load_images(data, SIZE).summary())"""

DEVICE = """\
import tensorflow as tf

gpus = tf.config.list_physical_devices("GPU")
if gpus:
    details = tf.config.experimental.get_device_details(gpus[0])
    print(f"training on the GPU: {details.get('device_name', gpus[0].name)}")
else:
    print("CPU only: training will be slow (Runtime > Change runtime type > GPU, then run all)")"""

TRAIN_INTRO = """\
## Train

The picture shows samples from the same fixed latents after each epoch, the line below it the
latest losses; both update in place. Expect colour blobs first, then shapes. The run folder
`run/` keeps everything (checkpoints, `samples/`, `progress.gif`, `metrics.jsonl`)."""

TRAIN = """\
import contextlib
import json
import threading

from IPython.display import Image, Pretty, display

from ml5_dcgan_tools import TrainConfig, resume, train

RUN = Path("run")
picture = display(Pretty("the first samples appear after the first epoch"), display_id=True)
status = display(Pretty(""), display_id=True)


def show() -> None:
    \"\"\"The newest sample grid and the newest line of metrics.jsonl, in place.\"\"\"
    grids = sorted((RUN / "samples").glob("epoch-*.png"))
    if grids:
        picture.update(Image(filename=grids[-1]))
    metrics = RUN / "metrics.jsonl"
    lines = metrics.read_text().splitlines() if metrics.exists() else []
    with contextlib.suppress(IndexError, ValueError):  # none yet, or being written
        row = json.loads(lines[-1])
        losses = ", ".join(f"{key} {row[key]:.3f}" for key in ("d_loss", "g_loss"))
        quality = f", Fréchet distance {row['eval_fd']:.1f}" if "eval_fd" in row else ""
        status.update(Pretty(f"epoch {row['epoch']}, step {row['step']:,}: {losses}, "
                             f"{row['images_per_sec']:.0f} images/s{quality}"))


def watch(stop: threading.Event) -> None:
    while not stop.wait(10):
        show()


stop_watching = threading.Event()
watcher = threading.Thread(target=watch, args=(stop_watching,), daemon=True)
watcher.start()
try:
    if (RUN / "config.json").exists():  # run the cell again: MINUTES more, from where it stopped
        result = resume(RUN, quiet=True)
    else:  # as many epochs as MINUTES allow
        result = train(TrainConfig(data=data, size=SIZE, minutes=MINUTES), RUN, quiet=True)
finally:
    stop_watching.set()
    watcher.join()
show()
print(f"trained to step {result.step:,}; run this cell again to train longer")"""

PROGRESS = """\
# How the samples changed, epoch by epoch (an animated GIF).
display(Image(filename=RUN / "progress.gif"))"""

EVALUATE = """\
# Quality against your images, in a fixed random embedding (no download): lower Fréchet
# distance and KID are better; precision, recall, density and coverage near 1 are best.
from ml5_dcgan_tools import evaluate

if EVAL_SAMPLES:
    print("\\n".join(evaluate(RUN, data, samples=EVAL_SAMPLES).lines()))
else:
    print("skipped (EVAL_SAMPLES = 0)")"""

EXPORT = """\
# Export for ml5, proved in TF.js: the bundle's outputs against Keras', for the same latents.
from ml5_dcgan_tools import export_bundle

FOLDER = Path(NAME)
BUNDLE = FOLDER / "model"
report = export_bundle(RUN, BUNDLE, description=DESCRIPTION, overwrite=True)
print(f"{BUNDLE}/: {report.parameters:,} parameters, {report.bundle_bytes / 1e6:.2f} MB")
for check in report.runtime_checks:
    print(f"  TF.js {check.version}: " + (f"max abs difference {check.max_abs_error:.2g}"
                                          if check.passed else f"FAILED: {check.problem}"))"""

VALIDATE = """\
# What a curator would check before hosting it: files, safety, the ml5 contract, the numbers.
from ml5_dcgan_tools import validate_bundle
from ml5_dcgan_tools.cli.validate import render

verdict = validate_bundle(BUNDLE)
print(render(verdict, strict=False))"""

PACKAGE_CELL = """\
# The sketch page beside the bundle, then one zip of both, and the download.
from ml5_dcgan_tools import write_sketch

page = write_sketch(BUNDLE, FOLDER, force=True)
shutil.copyfile(sorted((RUN / "samples").glob("epoch-*.png"))[-1], FOLDER / "samples.png")
archive = Path(shutil.make_archive(NAME, "zip", root_dir=".", base_dir=NAME))
print(f"{archive}: {archive.stat().st_size / 1e6:.2f} MB, "
      f"{', '.join(sorted(p.name for p in FOLDER.iterdir()))}")
if IN_COLAB:
    from google.colab import files

    files.download(str(archive))
else:
    print(f"download it from {archive.resolve()}")"""

NEXT = """\
## Use it

Unzip it and serve the folder: `ml5-dcgan serve my-dcgan` (or `python -m http.server -d
my-dcgan`), then open http://127.0.0.1:8000: `index.html` draws with your model in ml5.js 1.x.
In your own p5.js sketch, load `ml5-dcgan.js` after ml5 and call
`await ml5DCGAN("model/manifest.json")`. For ml5 0.12's `ml5.DCGAN`, which finds `model.json`
beside the page, put the page in `model/`: `ml5-dcgan sketch my-dcgan/model --ml5 0.12`."""

CELLS = [
    ("markdown", INTRO), ("code", SETTINGS), ("code", INSTALL), ("markdown", DATA_INTRO),
    ("code", DATA_CELL), ("code", DEVICE), ("markdown", TRAIN_INTRO), ("code", TRAIN),
    ("code", PROGRESS), ("code", EVALUATE), ("code", EXPORT), ("code", VALIDATE),
    ("code", PACKAGE_CELL), ("markdown", NEXT),
]


def build() -> nbformat.NotebookNode:
    """The notebook, without outputs, with ids from the cells' places (stable diffs)."""
    cells = []
    for index, (kind, source) in enumerate(CELLS):
        cell = new_markdown_cell(source) if kind == "markdown" else new_code_cell(source)
        cell.id = f"cell-{index:02d}"
        if source is SETTINGS:
            cell.metadata["tags"] = [SETTINGS_TAG]
        cells.append(cell)
    metadata = {"accelerator": "GPU", "colab": {"provenance": []},
                "kernelspec": {"name": "python3", "display_name": "Python 3",
                               "language": "python"},
                "language_info": {"name": "python"}}
    notebook = new_notebook(cells=cells, metadata=metadata)
    nbformat.validate(notebook)
    return notebook


def render_notebook() -> str:
    return nbformat.writes(build()) + "\n"


if __name__ == "__main__":
    NOTEBOOK.write_text(render_notebook(), encoding="utf-8")
    print(f"wrote {NOTEBOOK}")
