"""The ``_schemas`` record format against the shapes Confluent Schema Registry writes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tastystream.stack.registry.records import (
    ConfigKey,
    ConfigValue,
    DeleteSubjectKey,
    DeleteSubjectValue,
    Key,
    NoopKey,
    OtherKey,
    RecordFormatError,
    SchemaKey,
    SchemaReference,
    SchemaValue,
    Value,
    decode_key,
    decode_value,
    encode_key,
    encode_value,
)
from tastystream.stack.registry.state import RegistryState

# records as Confluent Schema Registry writes them to _schemas (compact JSON, this field order)
CONFLUENT: list[tuple[bytes, bytes | None, Key, Value | None]] = [
    (
        b'{"keytype":"SCHEMA","subject":"Kafka-value","version":1,"magic":1}',
        b'{"subject":"Kafka-value","version":1,"id":1,"schema":"\\"string\\"","deleted":false}',
        SchemaKey("Kafka-value", 1),
        SchemaValue("Kafka-value", 1, 1, '"string"'),
    ),
    (
        b'{"keytype":"CONFIG","subject":null,"magic":0}',
        b'{"compatibilityLevel":"FULL"}',
        ConfigKey(None),
        ConfigValue("FULL"),
    ),
    (
        b'{"keytype":"CONFIG","subject":"Kafka-value","magic":0}',
        b'{"compatibilityLevel":"BACKWARD_TRANSITIVE"}',
        ConfigKey("Kafka-value"),
        ConfigValue("BACKWARD_TRANSITIVE"),
    ),
    (
        b'{"keytype":"DELETE_SUBJECT","subject":"Kafka-value","magic":0}',
        b'{"subject":"Kafka-value","version":2}',
        DeleteSubjectKey("Kafka-value"),
        DeleteSubjectValue("Kafka-value", 2),
    ),
    (b'{"keytype":"NOOP","magic":0}', None, NoopKey(), None),
    (
        b'{"keytype":"SCHEMA","subject":"Kafka-value","version":1,"magic":1}',
        None,
        SchemaKey("Kafka-value", 1),
        None,
    ),
]


@pytest.mark.parametrize(("raw_key", "raw_value", "key", "value"), CONFLUENT)
def test_encodes_exactly_like_confluent(
    raw_key: bytes, raw_value: bytes | None, key: object, value: object
) -> None:
    assert encode_key(key) == raw_key  # type: ignore[arg-type]
    assert encode_value(value) == raw_value  # type: ignore[arg-type]


@pytest.mark.parametrize(("raw_key", "raw_value", "key", "value"), CONFLUENT)
def test_decodes_confluent_records(
    raw_key: bytes, raw_value: bytes | None, key: object, value: object
) -> None:
    decoded = decode_key(raw_key)
    assert decoded == key
    assert decode_value(decoded, raw_value) == value


def test_non_avro_types_and_references_are_written_only_when_present() -> None:
    value = SchemaValue("s", 2, 7, "{}", True, "JSON", (SchemaReference("R", "r", 1),))
    assert json.loads(encode_value(value) or b"") == {
        "subject": "s",
        "version": 2,
        "id": 7,
        "schemaType": "JSON",
        "references": [{"name": "R", "subject": "r", "version": 1}],
        "schema": "{}",
        "deleted": True,
    }
    assert decode_value(SchemaKey("s", 2), encode_value(value)) == value


def test_newer_confluent_fields_are_tolerated() -> None:
    raw = (
        b'{"subject":"s","version":1,"id":3,"schemaType":"PROTOBUF","schema":"x",'
        b'"metadata":{"properties":{"a":"b"}},"ruleSet":null,"deleted":false}'
    )
    value = decode_value(SchemaKey("s", 1), raw)
    assert value == SchemaValue("s", 1, 3, "x", False, "PROTOBUF")
    config = decode_value(ConfigKey(None), b'{"compatibilityLevel":"NONE","normalize":true}')
    assert config == ConfigValue("NONE")


def test_unused_key_types_are_kept_aside() -> None:
    key = decode_key(b'{"keytype":"MODE","subject":null,"magic":0}')
    assert isinstance(key, OtherKey)
    assert key.keytype == "MODE"
    assert decode_value(key, b'{"mode":"READONLY"}') is None


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"[1]",
        b'{"keytype":"SCHEMA","version":1}',
        b'{"keytype":"SCHEMA","subject":3,"version":1}',
    ],
)
def test_malformed_keys_raise_a_typed_error(raw: bytes) -> None:
    with pytest.raises(RecordFormatError):
        decode_key(raw)


def test_malformed_values_raise_a_typed_error() -> None:
    with pytest.raises(RecordFormatError):
        decode_value(SchemaKey("s", 1), b'{"subject":"s","version":1}')


@given(
    subject=st.text(min_size=1, max_size=20),
    version=st.integers(1, 2**31 - 1),
    schema_id=st.integers(0, 2**31 - 1),
    schema=st.text(max_size=50),
    deleted=st.booleans(),
)
def test_schema_records_round_trip(
    subject: str, version: int, schema_id: int, schema: str, deleted: bool
) -> None:
    key, value = (
        SchemaKey(subject, version),
        SchemaValue(subject, version, schema_id, schema, deleted),
    )
    decoded = decode_key(encode_key(key))
    assert decoded == key
    assert decode_value(decoded, encode_value(value)) == value


def test_state_replays_a_confluent_log() -> None:
    log: list[tuple[Key, Value | None]] = [
        (SchemaKey("a", 1), SchemaValue("a", 1, 1, '"string"')),
        (SchemaKey("b", 1), SchemaValue("b", 1, 1, '"string"')),
        (SchemaKey("a", 2), SchemaValue("a", 2, 2, '"long"')),
        (ConfigKey("a"), ConfigValue("FULL")),
        (DeleteSubjectKey("b"), DeleteSubjectValue("b", 1)),
        (SchemaKey("a", 2), None),
        (ConfigKey("a"), None),
        (ConfigKey(None), ConfigValue("NONE")),
    ]
    state = RegistryState()
    for key, value in log:
        raw_key = encode_key(key)
        state.apply(decode_key(raw_key), decode_value(decode_key(raw_key), encode_value(value)))
    assert state.subject_names() == ["a"]
    assert state.subject_names(deleted=True) == ["a", "b"]
    assert [e.version for e in state.versions("a")] == [1]
    assert 2 not in state.schemas  # hard-deleted and referenced nowhere else
    assert state.max_id == 2
    assert state.configs == {None: "NONE"}


def test_a_conflicting_schema_under_a_taken_id_is_ignored() -> None:
    state = RegistryState()
    state.apply(SchemaKey("a", 1), SchemaValue("a", 1, 1, '"string"'))
    state.apply(SchemaKey("b", 1), SchemaValue("b", 1, 1, '"long"'))
    assert state.schemas[1].text == '"string"'
    assert state.subject_names() == ["a"]
