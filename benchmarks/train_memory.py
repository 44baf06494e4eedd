"""Peak anonymous memory of a short real `ml5-dcgan train` run over a big folder, with and without
the image store, and the first decode's images/s.

    python benchmarks/train_memory.py [--images 50000] [--size 128] [--source-size 160]
                                      [--steps 5] [--folder /tmp/ml5-dcgan-memory-images]

The folder (JPEGs of --source-size pixels, larger than --size, so every image is resized down) is
generated once and reused. Every run is its own process with a fresh cache folder; RssAnon (what a
process itself holds, not the reclaimable file pages it maps) is read from /proc/PID/status every
20 ms. Runs:
  decode into store    load_images alone, first time: decode images/s and its peak
  train, first run     `ml5-dcgan train` with an empty cache: decodes into the store, then trains
  train, store ready   the same again with the store already there
  train, in memory     the cache unwritable (ML5_DCGAN_CACHE is a file): decodes into RAM, as
                       before the store
Training runs are stopped with Ctrl-C (SIGINT) once --steps steps are logged, as a person would.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

MB = 1 << 20


def make_folder(folder: Path, count: int, side: int) -> None:
    """`count` JPEGs of smooth colour fields with noise (so they compress like photos)."""
    marker = folder / ".complete.json"
    wanted = {"count": count, "side": side}
    if marker.exists() and json.loads(marker.read_text()) == wanted:
        return
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    chunks = [(folder, start, min(start + 1000, count), side) for start in range(0, count, 1000)]
    with ProcessPoolExecutor(os.cpu_count()) as pool:
        list(pool.map(_write_chunk, chunks))
    marker.write_text(json.dumps(wanted))


def _write_chunk(job: tuple[Path, int, int, int]) -> None:
    from PIL import Image

    folder, start, stop, side = job
    sub = folder / f"{start // 1000:03d}"
    sub.mkdir(exist_ok=True)
    rng = np.random.default_rng(start)
    ramp = np.linspace(0, 1, side, dtype=np.float32)
    for i in range(start, stop):
        a, b = rng.uniform(0, 255, (2, 3)).astype(np.float32)
        picture = a + (b - a) * ramp[:, None, None] + ramp[None, :, None] * rng.uniform(-80, 80, 3)
        picture = picture + rng.normal(0, 12, (side, side, 3))
        Image.fromarray(np.clip(picture, 0, 255).astype(np.uint8)).save(
            sub / f"{i:06d}.jpg", quality=85)


def peak_rss_anon(process: subprocess.Popen, until=None) -> int:
    """Sample the process's RssAnon until it exits (calling `until()` between samples); bytes."""
    peak = 0
    status = Path(f"/proc/{process.pid}/status")
    while process.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("RssAnon:"):
                    peak = max(peak, int(line.split()[1]) * 1024)
        except (OSError, ValueError):
            pass
        if until:
            until()
        time.sleep(0.02)
    return peak


def decode_run(folder: Path, size: int, cache: Path) -> tuple[int, float, float, int]:
    """(peak RssAnon, images/s, images per CPU second, images) of the first decode into the
    store, without TensorFlow. On a shared machine the CPU-time rate says more: with N free cores
    the wall-clock rate approaches N times it."""
    code = ("import json, sys, time; from ml5_dcgan_tools.data import load_images; "
            "t = time.perf_counter(); s = load_images(sys.argv[1], int(sys.argv[2])); "
            "print(json.dumps([len(s.images) + len(s.skipped), time.perf_counter() - t, "
            "time.process_time(), len(s.images)]))")
    process = subprocess.Popen([sys.executable, "-c", code, str(folder), str(size)],
                               env={**os.environ, "ML5_DCGAN_CACHE": str(cache)},
                               stdout=subprocess.PIPE, text=True)
    peak = peak_rss_anon(process)
    inputs, seconds, cpu_seconds, images = json.loads(process.stdout.read())
    return peak, inputs / seconds, inputs / cpu_seconds, images


def _settings(folder: Path, **settings: int) -> Path:
    """A `train --config` file holding these settings."""
    path = folder / "settings.toml"
    path.write_text("".join(f"{key} = {value}\n" for key, value in settings.items()))
    return path


def train_run(folder: Path, size: int, steps: int, cache: Path, out: Path) -> tuple[int, float]:
    """(peak RssAnon, seconds) of `ml5-dcgan train` stopped with Ctrl-C after `steps` steps."""
    command = [sys.executable, "-m", "ml5_dcgan_tools", "train", str(folder), "--out", str(out),
               "--size", str(size), "--width", "64", "--batch-size", "64",  # ml5's model size
               "--config", str(_settings(out.parent, log_every=1, checkpoint_every=100000))]
    env = {**os.environ, "ML5_DCGAN_CACHE": str(cache), "TF_CPP_MIN_LOG_LEVEL": "3"}
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.PIPE, text=True)
    interrupted = []

    def stop_after_steps() -> None:
        metrics = out / "metrics.jsonl"
        if not interrupted and metrics.exists() and len(metrics.read_text().splitlines()) >= steps:
            process.send_signal(signal.SIGINT)
            interrupted.append(True)

    peak = peak_rss_anon(process, stop_after_steps)
    if process.returncode != 0:
        raise SystemExit(f"training failed: {process.stderr.read().strip()[-500:]}")
    return peak, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=50000)
    parser.add_argument("--size", type=int, default=128)
    parser.add_argument("--source-size", type=int, default=160)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/ml5-dcgan-memory-images"))
    args = parser.parse_args()
    started = time.perf_counter()
    make_folder(args.folder, args.images, args.source_size)
    print(f"{args.images} JPEGs {args.source_size}x{args.source_size} in {args.folder} "
          f"(made or reused in {time.perf_counter() - started:.0f} s); pixels at {args.size} px: "
          f"{args.images * args.size * args.size * 3 / MB:,.0f} MiB; {os.cpu_count()} CPU cores")
    scratch = Path(tempfile.mkdtemp(prefix="ml5-dcgan-memory-"))
    try:
        rows = []
        peak, rate, cpu_rate, images = decode_run(args.folder, args.size, scratch / "cache-decode")
        rate_text = f"{rate:,.0f} images/s ({cpu_rate:,.0f} per CPU second)"
        rows.append(("decode into store (first run)", peak, rate_text))
        print(f"  first decode: {images} images at {rate_text}", flush=True)
        first, ready = scratch / "cache-train", scratch / "cache-train"
        unwritable = scratch / "not-a-folder"
        unwritable.write_text("")
        for name, cache in (("train, first run (decode + store)", first),
                            ("train, store ready", ready),
                            ("train, in memory (no store)", unwritable / "cache")):
            peak, seconds = train_run(args.folder, args.size, args.steps, cache,
                                      scratch / f"run-{len(rows)}")
            rows.append((name, peak, f"{seconds:.0f} s"))
            print(f"  {name}: peak RssAnon {peak / MB:,.0f} MiB", flush=True)
        print(f"\n| run ({args.images} images, {args.size} px, {args.steps} steps) "
              f"| peak RssAnon | time / rate |\n|---|---:|---:|")
        for name, peak, note in rows:
            print(f"| {name} | {peak / MB:,.0f} MiB | {note} |")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
