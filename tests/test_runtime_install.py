"""Installing the runtime parts into the cache, and the one-line errors when Node or npm is missing.

No network: ``node`` and ``npm`` are replaced by small scripts on PATH. The fake npm installs what
the part's package-lock.json lists (each package with a one-file ``main``, a browser build, a
source map and TypeScript declarations) and packs tarballs the test wrote.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import os
import stat
import sys
import tarfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from ml5_dcgan_tools.cli import main
from ml5_dcgan_tools.contract import TFJS_VERSIONS
from ml5_dcgan_tools.errors import UserError
from ml5_dcgan_tools.files import exclusive_lock
from ml5_dcgan_tools.runtime import (
    compare_outputs,
    ensure_part,
    ensure_runtime,
    install,
    run_bundle,
)
from ml5_dcgan_tools.runtime.install import (
    BROWSER,
    LOG_NAME,
    MARKER,
    NPM_CI,
    NUMERIC,
    PACKAGES,
    PARTS,
    PROJECT_DIR,
    browser_pins,
    cache_root,
    disk_bytes,
    find_node,
    part_dir,
    tarball_integrity,
    unreachable,
)
from ml5_dcgan_tools.web.browser_check import STACKS
from ml5_dcgan_tools.web.sketch import FLAVORS

pytestmark = pytest.mark.skipif(os.name == "nt", reason="fake node/npm are scripts")

FAKE_NPM = """
import json, os, shutil, sys
from pathlib import Path
args = sys.argv[1:]
with open(os.environ["FAKE_NPM_CALLS"], "a") as log:
    log.write(" ".join(args) + "\\n")
print("npm ERR! simulated" if os.environ.get("FAKE_NPM_FAIL") else "npm ok")
if os.environ.get("FAKE_NPM_FAIL"):
    sys.exit(1)
if args[0] == "ci":
    lock = json.loads(Path("package-lock.json").read_text())
    for path, meta in lock["packages"].items():
        if path:
            dist = Path(path, "dist")
            dist.mkdir(parents=True, exist_ok=True)
            Path(path, "package.json").write_text(json.dumps({"main": "dist/main.js"}))
            for name in ("main.js", "main.js.map", "browser.min.js", "main.d.ts"):
                (dist / name).write_text("x" * 5000)
    Path("node_modules").mkdir(exist_ok=True)
elif args[0] == "pack":
    spec, dest = args[1], Path(args[args.index("--pack-destination") + 1])
    name = spec.replace("/", "-").replace("@", "") + ".tgz"
    shutil.copyfile(Path(os.environ["FAKE_TARBALLS"], name), dest / name)
"""


def _script(folder: Path, name: str, body: str, shebang: str = "/bin/sh") -> None:
    path = folder / name
    prefix = "PATH=/usr/bin:/bin\n" if shebang == "/bin/sh" else ""
    path.write_text(f"#!{shebang}\n{prefix}{body}\n")
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


@pytest.fixture
def npm_calls(fake_node, tmp_path, monkeypatch) -> Path:
    """A working fake npm; returns the file where it records each call's arguments."""
    calls = tmp_path / "npm-calls"
    calls.touch()
    monkeypatch.setenv("FAKE_NPM_CALLS", str(calls))
    _script(fake_node, "npm", FAKE_NPM, shebang=sys.executable)
    return calls


