"""Result spooling for wait_end_of_query: memory first, a temp file past the limit."""

from __future__ import annotations

import pytest

from tastystream.stack.clickhouse.result_stream import Spool


@pytest.mark.parametrize("limit", [10, 1 << 20])
def test_spool_returns_exactly_what_was_written(limit: int) -> None:
    chunks = [bytes([i]) * (i * 7 + 1) for i in range(40)]
    with Spool(limit) as spool:
        for chunk in chunks:
            spool.write(chunk)
        assert b"".join(spool.pieces()) == b"".join(chunks)
