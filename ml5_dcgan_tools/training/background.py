"""The run folder's slow writes (checkpoint files, sample grids, the progress GIF, TensorBoard
events) done on one worker thread, in the order they were asked for, while training goes on.

What is written is always a copy taken on the training thread at that step, so the files hold
exactly what a synchronous write would have. One worker keeps the order: a checkpoint asked for
after an epoch's samples lands after them, so a checkpoint on disk implies its samples are too.
A failed write (a full disk) is raised on the training thread at its next request or at drain().
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor


class BackgroundWriter:
    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="ml5-dcgan-writer")
        self._pending: list[Future] = []

    def submit(self, work: Callable[..., object], *args: object) -> None:
        self._raise_failures(wait=False)
        self._pending.append(self._pool.submit(work, *args))

    def drain(self) -> None:
        """Wait until everything asked for is on disk; raise the first failure."""
        self._raise_failures(wait=True)

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    def _raise_failures(self, wait: bool) -> None:
        still = []
        for future in self._pending:
            if wait or future.done():
                future.result()
            else:
                still.append(future)
        self._pending = still
