"""Inserts into the market tables feed the bars, mid and latest views, replay-safely."""

from __future__ import annotations

import math
from typing import Any

import pytest

from schemas.topics import MARKET_TOPICS
from sinks.ddl import EXAMPLES
from sinks.ddl.examples import ASOF_TRADES_QUOTES, BARS_5M_FOR_A_DAY, LATEST_QUOTES
from sinks.migrate import ChdbTarget, migrate
from tests.support import unique
from tests.unit.sinks_ddl.chdb_sql import insert_sql
from tests.unit.sinks_ddl.records import T0, make, quote, trade

S = 1_000_000
TRADES = MARKET_TOPICS["Trade"]
QUOTES = MARKET_TOPICS["Quote"]


@pytest.fixture
def db(chdb_target: ChdbTarget) -> str:
    name = unique("views").replace("-", "_")
    migrate(chdb_target, name)
    return name


def _spy_trades() -> list[dict[str, Any]]:
    return [
        trade("SPY", T0 + 10 * S, 100.0, 10.0),
        trade("SPY", T0 + 30 * S, 101.0, 5.0),
        trade("SPY", T0 + 70 * S, 99.0, 20.0),
        trade("SPY", T0 + 400 * S, 102.0, 1.0),
        trade("SPY", T0 + 500 * S, 103.0, math.nan),  # index-style: no size
        trade("SPY", T0 + 510 * S, math.nan, 7.0),  # no price: ignored by bars
        trade("QQQ", T0 + 20 * S, 500.0, 2.0),
    ]


def _rows(target: ChdbTarget, sql: str) -> list[tuple[Any, ...]]:
    return target.rows(sql)


def test_bars_at_every_width(chdb_target: ChdbTarget, db: str) -> None:
    trades = _spy_trades()
    # later trades first, in a separate block: open/close must not depend on arrival order
    chdb_target.command(insert_sql(db, TRADES, trades[3:]))
    chdb_target.command(insert_sql(db, TRADES, trades[:3]))
    bars_1m = _rows(
        chdb_target,
        "SELECT toUnixTimestamp(bucket), open, high, low, close, volume, round(vwap, 6), trades "
        f"FROM {db}.bars_1m WHERE symbol = 'SPY' ORDER BY bucket",
    )
    t0 = T0 // S
    assert bars_1m == [
        (t0, 100.0, 101.0, 100.0, 101.0, 15.0, round(1505 / 15, 6), 2),
        (t0 + 60, 99.0, 99.0, 99.0, 99.0, 20.0, 99.0, 1),
        (t0 + 360, 102.0, 102.0, 102.0, 102.0, 1.0, 102.0, 1),
        (t0 + 480, 103.0, 103.0, 103.0, 103.0, 0.0, None, 1),
    ]
    bars_5m = _rows(
        chdb_target,
        "SELECT toUnixTimestamp(bucket), open, high, low, close, volume, trades "
        f"FROM {db}.bars_5m WHERE symbol = 'SPY' ORDER BY bucket",
    )
    assert bars_5m == [
        (t0, 100.0, 101.0, 99.0, 99.0, 35.0, 3),
        (t0 + 300, 102.0, 103.0, 102.0, 103.0, 1.0, 2),
    ]
    for width in ("1h", "1d"):
        [bar] = _rows(
            chdb_target,
            "SELECT open, high, low, close, volume, round(vwap, 6), trades "
            f"FROM {db}.bars_{width} WHERE symbol = 'SPY'",
        )
        assert bar == (100.0, 103.0, 99.0, 103.0, 36.0, round((1505 + 1980 + 102) / 36, 6), 5)
    assert _rows(chdb_target, f"SELECT open, volume FROM {db}.bars_1d WHERE symbol = 'QQQ'") == [
        (500.0, 2.0)
    ]


def test_same_block_twice_with_a_token_counts_once(chdb_target: ChdbTarget, db: str) -> None:
    block = insert_sql(db, TRADES, _spy_trades(), token="tt.md.trade.v1:0:0-6")
    chdb_target.command(block)
    chdb_target.command(block)  # a sink that crashed before committing its offsets
    assert _rows(chdb_target, f"SELECT count() FROM {db}.trades") == [(7,)]
    assert _rows(chdb_target, f"SELECT sum(trades), sum(volume) FROM {db}.bars_1h") == [(6, 38.0)]


def test_replay_in_other_batches_collapses_on_event_id(chdb_target: ChdbTarget, db: str) -> None:
    trades = _spy_trades()
    chdb_target.command(insert_sql(db, TRADES, trades[:4], token="a"))
    chdb_target.command(insert_sql(db, TRADES, trades[2:], token="b"))  # overlapping replay
    assert _rows(chdb_target, f"SELECT count() FROM {db}.trades") == [(9,)]
    assert _rows(chdb_target, f"SELECT count(), uniqExact(event_id) FROM {db}.trades FINAL") == [
        (7, 7)
    ]


