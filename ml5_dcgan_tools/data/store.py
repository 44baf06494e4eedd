"""Decoded images as one uint8 file on disk, read back by memory map.

Training then holds only the batches it is using: the operating system's page cache keeps the
pixels, as reclaimable file pages, not as the process's own memory. Per key (see cache.py):

    KEY.u8        pixels, (count, size, size, 3) uint8, C order, nothing else
    KEY.json      count, size, source and skipped files: written last, so an entry without it is
                  never read
    KEY.partial/  a decode under way: pixels.u8 + progress.json, the commit record
    KEY.labels.npy  the class of each image, for a labelled run (int32, count); written beside a
                  finished entry, which is the same with or without it

An entry's metadata may name its slot (the same data, size and background, whatever the files'
stamps): a finished entry then evicts the older entries of its slot, which nothing will read
again, so editing a big folder does not leave gigabytes of stale pixels behind.

Each image is written to pixels.u8 as it is decoded (nothing accumulates in memory), and the
decode commits about once a second: the pixels written so far are synced to disk, then
progress.json (inputs done, images written, skipped files) is replaced atomically. Killed at any
moment, the next run truncates pixels.u8 to the last commit and carries on from there, so no
committed input is decoded twice and nothing half-written is ever read; Ctrl-C commits first, so
nothing finished is lost. Finishing truncates the
file, renames it to KEY.u8 and then renames its metadata to KEY.json.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ..files import exclusive_lock, write_atomically

COMMIT_SECONDS = 1.0
Skip = tuple[str, str]  # (relative path, reason)
# Yields, from input `start` on, one decoded image (size, size, 3) or one Skip per input.
Producer = Callable[[int], Iterable["np.ndarray | Skip"]]


class ImageStore:
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def open(self, key: str) -> tuple[np.ndarray, dict] | None:
        """The finished entry, memory-mapped read-only, and its metadata; None when there is no
        complete entry."""
        try:
            meta = json.loads((self.folder / f"{key}.json").read_text())
            count, size = int(meta["count"]), int(meta["size"])
            pixels = self.folder / f"{key}.u8"
            if pixels.stat().st_size != count * size * size * 3:
                return None
            if count == 0:
                return np.zeros((0, size, size, 3), np.uint8), meta
            return np.memmap(pixels, np.uint8, "r", shape=(count, size, size, 3)), meta
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def open_labels(self, key: str, count: int) -> np.ndarray | None:
        """The labels kept beside entry `key`; None when absent or not one per image."""
        try:
            labels = np.load(self.folder / f"{key}.labels.npy", allow_pickle=False)
        except (OSError, ValueError):
            return None
        return labels if labels.shape == (count,) and labels.dtype == np.int32 else None

    def save_labels(self, key: str, labels: np.ndarray) -> None:
        """Keep the labels of entry `key` (atomically). Raises OSError when it cannot."""
        write_atomically(self.folder / f"{key}.labels.npy",
                         lambda file: np.save(file, np.asarray(labels, np.int32)))

    def build(self, key: str, inputs: int, size: int, produce: Producer, meta: dict,
              progress: Callable[[int, int], object] | None = None) -> tuple[np.ndarray, dict]:
        """Decode `inputs` inputs into the entry `key` (resuming an interrupted decode), then open
        it. `progress(done, total)` is called as inputs complete. Raises OSError when the cache
        cannot be written."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with exclusive_lock(self.folder / f"{key}.lock"):  # one decoder per entry at a time
            self._finish_rename(key)
            found = self.open(key)
            if found is not None:
                return found
            _Decode(self.folder / f"{key}.partial", size).run(inputs, produce, meta, progress)
            self._finish_rename(key)
        found = self.open(key)
        if found is None:
            raise OSError(f"the finished store {self.folder / key}.u8 does not read back")
        if meta.get("slot"):
            self._evict_superseded(key, meta["slot"])
        return found

    def _evict_superseded(self, key: str, slot: str) -> None:
        """Delete the other finished entries of `slot`. A process still reading one keeps its
        memory map (POSIX); where the file cannot be deleted, it is left for next time."""
        for record in self.folder.glob("*.json"):
            old = record.name.removesuffix(".json")
            if old == key:
                continue
            try:
                if json.loads(record.read_text()).get("slot") != slot:
                    continue
                record.unlink()  # metadata first: a half-evicted entry is never read
                for leftover in (f"{old}.u8", f"{old}.lock", f"{old}.labels.npy"):
                    (self.folder / leftover).unlink(missing_ok=True)
            except (OSError, ValueError, AttributeError):
                continue

    def _finish_rename(self, key: str) -> None:
        """Complete a finish that was interrupted between its two renames."""
        partial = self.folder / f"{key}.partial"
        final = partial / "final.json"
        if final.exists() and (self.folder / f"{key}.u8").exists():
            os.replace(final, self.folder / f"{key}.json")
            shutil.rmtree(partial, ignore_errors=True)


