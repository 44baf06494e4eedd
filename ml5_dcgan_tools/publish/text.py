"""Text from manifests (anyone's) made safe to print in the Markdown and YAML we generate.

A description is data: it must show as written and never become a heading, an image, a link,
HTML or a YAML key on a page the hosting repository serves.
"""

from __future__ import annotations

import json
import re

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]!#|~])")


def plain(text: object) -> str:
    """One line of printable text: whitespace runs become one space, control characters go."""
    return " ".join("".join(char if char.isprintable() else " " for char in str(text)).split())


def markdown_inline(text: object) -> str:
    """``text`` as literal Markdown inline text, also safe inside a table cell: HTML is
    escaped, and the characters that make emphasis, code, images, links, headings, strikeouts
    or cell breaks are backslash-escaped."""
    escaped = (plain(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))
    return _MARKDOWN_SPECIALS.sub(r"\\\1", escaped)


def yaml_string(text: object) -> str:
    """A YAML double-quoted scalar holding exactly :func:`plain` ``text`` (JSON strings of
    printable text are valid YAML)."""
    return json.dumps(plain(text), ensure_ascii=False)