def test_latest_quotes_and_mids(chdb_target: ChdbTarget, db: str) -> None:
    quotes = [
        quote("SPY", T0 + 1 * S, 600.0, 600.2),
        quote("SPY", T0 + 1 * S + 500_000, 600.1, 600.3),
        quote("SPY", T0 + 3 * S, 600.4, 600.6),
        quote("SPY", T0 + 3 * S, 600.5, 600.7, sequence=1),  # same time, later sequence
        quote("AAPL", T0 + 2 * S, 229.5, 229.52),
        quote("SPX", T0 + 2 * S, math.nan, math.nan),  # no two-sided market: no mid
    ]
    chdb_target.command(insert_sql(db, QUOTES, quotes[3:]))
    chdb_target.command(insert_sql(db, QUOTES, quotes[:3]))
    latest = _rows(
        chdb_target,
        f"SELECT symbol, toUnixTimestamp64Micro(ts), bid_price, ask_price, round(mid, 4) "
        f"FROM {db}.latest_quotes ORDER BY symbol",
    )
    assert latest[0] == ("AAPL", T0 + 2 * S, 229.5, 229.52, 229.51)
    assert latest[1][0] == "SPX"
    assert latest[2] == ("SPY", T0 + 3 * S, 600.5, 600.7, 600.6)
    mids = _rows(
        chdb_target,
        "SELECT toUnixTimestamp(ts), round(mid, 4), round(spread, 4), updates "
        f"FROM {db}.quote_mids WHERE symbol = 'SPY' ORDER BY ts",
    )
    assert mids == [(T0 // S + 1, 600.2, 0.2, 2), (T0 // S + 3, 600.6, 0.2, 2)]
    assert _rows(chdb_target, f"SELECT count() FROM {db}.quote_mids WHERE symbol = 'SPX'") == [(0,)]


def test_candle_updates_keep_the_latest_version(chdb_target: ChdbTarget, db: str) -> None:
    spec = MARKET_TOPICS["Candle"]

    def candle(close: float, ingest: int) -> dict[str, Any]:
        record = make(
            "Candle",
            "SPY",
            T0,
            time=T0,
            open=100.0,
            high=max(close, 100.0),
            low=99.0,
            close=close,
            volume=10.0,
            period="1m",
            streamer_symbol="SPY{=1m}",
        )
        record["ts_ingest"] = ingest
        return record

    chdb_target.command(insert_sql(db, spec, [candle(100.5, T0 + 1)]))
    chdb_target.command(insert_sql(db, spec, [candle(101.0, T0 + 2)]))
    chdb_target.command(insert_sql(db, spec, [candle(100.5, T0 + 1)]))  # late replay of the old
    assert _rows(chdb_target, f"SELECT close FROM {db}.candles FINAL") == [(101.0,)]


def test_example_queries_return_the_expected_numbers(chdb_target: ChdbTarget, db: str) -> None:
    chdb_target.command(insert_sql(db, TRADES, _spy_trades()))
    chdb_target.command(
        insert_sql(
            db,
            QUOTES,
            [
                quote("SPY", T0, 99.9, 100.1),
                quote("SPY", T0 + 60 * S, 98.9, 99.1),
                quote("SPY", T0 + 450 * S, 102.0, 102.2),
                quote("QQQ", T0, 499.0, 501.0),
            ],
        )
    )
    chdb_target.command(f"USE {db}")
    try:
        latest = _rows(chdb_target, LATEST_QUOTES)
        assert [(r[0], r[2], r[3]) for r in latest] == [
            ("QQQ", 499.0, 501.0),
            ("SPY", 102.0, 102.2),
        ]
        bars = _rows(chdb_target, BARS_5M_FOR_A_DAY)
        assert [(r[1], r[2], r[3], r[4], r[5], r[7]) for r in bars] == [
            (100.0, 101.0, 99.0, 99.0, 35.0, 3),
            (102.0, 103.0, 102.0, 103.0, 1.0, 2),
        ]
        asof = _rows(chdb_target, ASOF_TRADES_QUOTES)
        # newest first; each trade against the quote in force at its time
        prices_vs_mid = [(r[1], r[3], r[4], r[5]) for r in asof]
        assert prices_vs_mid == [
            (103.0, 102.0, 102.2, 0.9),
            (102.0, 98.9, 99.1, 3.0),
            (99.0, 98.9, 99.1, 0.0),
            (101.0, 99.9, 100.1, 1.0),
            (100.0, 99.9, 100.1, 0.0),
        ]
        assert len(EXAMPLES) == 3
        for example in EXAMPLES:
            assert _rows(chdb_target, example.sql), example.title
    finally:
        chdb_target.command("USE default")
