"""The training bar on stderr (tqdm: step, rate, ETA, live losses) and a line per epoch for logs."""

from __future__ import annotations

import sys
from typing import TextIO

from tqdm import tqdm


def epoch_label(epoch: int, epochs: int | None) -> str:
    """"epoch 3/25", or "epoch 3" in a run that only the clock ends."""
    return f"epoch {epoch}" if epochs is None else f"epoch {epoch}/{epochs}"


def of_total(total: int | None) -> str:
    """" of 2650" after a step number, or nothing in a run that only the clock ends."""
    return "" if total is None else f" of {total}"


def _duration(seconds: float) -> str:
    seconds = max(int(seconds), 0)
    hours, rest = divmod(seconds, 3600)
    return f"{hours}h{rest // 60:02d}m" if hours else f"{rest // 60}m{rest % 60:02d}s"


class Progress:
    """Draws the bar only on a terminal; prints epoch lines unless quiet.

    Under `--minutes` the run stops on time, long before its last epoch, so the bar also says
    when that will be: an ETA for the whole run alone would promise the wrong finish."""

    def __init__(self, total_steps: int | None, *, quiet: bool = False,
                 stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.quiet = quiet
        self.drawn = not quiet and self.stream.isatty()
        self.total = total_steps
        self.bar: tqdm | None = None

    def start(self, step: int) -> None:
        """Training (re)starts at `step`: rates count from here."""
        self.close()
        self.bar = tqdm(total=self.total, initial=step, unit="step", file=self.stream,
                        disable=not self.drawn, mininterval=0.25, smoothing=0.1,
                        dynamic_ncols=True)

    def update(self, step: int, epoch: int, epochs: int | None, losses: dict[str, float],
               seconds_left: float | None = None) -> None:
        """`seconds_left`: of the --minutes budget, when there is one."""
        if self.bar is None or not self.drawn:
            return
        live = "  ".join(f"{name} {value:.3f}" for name, value in losses.items())
        if seconds_left is not None:
            live = f"stops in {_duration(seconds_left)}  {live}"
        self.bar.set_description_str(epoch_label(epoch, epochs), refresh=False)
        self.bar.set_postfix_str(live, refresh=False)
        self.bar.update(step - self.bar.n)

    def line(self, text: str) -> None:
        if self.quiet:
            return
        if self.drawn:
            tqdm.write(text, file=self.stream)  # above the bar, which is drawn again below
        else:
            self.stream.write(text + "\n")
            self.stream.flush()

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
