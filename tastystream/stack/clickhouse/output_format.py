"""Output formats: their ``Content-Type`` and whether the engine's result chunks can be streamed.

The engine's streaming API hands back each block as a complete, self-contained document of the
format. For row formats that is a plain concatenation (Native, RowBinary, TSV, CSV, JSONEachRow …),
for their ``WithNames``/``WithNamesAndTypes`` variants the header of every chunk after the first is
dropped, and documents with a prologue and epilogue (JSON, Pretty, Arrow, Parquet …) are produced
in one piece.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

__all__ = ["HeaderStrip", "content_type", "stream_strip"]

HeaderStrip = Callable[[bytes], bytes]

_CONCAT: Final = frozenset(
    name.lower()
    for name in (
        "Native",
        "RowBinary",
        "TabSeparated",
        "TSV",
        "TabSeparatedRaw",
        "TSVRaw",
        "Raw",
        "CSV",
        "JSONEachRow",
        "JSONLines",
        "NDJSON",
        "JSONStringsEachRow",
        "JSONCompactEachRow",
        "JSONCompactStringsEachRow",
        "LineAsString",
        "TSKV",
        "Null",
    )
)
_ONE_LINE: Final = frozenset(
    name.lower()
    for name in (
        "TabSeparatedWithNames",
        "TSVWithNames",
        "TabSeparatedRawWithNames",
        "TSVRawWithNames",
        "RawWithNames",
        "CSVWithNames",
        "JSONCompactEachRowWithNames",
        "JSONCompactStringsEachRowWithNames",
    )
)
_TWO_LINES: Final = frozenset(
    name.lower()
    for name in (
        "TabSeparatedWithNamesAndTypes",
        "TSVWithNamesAndTypes",
        "TabSeparatedRawWithNamesAndTypes",
        "TSVRawWithNamesAndTypes",
        "RawWithNamesAndTypes",
        "CSVWithNamesAndTypes",
        "JSONCompactEachRowWithNamesAndTypes",
        "JSONCompactStringsEachRowWithNamesAndTypes",
    )
)
_BINARY: Final = frozenset(
    name.lower()
    for name in (
        "Native",
        "RowBinary",
        "RowBinaryWithNames",
        "RowBinaryWithNamesAndTypes",
        "RowBinaryWithDefaults",
        "Arrow",
        "ArrowStream",
        "Parquet",
        "ORC",
        "Avro",
        "CapnProto",
        "Protobuf",
        "ProtobufSingle",
        "MsgPack",
        "BSONEachRow",
        "Npy",
    )
)


def content_type(fmt: str) -> str:
    """The ``Content-Type`` a ClickHouse server sends for output format ``fmt``."""
    name = fmt.lower()
    if name in _BINARY:
        return "application/octet-stream"
    if name.startswith(("tabseparated", "tsv")):
        return "text/tab-separated-values; charset=UTF-8"
    if name.startswith("csv"):
        header = "present" if "withnames" in name else "absent"
        return f"text/csv; charset=UTF-8; header={header}"
    if name.startswith("json") and ("eachrow" in name or name in ("jsonlines", "ndjson")):
        return "application/x-ndjson; charset=UTF-8"
    if name in ("ndjson",):
        return "application/x-ndjson; charset=UTF-8"
    if name.startswith("json"):
        return "application/json; charset=UTF-8"
    if name == "xml":
        return "application/xml; charset=UTF-8"
    if name == "markdown":
        return "text/markdown; charset=UTF-8"
    return "text/plain; charset=UTF-8"


def stream_strip(fmt: str) -> HeaderStrip | None:
    """How to turn the 2nd and later chunks into a continuation, or None if not streamable."""
    name = fmt.lower()
    if name in _CONCAT:
        return _keep
    if name in _ONE_LINE:
        return lambda chunk: _drop_lines(chunk, 1)
    if name in _TWO_LINES:
        return lambda chunk: _drop_lines(chunk, 2)
    if name == "rowbinarywithnames":
        return lambda chunk: _drop_rowbinary_header(chunk, 1)
    if name == "rowbinarywithnamesandtypes":
        return lambda chunk: _drop_rowbinary_header(chunk, 2)
    return None


def _keep(chunk: bytes) -> bytes:
    return chunk


def _drop_lines(chunk: bytes, lines: int) -> bytes:
    pos = 0
    for _ in range(lines):
        nl = chunk.find(b"\n", pos)
        if nl < 0:
            return b""
        pos = nl + 1
    return chunk[pos:]


def _varint(buf: bytes, pos: int) -> tuple[int, int]:
    value, shift = 0, 0
    while True:
        byte = buf[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, pos
        shift += 7


def _drop_rowbinary_header(chunk: bytes, lists: int) -> bytes:
    columns, pos = _varint(chunk, 0)
    for _ in range(columns * lists):
        length, pos = _varint(chunk, pos)
        pos += length
    return chunk[pos:]
