"""Installing the npm project into the cache, and the one-line errors when Node or npm is missing.

No network: ``node`` and ``npm`` are replaced by small shell scripts on PATH.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path

import numpy as np
import pytest

from ml5_dcgan_tools.cli import main
from ml5_dcgan_tools.contract import TFJS_VERSIONS
from ml5_dcgan_tools.errors import UserError
from ml5_dcgan_tools.runtime import compare_outputs, ensure_runtime, run_bundle
from ml5_dcgan_tools.runtime.install import (
    LOG_NAME,
    MARKER,
    NPM_CI,
    PROJECT_DIR,
    cache_root,
    find_node,
    runtime_dir,
)

pytestmark = pytest.mark.skipif(os.name == "nt", reason="fake node/npm are shell scripts")


def _script(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\nPATH=/usr/bin:/bin\n{body}\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)


@pytest.fixture
def fake_tools(tmp_path, monkeypatch):
    """An empty PATH plus a fresh cache; tests add fake ``node`` / ``npm`` to ``bin``."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setenv("ML5_DCGAN_CACHE", str(tmp_path / "cache"))
    return bin_dir


@pytest.fixture
def fake_node(fake_tools):
    _script(fake_tools, "node", "echo v20.1.0")
    return fake_tools


def _fake_npm(bin_dir: Path, exit_code: int = 0) -> Path:
    """An npm that records its arguments and creates node_modules."""
    calls = bin_dir / "npm-calls"
    _script(bin_dir, "npm", f'echo "$@" >> {calls}\nmkdir -p node_modules\n'
                           f'echo "npm ERR! simulated"\nexit {exit_code}')
    return calls


def test_missing_node_is_one_line_with_the_fix(fake_tools, tmp_path):
    with pytest.raises(UserError) as caught:
        find_node()
    assert "apt-get install nodejs npm" in str(caught.value)
    with pytest.raises(UserError, match=r"Node\.js"):
        run_bundle(tmp_path, np.zeros((1, 8), np.float32), TFJS_VERSIONS[0])


def test_cli_reports_missing_node_on_one_line(fake_tools, capsys):
    with pytest.raises(SystemExit) as exited:
        main(["runtime", "install"])
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and "Node.js >= 18" in err


def test_old_node_is_refused(fake_tools):
    _script(fake_tools, "node", "echo v16.20.0")
    with pytest.raises(UserError, match=r"v16\.20\.0 is too old"):
        find_node()


def test_missing_npm_is_one_line(fake_node):
    with pytest.raises(UserError, match=r"npm is not on PATH.*apt-get install nodejs npm"):
        ensure_runtime()


def test_installs_once_with_npm_ci_into_the_cache(fake_node, tmp_path):
    calls = _fake_npm(fake_node)
    lines = []
    folder = ensure_runtime(progress=lines.append)
    assert folder == runtime_dir() and folder.parent == tmp_path / "cache"
    assert folder.name.startswith("npm-") and (folder / MARKER).is_file()
    assert (folder / "package-lock.json").read_bytes() == (
        PROJECT_DIR / "package-lock.json").read_bytes()
    assert len(lines) == 1 and str(folder) in lines[0]
    assert ensure_runtime() == folder
    assert calls.read_text().splitlines() == [" ".join(NPM_CI)]


def test_interrupted_install_is_redone(fake_node):
    calls = _fake_npm(fake_node)
    (runtime_dir() / "node_modules").mkdir(parents=True)  # no marker: npm ci never finished
    ensure_runtime()
    assert len(calls.read_text().splitlines()) == 1


def test_npm_failure_names_the_log(fake_node):
    _fake_npm(fake_node, exit_code=1)
    with pytest.raises(UserError) as caught:
        ensure_runtime()
    log = runtime_dir() / LOG_NAME
    assert str(log) in str(caught.value) and "exit code 1" in str(caught.value)
    assert "simulated" in log.read_text()
    assert not (runtime_dir() / MARKER).exists()


def test_cache_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("ML5_DCGAN_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "ml5-dcgan-tools"
    monkeypatch.setenv("ML5_DCGAN_CACHE", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"


def test_cli_info_without_install(fake_node, capsys):
    _fake_npm(fake_node)
    with pytest.raises(SystemExit) as exited:
        main(["runtime", "info"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert "(v20.1.0)" in out and f"cache folder: {runtime_dir()}" in out
    assert "installed: no" in out


def test_npm_project_pins_exact_versions_without_registry_hosts():
    package = json.loads((PROJECT_DIR / "package.json").read_text())
    wanted = {f"tfjs-{v}": f"npm:@tensorflow/tfjs@{v}" for v in TFJS_VERSIONS}
    assert {k: v for k, v in package["dependencies"].items() if k.startswith("tfjs-")} == wanted
    lock_text = (PROJECT_DIR / "package-lock.json").read_text()
    lock = json.loads(lock_text)
    assert lock["packages"][""]["dependencies"] == package["dependencies"]
    assert '"resolved"' not in lock_text and "registry" not in lock_text


def test_compare_outputs():
    a = np.zeros((2, 3), np.float32)
    assert compare_outputs(a, a + 0.25) == pytest.approx(0.25)
    assert compare_outputs(a, a.reshape(3, 2)) == math.inf
    b = a.copy()
    b[0, 0] = np.nan
    assert compare_outputs(a, b) == math.inf