def _tarball(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


@pytest.fixture
def tarballs(npm_calls, tmp_path, monkeypatch) -> dict[str, Path]:
    """One small tarball per pinned browser package, and a pin file with their integrity."""
    folder = tmp_path / "tarballs"
    folder.mkdir()
    monkeypatch.setenv("FAKE_TARBALLS", str(folder))
    pins, paths = {}, {}
    for alias, pin in browser_pins().items():
        data = _tarball({**{name: f"/* {alias} {name} */".encode() for name in pin["files"]},
                         "README.md": b"not wanted"})
        spec = f"{pin['package']}@{pin['version']}"
        path = folder / (spec.replace("/", "-").replace("@", "") + ".tgz")
        path.write_bytes(data)
        integrity = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
        pins[alias] = {**pin, "integrity": integrity}
        paths[alias] = path
    pin_file = tmp_path / "browser-files.json"
    pin_file.write_text(json.dumps(pins))
    monkeypatch.setattr(install, "BROWSER_PINS", pin_file)
    return paths


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
        ensure_part(NUMERIC[0])


def test_numeric_parts_install_once_each_in_its_own_folder(npm_calls, tmp_path):
    lines = []
    folders = ensure_runtime(progress=lines.append)
    assert [folder.name.rsplit("-", 1)[0] for folder in folders] == list(NUMERIC)
    for name, folder in zip(NUMERIC, folders, strict=True):
        assert folder == part_dir(name) and folder.parent == tmp_path / "cache"
        assert (folder / MARKER).is_file()
        assert (folder / "package-lock.json").read_bytes() == (
            PROJECT_DIR / f"{name}.package-lock.json").read_bytes()
    assert len(lines) == 2 and all(str(f) in line for f, line in zip(folders, lines, strict=True))
    assert ensure_runtime() == folders  # installed: no second npm ci
    assert npm_calls.read_text().splitlines() == [" ".join(NPM_CI)] * 2
    assert not part_dir(BROWSER).exists()  # the browser part waits until something needs it


def test_parts_install_independently(npm_calls):
    ensure_part("tfjs-1.7.4")
    assert is_marked("tfjs-1.7.4") and not part_dir("tfjs-4.22.0").exists()
    ensure_part("tfjs-4.22.0")
    assert is_marked("tfjs-4.22.0")
    assert len(npm_calls.read_text().splitlines()) == 2


def is_marked(name: str) -> bool:
    return (part_dir(name) / MARKER).is_file()


def test_install_drops_what_node_never_loads(npm_calls):
    modules = ensure_part("tfjs-4.22.0") / "node_modules"
    tfjs = modules / "@tensorflow" / "tfjs"
    assert sorted(p.name for p in (tfjs / "dist").iterdir()) == ["main.js"]  # a bundled package
    other = modules / "seedrandom" / "dist"  # not bundled: only maps and TypeScript go
    assert sorted(p.name for p in other.iterdir()) == ["browser.min.js", "main.js"]
    assert not (modules / "core-js").exists() and not (modules / "yargs").exists()
    assert (modules / "@tensorflow" / "tfjs-core" / "dist" / "main.js").is_file()


def test_unreachable_cuts_only_the_cli_edges():
    lock = {"packages": {
        "": {"dependencies": {"@tensorflow/tfjs": "1"}},
        "node_modules/@tensorflow/tfjs": {"dependencies": {"core": "1", "yargs": "1"}},
        "node_modules/core": {"dependencies": {"shared": "1"}},
        "node_modules/yargs": {"dependencies": {"shared": "1", "cliui": "1"}},
        "node_modules/shared": {},
        "node_modules/cliui": {"dependencies": {"shared": "2"}},
        "node_modules/cliui/node_modules/shared": {},
    }}
    assert unreachable(lock, ("yargs",)) == [
        "node_modules/yargs", "node_modules/cliui", "node_modules/cliui/node_modules/shared"]
    assert unreachable(lock, ()) == []


def test_interrupted_install_is_redone_from_a_clean_folder(npm_calls):
    folder = part_dir("tfjs-1.7.4")
    (folder / "node_modules").mkdir(parents=True)  # no marker: npm ci never finished
    (folder / "stale").write_text("left by the interrupted run")
    ensure_part("tfjs-1.7.4")
    assert len(npm_calls.read_text().splitlines()) == 1
    assert not (folder / "stale").exists() and is_marked("tfjs-1.7.4")


def test_npm_failure_names_the_log(npm_calls, monkeypatch):
    monkeypatch.setenv("FAKE_NPM_FAIL", "1")
    with pytest.raises(UserError) as caught:
        ensure_part("tfjs-1.7.4")
    log = part_dir("tfjs-1.7.4") / LOG_NAME
    assert str(log) in str(caught.value) and "exit code 1" in str(caught.value)
    assert "run `ml5-dcgan runtime install` again" in str(caught.value)
    assert "simulated" in log.read_text()
    assert not is_marked("tfjs-1.7.4")


def test_a_waiting_process_uses_the_install_the_lock_holder_finished(npm_calls):
    folder = part_dir("tfjs-1.7.4")
    folder.parent.mkdir(parents=True)
    got = []
    with exclusive_lock(folder.parent / f"{folder.name}.lock"):
        waiter = threading.Thread(target=lambda: got.append(ensure_part("tfjs-1.7.4")))
        waiter.start()
        time.sleep(0.5)
        assert waiter.is_alive() and not got  # blocked on the lock
        (folder / "node_modules").mkdir(parents=True)  # the holder finishes the install
        (folder / MARKER).write_text("done\n")
    waiter.join(timeout=30)
    assert got == [folder] and npm_calls.read_text() == ""


def test_browser_part_extracts_only_the_pinned_files(tarballs):
    folder = ensure_part(BROWSER)
    pins = browser_pins()
    extracted = sorted(p.relative_to(folder / PACKAGES).as_posix()
                       for p in (folder / PACKAGES).rglob("*") if p.is_file())
    assert extracted == sorted(f"{alias}/{name}" for alias, pin in pins.items()
                               for name in pin["files"])
    assert (folder / PACKAGES / "ml5-1.4.0" / "dist" / "ml5.min.js").read_text() == (
        "/* ml5-1.4.0 dist/ml5.min.js */")
    assert (folder / "node_modules").is_dir() and (folder / MARKER).is_file()
    assert not any(part_dir(name).exists() for name in NUMERIC)


def test_tampered_tarball_is_refused_on_one_line(tarballs):
    data = bytearray(tarballs["p5"].read_bytes())
    data[-1] ^= 1
    tarballs["p5"].write_bytes(bytes(data))
    with pytest.raises(UserError) as caught:
        ensure_part(BROWSER)
    message = str(caught.value)
    assert "\n" not in message and "p5@1.7.0 is not the pinned one" in message
    assert "npm cache verify" in message
    assert not (part_dir(BROWSER) / MARKER).exists()


def test_cli_install_flags_choose_the_parts(tarballs, npm_calls, capsys):
    main_exit(["runtime", "install", "--browser"])
    assert capsys.readouterr().out.split() == [str(part_dir(BROWSER))]
    assert not any(part_dir(name).exists() for name in NUMERIC)
    main_exit(["runtime", "install", "--all"])
    assert capsys.readouterr().out.split() == [str(part_dir(n)) for n in (*NUMERIC, BROWSER)]


def main_exit(args: list[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(args)
    assert exited.value.code == 0


def test_cli_info_without_install(npm_calls, capsys):
    main_exit(["runtime", "info"])
    out = capsys.readouterr().out
    assert "(v20.1.0)" in out and "total: 0.0 MB" in out
    for name in PARTS:
        assert f"{name}: not installed" in out and f"folder: {part_dir(name)}" in out


def test_cli_info_sizes_and_unused_folders(npm_calls, capsys):
    ensure_part("tfjs-1.7.4")
    old = cache_root() / "npm-0123456789ab"  # the single npm project of earlier versions
    (old / "node_modules").mkdir(parents=True)
    (old / "package-lock.json").write_text("{}")
    main_exit(["runtime", "info", "--json"])
    info = json.loads(capsys.readouterr().out)
    parts = {part["name"]: part for part in info["parts"]}
    installed = parts["tfjs-1.7.4"]
    assert installed["installed"] and installed["bytes"] == disk_bytes(part_dir("tfjs-1.7.4"))
    assert installed["bytes"] > 5000 and not parts[BROWSER]["installed"]
    assert info["total_bytes"] == sum(part["bytes"] for part in info["parts"])
    assert [entry["folder"] for entry in info["unused"]] == [str(old)]
    main_exit(["runtime", "info"])
    out = capsys.readouterr().out
    assert f"tfjs-1.7.4: installed, {installed['bytes'] / 1e6:.1f} MB" in out
    assert f"unused: {old}" in out


def test_cache_root_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("ML5_DCGAN_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_root() == tmp_path / "xdg" / "ml5-dcgan-tools"
    monkeypatch.setenv("ML5_DCGAN_CACHE", str(tmp_path / "mine"))
    assert cache_root() == tmp_path / "mine"


@pytest.mark.parametrize("name", sorted(PARTS))
def test_npm_projects_pin_exact_versions_without_registry_hosts(name):
    package = json.loads((PROJECT_DIR / f"{name}.package.json").read_text())
    lock_text = (PROJECT_DIR / f"{name}.package-lock.json").read_text()
    lock = json.loads(lock_text)
    assert lock["packages"][""]["dependencies"] == package["dependencies"]
    assert '"resolved"' not in lock_text and "registry" not in lock_text
    if name in NUMERIC:
        assert package["dependencies"] == {"@tensorflow/tfjs": name.removeprefix("tfjs-")}


def test_browser_pins_cover_every_page_library():
    pins = browser_pins()
    libraries = {library for flavor in FLAVORS.values() for library in flavor.libraries}
    libraries |= {library for stack in STACKS.values() for library in stack.flavor.libraries}
    assert {(lib.alias, lib.path) for lib in libraries} == {
        (alias, name) for alias, pin in pins.items() for name in pin["files"]}
    assert all(pin["integrity"].startswith("sha512-") and len(pin["integrity"]) == 95
               for pin in pins.values())


def test_tarball_integrity_is_the_npm_form(tmp_path):
    path = tmp_path / "x.tgz"
    path.write_bytes(b"abc")
    assert tarball_integrity(path) == "sha512-" + base64.b64encode(
        hashlib.sha512(b"abc").digest()).decode()


def test_compare_outputs():
    a = np.zeros((2, 3), np.float32)
    assert compare_outputs(a, a + 0.25) == pytest.approx(0.25)
    assert compare_outputs(a, a.reshape(3, 2)) == math.inf
    b = a.copy()
    b[0, 0] = np.nan
    assert compare_outputs(a, b) == math.inf
