"""Sample market records (as the normalizer produces them) for the DDL tests."""

from __future__ import annotations

import math
from typing import Any

from schemas.envelope import event_id_for
from schemas.topics import MARKET_TOPICS

# 2026-03-02 14:30:00 UTC, a Monday, in epoch microseconds
T0 = 1_772_461_800_000_000
MINUTE = 60_000_000


def blank(event_type: str) -> dict[str, Any]:
    """A record of ``event_type`` with neutral values for every field."""
    record: dict[str, Any] = {}
    for field in MARKET_TOPICS[event_type].schema()["fields"]:
        avro_type = field["type"]
        if isinstance(avro_type, dict):
            record[field["name"]] = 0
        else:
            record[field["name"]] = {
                "string": "",
                "double": math.nan,
                "int": 0,
                "long": 0,
                "boolean": False,
            }[avro_type]
    record.update(source="test", instrument_type="Equity")
    return record


def make(event_type: str, symbol: str, ts: int, **fields: Any) -> dict[str, Any]:
    record = blank(event_type)
    record.update(symbol=symbol, streamer_symbol=symbol, ts_event=ts, ts_ingest=ts + 1000)
    record.update(fields)
    record["event_id"] = event_id_for(event_type, record)
    return record


def trade(symbol: str, ts: int, price: float, size: float, sequence: int = 0) -> dict[str, Any]:
    return make("Trade", symbol, ts, time=ts, price=price, size=size, sequence=sequence)


def quote(symbol: str, ts: int, bid: float, ask: float, sequence: int = 0) -> dict[str, Any]:
    return make(
        "Quote",
        symbol,
        ts,
        bid_time=ts,
        ask_time=ts,
        bid_price=bid,
        ask_price=ask,
        bid_size=100.0,
        ask_size=200.0,
        sequence=sequence,
    )
