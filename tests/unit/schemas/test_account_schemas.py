"""The account contract: topic names, the account envelope, exact decimals (never floats)."""

from __future__ import annotations

import io
from decimal import Context, Decimal
from typing import Any

import fastavro
import pytest
from hypothesis import given
from hypothesis import strategies as st

from schemas.account_envelope import (
    ACCOUNT_ENVELOPE_FIELDS,
    DECIMAL_PRECISION,
    DECIMAL_SCALE,
    check_account_envelope,
    decimal_bytes,
    decimal_from_bytes,
    decimal_text,
)
from schemas.catalog import load_schema
from schemas.errors import DecimalOutOfRange, SchemaContractError
from schemas.topics import ACCOUNT_TOPICS

FILES = sorted(spec.schema_file for spec in ACCOUNT_TOPICS.values())
DECIMAL = {
    "type": "bytes",
    "logicalType": "decimal",
    "precision": DECIMAL_PRECISION,
    "scale": DECIMAL_SCALE,
}

#: any decimal the schema holds exactly: at most 10 fraction digits, 38 digits in all
fitting = st.decimals(
    min_value=Decimal("-9999999999999999999999999999.9999999999"),
    max_value=Decimal("9999999999999999999999999999.9999999999"),
    places=DECIMAL_SCALE,
    allow_nan=False,
    allow_infinity=False,
)


def test_account_topic_names_are_the_architecture_ones() -> None:
    names = sorted(spec.name for spec in ACCOUNT_TOPICS.values())
    assert names == [
        "tt.acct.balance.v1",
        "tt.acct.order.v1",
        "tt.acct.position.v1",
        "tt.acct.status.v1",
        "tt.acct.transaction.v1",
    ]
    for spec in ACCOUNT_TOPICS.values():
        assert spec.key_field == "account_number"
        assert spec.value_subject == f"{spec.name}-value"
        assert spec.dlq == f"{spec.name}.dlq"
        assert spec.key_of({"account_number": "5WT00001"}) == b"5WT00001"


@pytest.mark.parametrize("file_name", FILES)
def test_account_schema_starts_with_the_account_envelope(file_name: str) -> None:
    schema = load_schema(file_name)
    assert schema["namespace"] == "tastystream.acct"
    assert schema["fields"][: len(ACCOUNT_ENVELOPE_FIELDS)] == [
        dict(f) for f in ACCOUNT_ENVELOPE_FIELDS
    ]
    names = [f["name"] for f in schema["fields"]]
    assert len(names) == len(set(names))


def _leaf_types(avro_type: Any) -> list[Any]:
    if isinstance(avro_type, list):
        return [t for branch in avro_type for t in _leaf_types(branch)]
    if isinstance(avro_type, dict) and avro_type.get("type") == "array":
        return _leaf_types(avro_type["items"])
    if isinstance(avro_type, dict) and avro_type.get("type") == "record":
        return [t for f in avro_type["fields"] for t in _leaf_types(f["type"])]
    return [avro_type]


@pytest.mark.parametrize("file_name", FILES)
def test_money_is_an_exact_decimal_never_a_float(file_name: str) -> None:
    leaves = _leaf_types(load_schema(file_name))
    assert "double" not in leaves
    assert "float" not in leaves
    decimals = [t for t in leaves if isinstance(t, dict) and t.get("logicalType") == "decimal"]
    assert all(t == DECIMAL for t in decimals)
    if file_name != "account_status.avsc":
        assert decimals


def test_a_schema_without_the_account_envelope_is_refused() -> None:
    schema = load_schema("account_order.avsc")
    schema["fields"] = schema["fields"][1:]
    with pytest.raises(SchemaContractError):
        check_account_envelope(schema, origin="broken")


@given(fitting)
def test_decimal_bytes_round_trip_exactly(value: Decimal) -> None:
    raw = decimal_bytes(value)
    assert decimal_from_bytes(raw) == value
    # written as plain bytes (our codec strips logical types), read by any consumer with
    # logical types: the same value
    plain = fastavro.parse_schema(
        {"type": "record", "name": "P", "fields": [{"name": "v", "type": "bytes"}]}
    )
    logical = fastavro.parse_schema(
        {"type": "record", "name": "P", "fields": [{"name": "v", "type": DECIMAL}]}
    )
    buf = io.BytesIO()
    fastavro.schemaless_writer(buf, plain, {"v": raw})
    buf.seek(0)
    decoded = fastavro.schemaless_reader(buf, logical, logical)
    assert isinstance(decoded, dict)
    assert decoded["v"] == value


@given(fitting, st.integers(min_value=1, max_value=9))
def test_too_many_fraction_digits_is_refused_not_rounded(value: Decimal, digit: int) -> None:
    exact = value.quantize(Decimal(1).scaleb(-DECIMAL_SCALE), context=Context(prec=100))
    finer = Decimal(f"{exact:f}{digit}")  # one more fraction digit, built exactly
    assert finer != value
    with pytest.raises(DecimalOutOfRange):
        decimal_bytes(finer, "price")


@pytest.mark.parametrize(
    "value", [Decimal("1E+28"), Decimal("-1E+28"), Decimal("NaN"), Decimal("Infinity")]
)
def test_out_of_range_values_are_refused(value: Decimal) -> None:
    with pytest.raises(DecimalOutOfRange):
        decimal_bytes(value, "quantity")


@given(fitting)
def test_decimal_text_is_one_text_per_value(value: Decimal) -> None:
    padded = (
        Decimal(f"{decimal_text(value)}000")
        if "." in decimal_text(value)
        else Decimal(f"{decimal_text(value)}.000")
    )
    assert decimal_text(padded) == decimal_text(value)
    assert Decimal(decimal_text(value)) == value
