from __future__ import annotations

import json
from pathlib import Path

import pytest

from schemas.catalog import SCHEMA_DIR, load_schema, schema_files, schema_text
from schemas.envelope import ENVELOPE_FIELD_NAMES, ENVELOPE_FIELDS, IDENTITY_FIELDS, check_envelope
from schemas.errors import SchemaContractError
from schemas.topics import ACCOUNT_TOPICS, COMMAND_TOPICS, DLQ_SCHEMA_FILE, MARKET_TOPICS

MARKET_FILES = sorted(spec.schema_file for spec in MARKET_TOPICS.values())
ACCOUNT_FILES = sorted(spec.schema_file for spec in ACCOUNT_TOPICS.values())
COMMAND_FILES = sorted({spec.schema_file for spec in COMMAND_TOPICS.values()})


def test_every_market_event_type_has_its_schema_file() -> None:
    assert set(schema_files()) == {*MARKET_FILES, *ACCOUNT_FILES, *COMMAND_FILES, DLQ_SCHEMA_FILE}
    assert len(MARKET_FILES) == 10
    assert len(ACCOUNT_FILES) == 5


@pytest.mark.parametrize("file_name", MARKET_FILES)
def test_market_schema_starts_with_the_envelope(file_name: str) -> None:
    schema = load_schema(file_name)
    assert schema["namespace"] == "tastystream.md"
    names = [f["name"] for f in schema["fields"]]
    assert tuple(names[: len(ENVELOPE_FIELD_NAMES)]) == ENVELOPE_FIELD_NAMES
    assert schema["fields"][: len(ENVELOPE_FIELDS)] == [dict(f) for f in ENVELOPE_FIELDS]
    assert len(names) == len(set(names)), "duplicate field names"
    assert all(f.get("doc") for f in schema["fields"])
    assert schema.get("doc")


@pytest.mark.parametrize("file_name", MARKET_FILES)
def test_timestamps_are_micros_and_prices_double(file_name: str) -> None:
    fields = {f["name"]: f["type"] for f in load_schema(file_name)["fields"]}
    ts = {"type": "long", "logicalType": "timestamp-micros"}
    assert fields["ts_event"] == ts
    assert fields["ts_ingest"] == ts
    for name in ("price", "bid_price", "ask_price", "open", "close", "size", "volatility"):
        if name in fields:
            assert fields[name] == "double", name
    for name in ("time", "bid_time", "ask_time", "halt_start_time"):
        if name in fields:
            assert fields[name] == ts, name


def test_identity_fields_exist_in_each_schema_and_exclude_the_envelope() -> None:
    assert set(IDENTITY_FIELDS) == set(MARKET_TOPICS)
    for event_type, spec in MARKET_TOPICS.items():
        names = {f["name"] for f in spec.schema()["fields"]}
        identity = IDENTITY_FIELDS[event_type]
        assert set(identity) <= names, event_type
        assert not set(identity) & set(ENVELOPE_FIELD_NAMES), event_type


def test_candle_carries_period_and_event_flags() -> None:
    names = [f["name"] for f in load_schema("candle.avsc")["fields"]]
    for name in ("period", "trading_hours_only", "event_flags", "index", "vwap"):
        assert name in names


def test_dead_letter_schema() -> None:
    schema = load_schema(DLQ_SCHEMA_FILE)
    assert schema["namespace"] == "tastystream.dlq"
    names = [f["name"] for f in schema["fields"]]
    for name in ("topic", "partition", "offset", "key", "value", "reason", "error_class", "ts"):
        assert name in names


def test_load_schema_returns_copies() -> None:
    first = load_schema("quote.avsc")
    first["fields"].clear()
    assert load_schema("quote.avsc")["fields"]


def test_schema_text_is_compact_json_of_the_file() -> None:
    text = schema_text("trade.avsc")
    assert json.loads(text) == json.loads((SCHEMA_DIR / "trade.avsc").read_text())
    assert "\n" not in text


def test_check_envelope_rejects_drift() -> None:
    schema = load_schema("quote.avsc")
    schema["fields"][1]["doc"] = "changed"
    with pytest.raises(SchemaContractError, match="ts_event"):
        check_envelope(schema, origin="x")
    with pytest.raises(SchemaContractError, match="envelope"):
        check_envelope({"type": "record", "fields": []})


def test_files_are_valid_json_with_trailing_newline() -> None:
    for name in schema_files():
        raw = Path(SCHEMA_DIR / name).read_text()
        assert raw.endswith("\n")
        json.loads(raw)
