"""HTTP body compression as ClickHouse speaks it: gzip, deflate, zstd and lz4 (frame format).

Request bodies are decoded incrementally (``Content-Encoding``), including bodies made of several
concatenated frames or members, which is how clickhouse-connect sends lz4: one frame per block.
Responses are encoded as one frame/stream when the client sent ``enable_http_compression=1`` and an
``Accept-Encoding`` the server supports.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from typing import Final, Protocol

import lz4.frame
import zstandard

from tastystream.stack.clickhouse.errors import BAD_ARGUMENTS, CANNOT_DECOMPRESS, ClickHouseError

__all__ = ["SUPPORTED", "Decoder", "Encoder", "choose_encoding", "decoder_for", "encoder_for"]

# Server preference, as ClickHouse's chooseHTTPCompressionMethod orders them.
SUPPORTED: Final = ("zstd", "lz4", "gzip", "deflate")


class _Inflater(Protocol):
    @property
    def eof(self) -> bool: ...
    @property
    def unused_data(self) -> bytes: ...
    def decompress(self, data: bytes) -> bytes: ...


class Decoder:
    """Incremental decoder for a sequence of concatenated frames of one codec."""

    def __init__(self, name: str, factory: Callable[[], _Inflater]) -> None:
        self.name = name
        self._factory = factory
        self._current: _Inflater | None = None
        self._pending = False  # a frame was started and not finished

    def feed(self, data: bytes) -> bytes:
        out: list[bytes] = []
        try:
            while data:
                if self._current is None:
                    self._current = self._factory()
                out.append(self._current.decompress(data))
                self._pending = True
                if not self._current.eof:
                    break
                data = self._current.unused_data
                self._current = None
                self._pending = False
        except ClickHouseError:
            raise
        except Exception as exc:
            raise ClickHouseError(
                CANNOT_DECOMPRESS, f"Cannot decompress {self.name} request body: {exc}"
            ) from exc
        return b"".join(out)

    def finish(self) -> None:
        """Fail if the body ended in the middle of a frame."""
        if self._pending and self._current is not None and not self._current.eof:
            raise ClickHouseError(CANNOT_DECOMPRESS, f"Truncated {self.name} request body")


class _Identity:
    name = "identity"

    def feed(self, data: bytes) -> bytes:
        return data

    def finish(self) -> None:
        return None


class _ZstdInflater:
    """Adapts zstandard's decompressobj to the eof/unused_data protocol of zlib and lz4."""

    def __init__(self) -> None:
        self._obj = zstandard.ZstdDecompressor().decompressobj()

    @property
    def eof(self) -> bool:
        return bool(self._obj.eof)

    @property
    def unused_data(self) -> bytes:
        return bytes(self._obj.unused_data)

    def decompress(self, data: bytes) -> bytes:
        return bytes(self._obj.decompress(data))


def decoder_for(content_encoding: str | None) -> Decoder | _Identity:
    name = (content_encoding or "").strip().lower()
    if name in ("", "identity", "none"):
        return _Identity()
    if name in ("gzip", "x-gzip"):
        return Decoder("gzip", lambda: zlib.decompressobj(wbits=16 + zlib.MAX_WBITS))
    if name == "deflate":
        return Decoder("deflate", lambda: zlib.decompressobj(wbits=zlib.MAX_WBITS))
    if name == "zstd":
        return Decoder("zstd", _ZstdInflater)
    if name == "lz4":
        return Decoder("lz4", lz4.frame.LZ4FrameDecompressor)
    raise ClickHouseError(
        BAD_ARGUMENTS, f"Unknown Content-Encoding of HTTP request: {content_encoding}"
    )


class Encoder:
    """Encodes a response body as one compressed stream, chunk by chunk."""

    def __init__(
        self, name: str, compress: Callable[[bytes], bytes], flush: Callable[[], bytes]
    ) -> None:
        self.name = name
        self.compress = compress
        self.flush = flush


def encoder_for(name: str) -> Encoder:
    if name == "gzip":
        gz = zlib.compressobj(3, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        return Encoder(name, gz.compress, gz.flush)
    if name == "deflate":
        zl = zlib.compressobj(3, zlib.DEFLATED, zlib.MAX_WBITS)
        return Encoder(name, zl.compress, zl.flush)
    if name == "zstd":
        zs = zstandard.ZstdCompressor(level=1).compressobj()
        return Encoder(name, zs.compress, zs.flush)
    if name == "lz4":
        return _lz4_encoder()
    raise ValueError(f"unsupported response encoding {name!r}")


def _lz4_encoder() -> Encoder:
    comp = lz4.frame.LZ4FrameCompressor()
    started = False

    def compress(data: bytes) -> bytes:
        nonlocal started
        head = b""
        if not started:
            head, started = comp.begin(), True
        out: bytes = comp.compress(data) if data else b""
        return head + out

    def flush() -> bytes:
        nonlocal started
        head = b""
        if not started:
            head, started = comp.begin(), True
        tail: bytes = comp.flush()
        return head + tail

    return Encoder("lz4", compress, flush)


def choose_encoding(accept_encoding: str | None) -> str | None:
    """The server's pick among what the client accepts (``q=0`` excludes), or None."""
    if not accept_encoding:
        return None
    accepted: set[str] = set()
    for part in accept_encoding.split(","):
        name, _, params = part.strip().partition(";")
        q = params.strip()
        if q.startswith("q="):
            try:
                if float(q[2:]) <= 0:
                    continue
            except ValueError:
                continue
        accepted.add(name.strip().lower())
    for name in SUPPORTED:
        if name in accepted:
            return name
    return None
