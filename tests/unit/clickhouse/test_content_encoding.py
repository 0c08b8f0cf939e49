"""Request bodies in every Content-Encoding, frame by frame; response encoding negotiation."""

from __future__ import annotations

import gzip
import zlib

import lz4.frame
import pytest
import zstandard
from hypothesis import given
from hypothesis import strategies as st

from tastystream.stack.clickhouse.content_encoding import choose_encoding, decoder_for, encoder_for
from tastystream.stack.clickhouse.errors import ClickHouseError

COMPRESS = {
    "gzip": gzip.compress,
    "deflate": zlib.compress,
    "zstd": lambda b: zstandard.ZstdCompressor().compress(b),
    "lz4": lz4.frame.compress,
}


def _decode_in_pieces(name: str, wire: bytes, piece: int) -> bytes:
    decoder = decoder_for(name)
    out = b"".join(decoder.feed(wire[i : i + piece]) for i in range(0, len(wire), piece))
    decoder.finish()
    return out


@given(
    st.sampled_from(sorted(COMPRESS)),
    st.lists(st.binary(min_size=1, max_size=3000), min_size=1, max_size=4),
    st.integers(min_value=1, max_value=700),
)
def test_concatenated_frames_decode_in_any_pieces(
    name: str, blocks: list[bytes], piece: int
) -> None:
    wire = b"".join(COMPRESS[name](block) for block in blocks)
    assert _decode_in_pieces(name, wire, piece) == b"".join(blocks)


def test_lz4_body_as_clickhouse_connect_sends_it() -> None:
    # clickhouse-connect compresses every insert block as its own lz4 frame
    comp = [lz4.frame.LZ4FrameCompressor() for _ in range(3)]
    blocks = [b"INSERT INTO t FORMAT Native\n", b"\x01\x02" * 5000, b"tail"]
    wire = b"".join(
        c.begin(len(b)) + c.compress(b) + c.flush() for c, b in zip(comp, blocks, strict=True)
    )
    assert _decode_in_pieces("lz4", wire, 1000) == b"".join(blocks)


def test_identity_passthrough() -> None:
    assert decoder_for(None).feed(b"abc") == b"abc"
    assert decoder_for("identity").feed(b"x") == b"x"


def test_unknown_encoding_is_a_typed_error() -> None:
    with pytest.raises(ClickHouseError) as info:
        decoder_for("snappy-ish")
    assert info.value.code == 36


def test_corrupt_body_is_cannot_decompress() -> None:
    with pytest.raises(ClickHouseError) as info:
        decoder_for("gzip").feed(b"definitely not gzip")
    assert info.value.name == "CANNOT_DECOMPRESS"
    assert info.value.http_status == 400


def test_truncated_frame_is_reported_at_finish() -> None:
    wire = zstandard.ZstdCompressor().compress(b"x" * 10000)
    decoder = decoder_for("zstd")
    decoder.feed(wire[: len(wire) // 2])
    with pytest.raises(ClickHouseError):
        decoder.finish()


@pytest.mark.parametrize("name", ["gzip", "deflate", "zstd", "lz4"])
def test_response_encoders_make_one_decodable_stream(name: str) -> None:
    enc = encoder_for(name)
    chunks = [b"a" * 1000, b"", b"bcd" * 500]
    wire = b"".join(enc.compress(c) for c in chunks) + enc.flush()
    expected = b"".join(chunks)
    if name == "gzip":
        assert gzip.decompress(wire) == expected
    elif name == "deflate":
        assert zlib.decompress(wire) == expected
    elif name == "zstd":
        assert zstandard.ZstdDecompressor().decompressobj().decompress(wire) == expected
    else:
        # clickhouse-connect decodes a whole lz4 body with one decompress call: one frame only
        assert lz4.frame.LZ4FrameDecompressor().decompress(wire) == expected


def test_empty_lz4_response_is_a_valid_frame() -> None:
    enc = encoder_for("lz4")
    assert lz4.frame.decompress(enc.flush()) == b""


@pytest.mark.parametrize(
    ("accept", "chosen"),
    [
        ("lz4,zstd,gzip,deflate", "zstd"),
        ("gzip, deflate", "gzip"),
        ("deflate", "deflate"),
        ("lz4", "lz4"),
        ("zstd;q=0, gzip", "gzip"),
        ("br", None),
        ("", None),
        (None, None),
    ],
)
def test_choose_encoding(accept: str | None, chosen: str | None) -> None:
    assert choose_encoding(accept) == chosen
