"""JSON in and out: untrusted documents read safely, packaged schemas, files written atomically.

:func:`read_json` is for what other people wrote (community manifests, model.json of any
bundle): hostile or broken input becomes findings, never an exception. The size is capped
before the file is read, and everything a browser's ``JSON.parse`` would reject or read
differently from Python (duplicate keys, NaN, huge numbers, byte order marks) is reported with
a hint. Only a file that cannot be opened or read at all raises, as a
:class:`~ml5_dcgan_tools.errors.UsageError`.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, NamedTuple

from .errors import UsageError
from .files import write_atomically
from .findings import Finding

MAX_DEPTH = 64
"""Deepest nesting accepted. Manifests are 1 level deep and Keras model.json about 10."""

MAX_NUMBER_LENGTH = 100
"""Longest number literal accepted, in characters. A double has 17 significant digits, and
Python refuses to convert integers of more than 4300 digits."""

UTF8_BOM = b"\xef\xbb\xbf"


class JsonResult(NamedTuple):
    """What :func:`read_json` found: the parsed value (``None`` on failure) and the findings."""

    value: Any
    findings: list[Finding]

    @property
    def ok(self) -> bool:
        """True when the document parsed; it may still carry warnings (a byte order mark)."""
        return not any(finding.severity == "fail" for finding in self.findings)


class _Rejected(Exception):
    """Raised from inside the parser hooks to stop at the first value JavaScript reads otherwise."""

    def __init__(self, check: str, message: str, hint: str) -> None:
        super().__init__(message)
        self.check = check
        self.message = message
        self.hint = hint


def read_json(source: str | os.PathLike[str] | bytes, *, max_bytes: int, what: str) -> JsonResult:
    """Parse ``source`` (a file path or the raw bytes) as strict JSON, as a browser would.

    ``what`` names the document in messages ("manifest", "model.json"). Reads at most
    ``max_bytes + 1`` bytes, so a huge file costs nothing. Raises :class:`UsageError` only when
    a path cannot be read; every problem with the content is a finding.
    """
    data = source if isinstance(source, bytes) else _read_capped(Path(source), max_bytes)
    try:
        return JsonResult(*_parse(data, max_bytes=max_bytes, what=what))
    except _Rejected as rejected:
        return JsonResult(None, [Finding(rejected.check, "fail", rejected.message, rejected.hint)])


def read_json_object(path: Path, *, what: str, fix: str) -> dict[str, Any]:
    """A file of our own kind (a bundle we wrote, a manifest) as a dict, or one line saying why
    not: for commands that use the document, where ``validate`` would judge it."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise UsageError(f"{what} is unreadable: {error}", where=str(path), fix=fix) from None
    if not isinstance(document, dict):
        raise UsageError(f"{what} is not a JSON object", where=str(path), fix=fix)
    return document


def _read_capped(path: Path, max_bytes: int) -> bytes:
    shown = printable(str(path))
    try:
        with path.open("rb") as file:
            return file.read(max_bytes + 1)
    except IsADirectoryError:
        raise UsageError(f"{shown} is a folder, not a file", fix="name a .json file") from None
    except FileNotFoundError:
        raise UsageError(f"{shown} does not exist", fix="check the path") from None
    except PermissionError:
        raise UsageError(f"no permission to read {shown}",
                         fix="check the file's permissions") from None
    except OSError as error:
        raise UsageError(f"cannot read {shown}: {error.strerror or error}") from None
    except ValueError as error:  # a NUL character in the path
        raise UsageError(f"cannot read {shown}: {error}") from None


def _parse(data: bytes, *, max_bytes: int, what: str) -> tuple[Any, list[Finding]]:
    findings: list[Finding] = []
    if len(data) > max_bytes:
        raise _Rejected(
            "json.too-large",
            f"the {what} is larger than {max_bytes:,} bytes",
            f"a {what} is far smaller than that; check that this is the right file",
        )
    if data.startswith(UTF8_BOM):
        data = data[len(UTF8_BOM):]
        findings.append(Finding(
            "json.bom", "warn",
            f"the {what} starts with a UTF-8 byte order mark",
            "browsers ignore it, but Python's json module and other strict parsers refuse it; "
            "save the file as UTF-8 without BOM",
        ))
    text = _decode_utf8(data, what)
    if not text.strip():
        raise _Rejected("json.empty", f"the {what} is empty",
                        f"write the {what}'s JSON into it, or point to the right file")
    value = _loads(text, what)
    if _exceeds_depth(value, MAX_DEPTH):
        raise _rejected_depth(what)
    return value, findings


