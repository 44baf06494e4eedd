"""metrics.jsonl: one JSON object per logged step, kept consistent with the checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

from ..files import write_atomically


class MetricsLog:
    def __init__(self, path: Path) -> None:
        self.path = path

    def rewind(self, step: int) -> None:
        """Drop lines beyond `step` (logged after the checkpoint a run resumes from) and any
        line a killed run left half-written, so steps never repeat."""
        if not self.path.exists():
            return
        kept = []
        for line in self.path.read_text().splitlines():
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("step", 0) <= step:
                kept.append(line + "\n")
        write_atomically(self.path, "".join(kept))

    def append(self, record: dict) -> None:
        with self.path.open("a") as file:
            file.write(json.dumps(record) + "\n")

    def read(self) -> list[dict]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text().splitlines() if line]
