"""``ml5-dcgan --help`` and manifest commands must start fast: no TensorFlow, no Keras."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

HEAVY = ("tensorflow", "keras", "tf_keras", "jax")
PROBE = """
import json, sys
from ml5_dcgan_tools.cli import main
try:
    main(sys.argv[1:])
except SystemExit as exit_:
    code = exit_.code
roots = sorted({name.split(".")[0] for name in sys.modules})
print(json.dumps({"code": code, "modules": roots}), file=sys.stderr)
"""


def imported_modules(*arguments: str) -> tuple[int, set[str]]:
    """Run the CLI in a fresh interpreter; return its exit code and top-level modules loaded."""
    completed = subprocess.run([sys.executable, "-c", PROBE, *arguments], capture_output=True,
                               text=True, timeout=60, check=False)
    result = json.loads(completed.stderr.strip().splitlines()[-1])
    return result["code"], set(result["modules"])


def test_help_imports_neither_tensorflow_nor_keras_nor_jsonschema() -> None:
    code, modules = imported_modules("--help")
    assert code == 0
    assert not modules & {*HEAVY, "jsonschema"}


@pytest.mark.parametrize("arguments", [
    ("manifest", "validate", "sample_manifests"),
    ("manifest", "validate", "--json", "sample_manifests/valid"),
])
def test_manifest_validate_imports_neither_tensorflow_nor_keras(repo_root: Path,
                                                                 arguments) -> None:
    code, modules = imported_modules(*(str(repo_root / arg) if arg.startswith("sample")
                                       else arg for arg in arguments))
    assert code in (0, 1)
    assert "jsonschema" in modules  # it did validate
    assert not modules & set(HEAVY)


def test_manifest_create_from_model_imports_neither_tensorflow_nor_keras(
        ml5_reference: Path) -> None:
    code, modules = imported_modules("manifest", "create", "--description", "Faces",
                                     "--from-model", str(ml5_reference / "face" / "model.json"))
    assert code == 0
    assert not modules & set(HEAVY)


IMPORT_PROBE = """
import os
before = dict(os.environ)
import ml5_dcgan_tools
names = {name: getattr(ml5_dcgan_tools, name) for name in ml5_dcgan_tools.__all__}
assert dict(os.environ) == before, set(os.environ.items()) ^ set(before.items())
assert set(ml5_dcgan_tools.__all__) == {"__version__", *ml5_dcgan_tools._PUBLIC}
assert set(ml5_dcgan_tools.__all__) <= set(dir(ml5_dcgan_tools))
import sys
print(sorted(name for name in ("tensorflow", "keras", "torch") if name in sys.modules))
"""


def test_importing_the_package_and_its_public_api_changes_no_environment_variable() -> None:
    completed = subprocess.run([sys.executable, "-c", IMPORT_PROBE], capture_output=True,
                               text=True, timeout=60, check=False)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"  # and imports neither TensorFlow nor torch