def _decode_utf8(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        hint = (
            "this looks like UTF-16: save it as UTF-8"
            if data[:2] in (b"\xff\xfe", b"\xfe\xff")
            else "a JSON file is UTF-8 text; is this a binary file (an image, a weight shard)?"
        )
        raise _Rejected(
            "json.not-utf8",
            f"the {what} is not UTF-8 text (invalid byte at offset {error.start})",
            hint,
        ) from None


def _loads(text: str, what: str) -> Any:
    try:
        return json.loads(
            text,
            object_pairs_hook=_object_without_duplicates,
            parse_int=_parse_int,
            parse_float=_parse_float,
            parse_constant=_reject_constant,
        )
    except json.JSONDecodeError as error:
        raise _Rejected(
            "json.syntax",
            f"the {what} is not valid JSON: {error.msg} at line {error.lineno}:{error.colno}",
            _syntax_hint(text),
        ) from None
    except RecursionError:
        raise _rejected_depth(what) from None


def _syntax_hint(text: str) -> str:
    if text.lstrip().startswith("<"):
        return ("this is HTML or XML, not JSON: a web server's error page or a GitHub page "
                "saved instead of the raw file?")
    return "JSON allows no comments, no trailing commas and only double-quoted strings"


def _object_without_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Rejected(
                "json.duplicate-key",
                f"the key {preview(key)} appears twice in one object",
                "JavaScript silently keeps the last one and other tools the first; keep one",
            )
        result[key] = value
    return result


def _check_number_length(literal: str) -> None:
    if len(literal) > MAX_NUMBER_LENGTH:
        raise _Rejected(
            "json.number-too-long",
            f"a number has {len(literal):,} characters ({literal[:20]}...)",
            "JavaScript keeps 17 significant digits; write a reasonable number",
        )


def _parse_int(literal: str) -> int:
    _check_number_length(literal)
    return int(literal)


def _parse_float(literal: str) -> float:
    _check_number_length(literal)
    value = float(literal)
    if not math.isfinite(value):
        raise _Rejected("json.number-out-of-range",
                        f"the number {literal} is too large for a 64-bit float",
                        "write a number below 1.7e308")
    return value


def _reject_constant(name: str) -> Any:
    raise _Rejected(
        "json.not-a-number",
        f"the file contains {name}, which is not valid JSON",
        "JSON.parse in the browser rejects NaN and Infinity; write a number or null",
    )


def _rejected_depth(what: str) -> _Rejected:
    return _Rejected("json.too-deep", f"the {what} nests arrays or objects more than "
                     f"{MAX_DEPTH} levels deep", f"a {what} is shallow; check the file")


def _exceeds_depth(value: Any, limit: int) -> bool:
    """Walk without recursion, so a deep document cannot blow the stack here either."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in _children(node))
    return False


def _children(node: Any) -> Iterator[Any]:
    if isinstance(node, dict):
        yield from (v for v in node.values() if isinstance(v, dict | list))
    elif isinstance(node, list):
        yield from (v for v in node if isinstance(v, dict | list))


def preview(value: Any, limit: int = 60) -> str:
    """A value from an untrusted document as short JSON text, safe to print in a terminal.

    Control, format (bidirectional) and surrogate characters are escaped, so a crafted string
    cannot move the cursor, reorder the line or break the output's UTF-8 encoding.
    """
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except (ValueError, RecursionError):  # a circular or absurdly deep object from a caller
        text = f"<{type(value).__name__}>"
    text = printable(text)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def printable(text: str) -> str:
    """``text`` with control, format and surrogate characters escaped as ``\\uXXXX``."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else f"\\u{ord(char):04x}" for char in text)


def json_text(value: Any) -> str:
    """Indented JSON that keeps non-ASCII text readable and is always valid UTF-8.

    Lone surrogates (from file names or arguments that were not UTF-8) cannot be encoded, so
    a value holding one is written with ``\\u`` escapes throughout instead.
    """
    text = json.dumps(value, indent=2, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return json.dumps(value, indent=2)
    return text


@cache
def load_schema(file_name: str) -> dict[str, Any]:
    """A JSON Schema shipped in ``ml5_dcgan_tools/schemas``, found wherever the package is."""
    return json.loads(files("ml5_dcgan_tools.schemas").joinpath(file_name).read_text("utf-8"))


def write_json_atomic(path: Path, value: Any, *, overwrite: bool = False) -> None:
    """Write ``value`` as indented UTF-8 JSON so that ``path`` is never left half written.

    The :func:`json_text` goes to a temporary file in the same folder (created with the usual
    permissions, so a web server can read the result), then replaces ``path`` in one step.
    Raises :class:`UsageError` when ``path`` exists and ``overwrite`` is false, or on any write
    error.
    """
    shown = printable(str(path))
    if path.exists() and not overwrite:
        raise UsageError(f"{shown} already exists",
                         fix="choose another file, or allow overwriting it (--force)")
    write_atomically(path, json_text(value) + "\n")
