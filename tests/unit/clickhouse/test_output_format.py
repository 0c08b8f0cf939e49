"""Content types by format, and joining streamed result chunks into one valid document."""

from __future__ import annotations

import pytest

from tastystream.stack.clickhouse.output_format import content_type, stream_strip


@pytest.mark.parametrize(
    ("fmt", "ctype"),
    [
        ("TabSeparated", "text/tab-separated-values; charset=UTF-8"),
        ("TSVWithNames", "text/tab-separated-values; charset=UTF-8"),
        ("CSV", "text/csv; charset=UTF-8; header=absent"),
        ("CSVWithNames", "text/csv; charset=UTF-8; header=present"),
        ("JSON", "application/json; charset=UTF-8"),
        ("JSONCompact", "application/json; charset=UTF-8"),
        ("JSONEachRow", "application/x-ndjson; charset=UTF-8"),
        ("Native", "application/octet-stream"),
        ("RowBinaryWithNamesAndTypes", "application/octet-stream"),
        ("Parquet", "application/octet-stream"),
        ("ArrowStream", "application/octet-stream"),
        ("PrettyCompact", "text/plain; charset=UTF-8"),
        ("Values", "text/plain; charset=UTF-8"),
    ],
)
def test_content_type(fmt: str, ctype: str) -> None:
    assert content_type(fmt) == ctype


def test_text_headers_are_dropped_from_continuation_chunks() -> None:
    one = stream_strip("TSVWithNames")
    two = stream_strip("CSVWithNamesAndTypes")
    assert one is not None
    assert two is not None
    assert one(b"a\tb\n1\t2\n") == b"1\t2\n"
    assert two(b'"a"\n"UInt8"\n1\n') == b"1\n"


def test_rowbinary_header_is_dropped_from_continuation_chunks() -> None:
    strip = stream_strip("RowBinaryWithNamesAndTypes")
    assert strip is not None
    header = b"\x02" + b"\x01a" + b"\x01b" + b"\x06UInt64" + b"\x06String"
    rows = b"\x07" + b"\x00" * 7 + b"\x02hi"
    assert strip(header + rows) == rows
    names_only = stream_strip("RowBinaryWithNames")
    assert names_only is not None
    assert names_only(b"\x01\x81\x01" + b"x" * 129 + rows) == rows


@pytest.mark.parametrize("fmt", ["Native", "RowBinary", "TSV", "CSV", "JSONEachRow"])
def test_row_formats_concatenate(fmt: str) -> None:
    strip = stream_strip(fmt)
    assert strip is not None
    assert strip(b"abc\n") == b"abc\n"


@pytest.mark.parametrize(
    "fmt", ["JSON", "JSONCompact", "Pretty", "Arrow", "Parquet", "Values", "XML"]
)
def test_documents_are_not_streamed(fmt: str) -> None:
    assert stream_strip(fmt) is None
