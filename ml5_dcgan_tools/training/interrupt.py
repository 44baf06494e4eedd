"""Ctrl-C (or SIGTERM) during training asks for a clean stop: the loop finishes its step,
evaluates it, saves and returns. Again during that evaluation skips it; again at any other time
(Ctrl-C) stops at once."""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType, TracebackType


class SkipEvaluation(Exception):
    """A second Ctrl-C or SIGTERM arrived during skippable() work (StopRequest.signal says
    which: Keras rewrites the message of an error raised inside a layer)."""


class StopRequest:
    def __init__(self) -> None:
        self.requested = False
        self.signal = ""  # the newest request: "Ctrl-C" or "SIGTERM"
        self._skippable = False
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.signal = "Ctrl-C" if signum == signal.SIGINT else "SIGTERM"
        if self.requested and self._skippable:
            self._skippable = False
            raise SkipEvaluation
        if self.requested and signum == signal.SIGINT:
            raise KeyboardInterrupt
        self.requested = True

    @contextlib.contextmanager
    def skippable(self) -> Iterator[None]:
        """Within, a repeated stop request raises SkipEvaluation: for work that only reads the
        training state, which the run can drop and still save and exit cleanly."""
        self._skippable = True
        try:
            yield
        finally:
            self._skippable = False

    def __enter__(self) -> StopRequest:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, kind: type | None, error: BaseException | None,
                 traceback: TracebackType | None) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
