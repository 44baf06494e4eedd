"""A one-line progress bar on stderr (step, ETA, live losses) and a line per epoch for logs."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


class Progress:
    """Draws the bar only on a terminal; prints epoch lines unless quiet."""

    def __init__(self, total_steps: int, *, quiet: bool = False,
                 stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.bar = not quiet and self.stream.isatty()
        self.total = total_steps
        self.start(0)

    def start(self, step: int) -> None:
        """Training (re)starts at `step`: the ETA counts from here."""
        self.start_step = step
        self.started = time.monotonic()
        self.last_draw = 0.0
        self.first_step = True

    def update(self, step: int, epoch: int, epochs: int, losses: dict[str, float]) -> None:
        now = time.monotonic()
        if step == self.start_step + 1 and self.first_step:  # compiling it is not a step's time
            self.first_step, self.started, self.start_step = False, now, step
        if not self.bar or (now - self.last_draw < 0.25 and step < self.total):
            return
        self.last_draw = now
        done = step - self.start_step
        eta = _duration((now - self.started) / done * (self.total - step)) if done else "?"
        filled = int(20 * step / self.total)
        live = "  ".join(f"{name} {value:.3f}" for name, value in losses.items())
        self.stream.write(f"\r\x1b[Kepoch {epoch}/{epochs} [{'#' * filled}{'.' * (20 - filled)}] "
                          f"{step}/{self.total} ETA {eta}  {live}")
        self.stream.flush()

    def line(self, text: str) -> None:
        if self.quiet:
            return
        self.stream.write(("\r\x1b[K" if self.bar else "") + text + "\n")
        self.stream.flush()
