"""Market records for the sink tests: every field of every market schema, varied by index."""

from __future__ import annotations

from typing import Any

from schemas import MARKET_TOPICS, TopicSpec, event_id_for
from sinks.columns import Column

# 2026-03-02 14:30:00 UTC in epoch microseconds
T0 = 1_772_461_800_000_000
SECOND = 1_000_000


def _value(field: dict[str, Any], i: int) -> Any:
    avro_type = field["type"]
    if isinstance(avro_type, dict):  # timestamp-micros
        return T0 + i * SECOND
    return {
        "string": f"{field['name'][:3]}{i % 7}",
        "double": i * 0.25,
        "int": i % 1_000_000,
        "long": i,
        "boolean": i % 2 == 0,
    }[avro_type]


def record(
    spec: TopicSpec, i: int, *, source: str = "test", symbol: str | None = None
) -> dict[str, Any]:
    """Record ``i`` of ``spec``'s schema with a deterministic, unique ``event_id``."""
    out = {f["name"]: _value(f, i) for f in spec.schema()["fields"]}
    sym = symbol if symbol is not None else f"SYM{i % 5}"
    out.update(
        source=source,
        symbol=sym,
        streamer_symbol=sym,
        instrument_type="Equity",
        ts_event=T0 + i * SECOND,
        ts_ingest=T0 + i * SECOND + 10,
    )
    if spec.event_type == "Candle":
        out.update(streamer_symbol=f"{sym}{{=1m}}", period="1m", trading_hours_only=False)
    out["event_id"] = event_id_for(spec.event_type, out)
    return out


def records(
    event_type: str, n: int, *, start: int = 0, source: str = "test"
) -> list[dict[str, Any]]:
    spec = MARKET_TOPICS[event_type]
    return [record(spec, i, source=source) for i in range(start, start + n)]


def ddl_columns(spec: TopicSpec) -> list[Column]:
    """The columns a market table has (as sinks/ddl declares them), derived from the schema."""
    types = {
        "string": "LowCardinality(String)",
        "double": "Float64",
        "int": "Int32",
        "long": "Int64",
        "boolean": "Bool",
    }
    out: list[Column] = []
    for f in spec.schema()["fields"]:
        name = "ts" if f["name"] == "ts_event" else f["name"]
        if name == "event_id":
            out.append(Column(name, "UUID"))
        elif isinstance(f["type"], dict):
            out.append(Column(name, "DateTime64(6, 'UTC')"))
        else:
            out.append(Column(name, types[f["type"]]))
    return out
