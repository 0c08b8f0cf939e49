"""The replay feed's pure parts: cutting recorded frames into paced chunks, fresh source times."""

from __future__ import annotations

import orjson

from bench.harness.feed import Recording, chunk_frames, stamp

FIELDS = ["eventType", "eventSymbol", "bidTime", "bidPrice", "askTime", "askPrice"]
TRADE = ["eventType", "eventSymbol", "time", "price"]


def _recording() -> Recording:
    quotes = []
    for n in range(5):
        quotes += ["Quote", f"S{n}", 1000 + n, 1.5, 1001 + n, 1.6]
    frames = [
        orjson.dumps({"type": "FEED_DATA", "channel": 1, "data": ["Quote", quotes]}).decode(),
        orjson.dumps(
            {"type": "FEED_DATA", "channel": 3, "data": ["Trade", ["Trade", "X", 7, 2.0]]}
        ).decode(),
    ]
    return Recording({1: {"Quote": FIELDS}, 3: {"Trade": TRADE}}, frames, 6)


def test_frames_are_cut_into_chunks_of_at_most_n_events_in_order() -> None:
    chunks = chunk_frames(_recording(), max_events=2)
    assert [(c[0], c[1], len(c[2]) // c[3]) for c in chunks] == [
        (1, "Quote", 2),
        (1, "Quote", 2),
        (1, "Quote", 1),
        (3, "Trade", 1),
    ]
    symbols = [c[2][i + 1] for c in chunks[:3] for i in range(0, len(c[2]), c[3])]
    assert symbols == ["S0", "S1", "S2", "S3", "S4"]
    assert chunks[0][4] == [2, 4]  # bidTime, askTime
    assert chunks[3][4] == [2]  # time


def test_stamp_sets_every_time_field_and_nothing_else() -> None:
    chunk = chunk_frames(_recording(), max_events=5)[0]
    _channel, _type, values, width, times = chunk
    before = list(values)
    stamp(values, width, times, 1_764_000_000_123)
    for base in range(0, len(values), width):
        row, old = values[base : base + width], before[base : base + width]
        assert row[2] == row[4] == 1_764_000_000_123
        assert [v for i, v in enumerate(row) if i not in times] == [
            v for i, v in enumerate(old) if i not in times
        ]
