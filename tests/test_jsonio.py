"""jsonio: hostile JSON becomes findings, never a traceback; writes are atomic."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ml5_dcgan_tools.errors import UsageError, UserError
from ml5_dcgan_tools.jsonio import (
    MAX_DEPTH,
    load_schema,
    preview,
    printable,
    read_json,
    write_json_atomic,
)

LIMIT = 1024 * 1024


def read(data: bytes, max_bytes: int = LIMIT):
    return read_json(data, max_bytes=max_bytes, what="manifest")


def only_check(result) -> str:
    """The check id of the single finding, asserting the document was rejected."""
    assert result.value is None and not result.ok
    (finding,) = result.findings
    assert finding.severity == "fail" and finding.message and finding.hint
    return finding.check


def test_parses_plain_json_without_findings() -> None:
    result = read(b'{"a": [1, 2.5, "x", null, true]}')
    assert result.ok and result.findings == []
    assert result.value == {"a": [1, 2.5, "x", None, True]}


def test_reads_files_as_well_as_bytes(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_text('{"a": 1}')
    assert read_json(path, max_bytes=LIMIT, what="manifest").value == {"a": 1}
    assert read_json(str(path), max_bytes=LIMIT, what="manifest").value == {"a": 1}


def test_a_top_level_array_is_returned_for_the_caller_to_judge() -> None:
    result = read(b"[1, 2]")
    assert result.ok and result.value == [1, 2]


@pytest.mark.parametrize("data", [b"", b"   \n\t  "])
def test_empty_file(data: bytes) -> None:
    assert only_check(read(data)) == "json.empty"


def test_syntax_error_says_line_and_column() -> None:
    result = read(b'{\n  "a": 1,\n  "b" 2\n}')
    assert only_check(result) == "json.syntax"
    assert "line 3:7" in result.findings[0].message


def test_html_instead_of_json_gets_a_specific_hint() -> None:
    result = read(b"<!DOCTYPE html><html><body>404</body></html>")
    assert only_check(result) == "json.syntax"
    assert "HTML" in result.findings[0].hint


@pytest.mark.parametrize("data", [
    bytes(range(256)),
    b'{"description": "caf\xe9"}',  # Latin-1
    '{"a": 1}'.encode("utf-16"),
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
])
def test_binary_and_non_utf8_input(data: bytes) -> None:
    assert only_check(read(data)) == "json.not-utf8"


def test_utf8_bom_is_a_warning_and_still_parses() -> None:
    result = read(b'\xef\xbb\xbf{"a": 1}')
    assert result.ok and result.value == {"a": 1}
    (finding,) = result.findings
    assert (finding.check, finding.severity) == ("json.bom", "warn")


def test_duplicate_keys_fail_and_name_the_key() -> None:
    result = read(b'{"model": "a.json", "x": {"k": 1, "k": 2}}')
    assert only_check(result) == "json.duplicate-key"
    assert '"k"' in result.findings[0].message


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_fail(literal: str) -> None:
    assert only_check(read(f'{{"a": {literal}}}'.encode())) == "json.not-a-number"


def test_a_float_that_overflows_fails() -> None:
    assert only_check(read(b'{"a": 1e999}')) == "json.number-out-of-range"


@pytest.mark.parametrize("literal", ["9" * 5000, "-" + "9" * 5000, "0." + "1" * 5000,
                                     "1" * 101])
def test_huge_numbers_fail_before_python_converts_them(literal: str) -> None:
    result = read(f'{{"modelLatentDim": {literal}}}'.encode())
    assert only_check(result) == "json.number-too-long"
    assert len(result.findings[0].message) < 200


def test_long_but_sane_numbers_parse() -> None:
    assert read(b"[123456789012345678901234567890, 0.1234567890123456789]").ok


@pytest.mark.parametrize("opening, closing", [("[", "]"), ('{"a":', "}")])
def test_100000_deep_nesting_fails_without_recursion_error(opening: str, closing: str) -> None:
    data = (opening * 100_000 + closing * 100_000).encode()
    start = time.perf_counter()
    assert only_check(read(data)) == "json.too-deep"
    assert time.perf_counter() - start < 5


def test_unbalanced_deep_nesting_fails_too() -> None:
    assert only_check(read(b"[" * 100_000)) in {"json.too-deep", "json.syntax"}


def test_nesting_limit_is_exact() -> None:
    assert read(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH).ok
    deeper = MAX_DEPTH + 1
    assert only_check(read(b"[" * deeper + b"]" * deeper)) == "json.too-deep"


def test_30_mb_file_fails_on_the_cap(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as file:  # sparse: costs no disk space
        file.truncate(30 * 1024 * 1024)
    result = read_json(path, max_bytes=LIMIT, what="manifest")
    assert only_check(result) == "json.too-large"


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_reads_at_most_the_cap_from_an_endless_file() -> None:
    """Reading /dev/zero to the end would never finish: only max_bytes + 1 are read."""
    assert only_check(read_json("/dev/zero", max_bytes=1000, what="manifest")) == "json.too-large"


def test_bytes_are_capped_too() -> None:
    assert only_check(read(b"[" + b"1," * 600 + b"1]", max_bytes=1000)) == "json.too-large"


def test_missing_file_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError) as caught:
        read_json(tmp_path / "nope.json", max_bytes=LIMIT, what="manifest")
    assert caught.value.exit_code == 2 and "does not exist" in str(caught.value)


def test_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="folder"):
        read_json(tmp_path, max_bytes=LIMIT, what="manifest")


def test_permission_denied_is_a_usage_error(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "secret.json"
    path.write_text("{}")

    def refuse(self, *args, **kwargs):
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(UsageError, match="permission"):
        read_json(path, max_bytes=LIMIT, what="manifest")


@given(st.binary(max_size=2000))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    result = read(data)
    assert result.ok or result.value is None
    assert all(finding.check.startswith("json.") for finding in result.findings)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(),
    lambda children: st.lists(children, max_size=5)
    | st.dictionaries(st.text(max_size=10), children, max_size=5),
    max_leaves=30,
)


@given(json_values)
def test_any_json_value_round_trips(value) -> None:
    result = read(json.dumps(value).encode())
    assert result.ok and result.findings == []
    assert result.value == value


def test_preview_is_short_and_terminal_safe() -> None:
    assert preview("x" * 1000, limit=20) == '"' + "x" * 16 + "..."
    assert len(preview(list(range(1000)))) <= 60
    hostile = preview("\x1b[2J\u202eevil\ud800" * 20)
    assert len(hostile) <= 60
    assert hostile.isprintable() and "\\u001b" in hostile and "\\u202e" in hostile
    assert hostile.encode("utf-8")  # no lone surrogate left
    assert preview("Visages générés") == '"Visages générés"'


def test_preview_survives_circular_values() -> None:
    circular: list = []
    circular.append(circular)
    assert preview(circular) == "<list>"


def test_printable_leaves_normal_text_alone() -> None:
    assert printable("manifests/ä b.json") == "manifests/ä b.json"
    assert printable("a\nb") == "a\\u000ab"


def test_load_schema_reads_packaged_schemas() -> None:
    schema = load_schema("manifest.schema.json")
    assert schema["$schema"].endswith("2020-12/schema")
    assert set(schema["required"]) == {"description", "model", "modelSize", "modelLatentDim"}
    assert load_schema("manifest-report.schema.json")["$id"]


def test_write_json_atomic_writes_and_refuses_to_overwrite(tmp_path: Path) -> None:
    path = tmp_path / "manifest.json"
    write_json_atomic(path, {"a": "é"})
    assert json.loads(path.read_text("utf-8")) == {"a": "é"}
    with pytest.raises(UsageError, match="already exists"):
        write_json_atomic(path, {"a": 2})
    write_json_atomic(path, {"a": 2}, overwrite=True)
    assert json.loads(path.read_text()) == {"a": 2}
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_write_json_atomic_keeps_the_old_file_on_failure(tmp_path: Path, monkeypatch) -> None:
    path = tmp_path / "manifest.json"
    path.write_text('{"old": true}')

    def fail(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(UserError, match="No space left"):
        write_json_atomic(path, {"new": True}, overwrite=True)
    assert path.read_text() == '{"old": true}'
    assert [p.name for p in tmp_path.iterdir()] == ["manifest.json"]


def test_write_json_atomic_into_a_missing_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="cannot write"):
        write_json_atomic(tmp_path / "no" / "manifest.json", {})


@pytest.mark.parametrize(("text", "message"), [
    ("{not json", r"model\.json is unreadable: .*\(.*model\.json\)\. Fix: re-export"),
    ("[1, 2]", r"model\.json is not a JSON object \(.*\)\. Fix: re-export"),
])
def test_read_json_object_refuses_in_one_line(tmp_path, text, message):
    from ml5_dcgan_tools.errors import UsageError
    from ml5_dcgan_tools.jsonio import read_json_object

    path = tmp_path / "model.json"
    path.write_text(text)
    with pytest.raises(UsageError, match=message) as caught:
        read_json_object(path, what="model.json", fix="re-export")
    assert "\n" not in str(caught.value)
    path.write_text('{"a": 1}')
    assert read_json_object(path, what="model.json", fix="re-export") == {"a": 1}