class _Decode:
    """One decode into KEY.partial/, committed as it goes."""

    def __init__(self, partial: Path, size: int) -> None:
        self.partial, self.size = partial, size
        self.pixels_path = partial / "pixels.u8"
        self.record = partial / "progress.json"
        self.slot = size * size * 3

    def run(self, inputs: int, produce: Producer, meta: dict,
            progress: Callable[[int, int], object] | None) -> None:
        done, count, skipped = self._resume_point(inputs)
        self.partial.mkdir(parents=True, exist_ok=True)
        with self.pixels_path.open("r+b" if self.pixels_path.exists() else "w+b") as pixels:
            pixels.truncate(count * self.slot)  # drop whatever was written after the last commit
            last_commit = time.monotonic()
            if progress:
                progress(done, inputs)
            try:
                for result in produce(done) if done < inputs else ():
                    if isinstance(result, tuple):
                        skipped.append(list(result))
                    else:
                        image = np.ascontiguousarray(result, np.uint8)
                        os.pwrite(pixels.fileno(), image.data, count * self.slot)
                        count += 1
                    done += 1
                    if progress:
                        progress(done, inputs)
                    if time.monotonic() - last_commit >= COMMIT_SECONDS:
                        self._commit(pixels, done, count, skipped, inputs)
                        last_commit = time.monotonic()
            finally:  # also on Ctrl-C: keep what was decoded
                self._commit(pixels, done, count, skipped, inputs)
            if done < inputs:
                raise OSError(f"the decoder stopped after {done} of {inputs} inputs")
            pixels.truncate(count * self.slot)
            os.fsync(pixels.fileno())
        entry = self.partial.parent / self.partial.name.removesuffix(".partial")
        write_atomically(self.partial / "final.json", json.dumps(
            {**meta, "count": count, "size": self.size, "skipped": skipped}))
        os.replace(self.pixels_path, entry.with_suffix(".u8"))

    def _resume_point(self, inputs: int) -> tuple[int, int, list]:
        """(inputs done, images written, skipped) at the last commit; zeros when there is none
        or it does not fit this decode."""
        try:
            record = json.loads(self.record.read_text())
            done, count, skipped = int(record["done"]), int(record["count"]), record["skipped"]
            written = self.pixels_path.stat().st_size
        except (OSError, ValueError, KeyError, TypeError):
            return 0, 0, []
        if record.get("inputs") != inputs or not 0 <= count <= done <= inputs \
                or written < count * self.slot:
            return 0, 0, []
        return done, count, list(skipped)

    def _commit(self, pixels: BinaryIO, done: int, count: int, skipped: list,
                inputs: int) -> None:
        """Sync the pixels written so far, then record them as done."""
        os.fsync(pixels.fileno())
        write_atomically(self.record, json.dumps(
            {"inputs": inputs, "done": done, "count": count, "skipped": skipped}))
