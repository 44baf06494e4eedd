"""metrics.jsonl: one JSON object per logged step, kept consistent with the checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

from ..files import write_atomically
from ..generators.run_folder import read_metrics


class MetricsLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def rewind(self, step: int) -> None:
        """Drop lines beyond `step` (logged after the checkpoint a run resumes from) and any
        line a killed run left half-written, so steps never repeat."""
        if self.path.exists():
            write_atomically(self.path, "".join(json.dumps(record) + "\n" for record in
                                                self.read() if record.get("step", 0) <= step))

    def append(self, record: dict) -> None:
        with self.path.open("a") as file:
            file.write(json.dumps(record) + "\n")

    def read(self) -> list[dict]:
        """The records; a line that a killed run left half-written is left out."""
        return read_metrics(self.path)
