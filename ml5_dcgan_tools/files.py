"""Files and folders: the cache root, writes that an interruption never leaves half done, and
locking between processes."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from .errors import UserError


def cache_root() -> Path:
    """``$ML5_DCGAN_CACHE``, else ``${XDG_CACHE_HOME:-~/.cache}/ml5-dcgan-tools``: the TF.js
    runtimes and decoded images live there."""
    if os.environ.get("ML5_DCGAN_CACHE"):
        return Path(os.environ["ML5_DCGAN_CACHE"]).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(xdg).expanduser() / "ml5-dcgan-tools"


def write_atomically(path: Path, content: bytes | str | Callable[[BinaryIO], object]) -> None:
    """Write to a temporary file beside ``path``, then rename it over ``path`` in one step:
    readers, and a run killed halfway, only ever see the old file or the complete new one.

    ``content`` is the bytes or text, or a function that writes to the open binary file.
    """
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        with partial.open("wb") as file:
            if callable(content):
                content(file)
            else:
                file.write(content.encode("utf-8") if isinstance(content, str) else content)
            file.flush()
            os.fsync(file.fileno())
        os.replace(partial, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise UserError(f"cannot write {path}: {error.strerror or error}",
                        fix="check that the folder exists, is writable and has space") from None


@contextlib.contextmanager
def exclusive_lock(path: Path) -> Iterator[None]:
    """Block until this process alone holds ``path``; the OS releases it if the process dies."""
    with path.open("a+b") as handle:
        if os.name == "nt":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        yield  # released when the handle closes
