"""Keep TensorFlow's C++ start-up chatter (oneDNN, CUDA probing) off our users' terminals.

TensorFlow 2.21 logs those lines while ``import tensorflow`` runs, before it honours a
``TF_CPP_MIN_LOG_LEVEL`` set from Python, so the import itself runs with file descriptor 2
pointed at /dev/null. Python errors are unaffected: they are printed after it is restored.
Only the CLI does this; library users keep TensorFlow's defaults.
"""

from __future__ import annotations

import contextlib
import importlib.abc
import importlib.machinery
import os
import sys
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def _stderr_descriptor_muted() -> Iterator[None]:
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


class _MutedLoader(importlib.abc.Loader):
    def __init__(self, loader: Any) -> None:
        self._loader = loader

    def __getattr__(self, name: str) -> Any:
        return getattr(self._loader, name)

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> Any:
        return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        with _stderr_descriptor_muted():
            self._loader.exec_module(module)


class _QuietTensorFlowFinder(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name != "tensorflow":
            return None
        sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None:
            spec.loader = _MutedLoader(spec.loader)
        return spec


def quiet_tensorflow() -> None:
    """Silence TensorFlow's C++ logging, including what it prints on import (when it happens)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    if "tensorflow" not in sys.modules and not any(
            isinstance(finder, _QuietTensorFlowFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, _QuietTensorFlowFinder())
