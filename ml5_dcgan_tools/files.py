"""Writing files so that an interruption never leaves half of one, and locking between processes."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path

from .errors import UserError


def write_atomically(path: Path, data: bytes | str) -> None:
    """Write to a temporary file beside ``path``, then rename it over ``path`` in one step."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        partial.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        os.replace(partial, path)
    except OSError as error:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
        raise UserError(f"cannot write {path}: {error.strerror or error}",
                        fix="check that the folder exists and is writable") from None


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
