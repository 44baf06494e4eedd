"""The sketch page: p5.js + ml5.js 0.12.2 showing what a bundle generates.

    from ml5_dcgan_tools.sketch import write_sketch
"""

from __future__ import annotations

from .page import SketchPage, write_page, write_sketch

__all__ = ["SketchPage", "write_page", "write_sketch"]
