"""Account records as the sink decodes them (decimals as Avro bytes, times as micros)."""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import Any

from schemas.account_envelope import decimal_bytes
from schemas.topics import ACCOUNT_TOPICS

# 2026-01-02 15:30:00 UTC in epoch microseconds (the time the README example asks about)
AT = 1_767_367_800_000_000
MINUTE = 60_000_000


def _default(avro_type: Any) -> Any:
    if isinstance(avro_type, list):
        return None
    if isinstance(avro_type, dict):
        logical = avro_type.get("logicalType")
        if logical == "decimal":
            return decimal_bytes(Decimal(0))
        if logical == "timestamp-micros":
            return AT
        if logical == "date":
            return AT // 86_400_000_000
        if avro_type.get("type") == "array":
            return []
        return _default(avro_type["type"])
    return {"string": "x", "long": 0, "int": 0, "boolean": False}[avro_type]


def dec(text: str) -> bytes:
    return decimal_bytes(Decimal(text))


def account_record(stem: str, ts: int, **fields: Any) -> dict[str, Any]:
    """A decoded ``tt.acct.<stem>.v1`` record at ``ts``; ``fields`` override (strings given for
    decimal fields are encoded as decimals)."""
    schema = ACCOUNT_TOPICS[stem].schema()
    out = {f["name"]: _default(f["type"]) for f in schema["fields"]}
    out.update(
        event_id=str(uuid.uuid4()),
        ts_event=ts,
        ts_ingest=ts + 5,
        source="test",
        account_number="5WT00001",
        origin="stream",
    )
    out.update(fields)
    return out


def leg(symbol: str, quantity: str, fills: list[tuple[str, str, str, int]]) -> dict[str, Any]:
    """An order leg with fills ``(fill_id, quantity, price, filled_at)``."""
    return {
        "instrument_type": "Equity",
        "symbol": symbol,
        "action": "Buy to Open",
        "quantity": dec(quantity),
        "remaining_quantity": None,
        "fills": [
            {
                "fill_id": fid,
                "quantity": dec(q),
                "fill_price": dec(p),
                "filled_at": at,
                "destination_venue": None,
                "ext_exec_id": None,
                "ext_group_fill_id": None,
            }
            for fid, q, p, at in fills
        ],
    }
