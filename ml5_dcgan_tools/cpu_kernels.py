"""Ask TensorFlow for its fast oneDNN CPU kernels, before it is imported.

TensorFlow turns oneDNN on by itself only on x86 CPUs with AVX-512 VNNI or newer; on AVX2 CPUs
our float32 training step is 1.6x faster with it, and the system allocator keeps oneDNN's memory
pool from raising the peak. The ``ml5-dcgan`` command calls this at start-up; importing the
package does not, since a library should not change another library's numerics behind your back.
"""

from __future__ import annotations

import os
import platform
import sys

SETTINGS = {"TF_ENABLE_ONEDNN_OPTS": "1", "TF_ONEDNN_USE_SYSTEM_ALLOCATOR": "1"}


def use_fast_cpu_kernels() -> bool:
    """Turn TensorFlow's oneDNN CPU kernels on for this process, if TensorFlow is not imported
    yet (after that the settings no longer matter: returns False and changes nothing). Values
    you set yourself win (``TF_ENABLE_ONEDNN_OPTS=0`` keeps them off). Only x86 is affected.
    Returns True when oneDNN will be on."""
    if "tensorflow" in sys.modules or platform.machine().lower() not in ("x86_64", "amd64"):
        return False
    for name, value in SETTINGS.items():
        os.environ.setdefault(name, value)
    return os.environ["TF_ENABLE_ONEDNN_OPTS"] == "1"
