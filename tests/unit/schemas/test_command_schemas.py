"""The order-flow contract: topic names, keys, the command envelope and deterministic ids."""

from __future__ import annotations

import pytest

from schemas.catalog import load_schema
from schemas.command_envelope import (
    COMMAND_ENVELOPE_FIELDS,
    check_command_envelope,
    command_event_id,
    result_event_id,
)
from schemas.errors import SchemaContractError
from schemas.topics import COMMAND_TOPICS


def test_command_topics_are_the_contract_names_keyed_by_account() -> None:
    assert {s.name for s in COMMAND_TOPICS.values()} == {
        "tt.cmd.order.v1",
        "tt.cmd.approved.v1",
        "tt.cmd.result.v1",
    }
    for spec in COMMAND_TOPICS.values():
        assert spec.key_field == "account_number"
        assert spec.key_of({"account_number": "5WT00001"}) == b"5WT00001"
        assert spec.dlq == spec.name + ".dlq"
    assert COMMAND_TOPICS["approved"].schema_file == COMMAND_TOPICS["order"].schema_file


@pytest.mark.parametrize("file_name", ["order_command.avsc", "order_result.avsc"])
def test_command_schemas_start_with_the_command_envelope(file_name: str) -> None:
    schema = load_schema(file_name)
    assert schema["namespace"] == "tastystream.cmd"
    assert schema["fields"][: len(COMMAND_ENVELOPE_FIELDS)] == [
        dict(f) for f in COMMAND_ENVELOPE_FIELDS
    ]


def test_a_schema_without_the_envelope_is_refused() -> None:
    schema = load_schema("order_result.avsc")
    schema["fields"][6] = {"name": "account_number", "type": "int", "doc": "x"}
    with pytest.raises(SchemaContractError, match="account_number"):
        check_command_envelope(schema)


def test_ids_depend_on_the_command_only_and_differ_by_kind() -> None:
    assert result_event_id("A", "c1") == result_event_id("A", "c1")
    assert result_event_id("A", "c1") != result_event_id("A", "c2")
    assert result_event_id("A", "c1") != command_event_id("A", "c1")
