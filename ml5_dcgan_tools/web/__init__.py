"""What a person sees in a browser: the sketch page, the loopback server that hosts it, and the
real-browser proof that ml5 draws what Python computed.

    from ml5_dcgan_tools.web import write_sketch, serving, check_in_browser, write_editor_zip
"""

from __future__ import annotations

from .browser_check import BrowserCheck, check_in_browser
from .editor_zip import write_editor_zip
from .serve import StaticServer, serving
from .sketch import SketchPage, write_page, write_sketch

__all__ = ["BrowserCheck", "SketchPage", "StaticServer", "check_in_browser", "serving",
           "write_editor_zip", "write_page", "write_sketch"]
