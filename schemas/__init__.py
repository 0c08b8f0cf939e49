"""The event contract: Avro schemas, topic names, the envelope, the codec and the registry client.

Imports nothing of ours except ``tastystream`` plumbing; every producer and consumer goes
through here for names, keys, subjects and bytes.
"""

from schemas.candle_symbol import CandleSymbol, parse_candle_symbol
from schemas.catalog import load_schema, schema_files, schema_text
from schemas.codec import AvroCodec, Decoded, schema_id_of, wire_header
from schemas.envelope import (
    ENVELOPE_FIELD_NAMES,
    ENVELOPE_FIELDS,
    IDENTITY_FIELDS,
    event_id,
    event_id_for,
    micros_from_millis,
    ts_ingest,
)
from schemas.errors import (
    BadMagicByte,
    CodecError,
    DecimalOutOfRange,
    IncompatibleSchema,
    InvalidSchema,
    RegistryError,
    RegistryUnavailable,
    SchemaContractError,
    SchemaError,
    SchemaNotFound,
    UndecodableRecord,
    UnencodableRecord,
    UnknownSchemaId,
    UnusableSchema,
)
from schemas.registry import COMPATIBILITY, SchemaRegistry, register_all, subjects_of
from schemas.topics import (
    ACCOUNT_TOPICS,
    DLQ_SCHEMA_FILE,
    MARKET_TOPICS,
    TopicSpec,
    account_topic,
    command_topic,
    dlq_topic,
    market_spec_for_topic,
    market_topic,
    state_topic,
    topic_name,
    value_subject,
)

__all__ = [
    "ACCOUNT_TOPICS",
    "COMPATIBILITY",
    "DLQ_SCHEMA_FILE",
    "ENVELOPE_FIELDS",
    "ENVELOPE_FIELD_NAMES",
    "IDENTITY_FIELDS",
    "MARKET_TOPICS",
    "AvroCodec",
    "BadMagicByte",
    "CandleSymbol",
    "CodecError",
    "DecimalOutOfRange",
    "Decoded",
    "IncompatibleSchema",
    "InvalidSchema",
    "RegistryError",
    "RegistryUnavailable",
    "SchemaContractError",
    "SchemaError",
    "SchemaNotFound",
    "SchemaRegistry",
    "TopicSpec",
    "UndecodableRecord",
    "UnencodableRecord",
    "UnknownSchemaId",
    "UnusableSchema",
    "account_topic",
    "command_topic",
    "dlq_topic",
    "event_id",
    "event_id_for",
    "load_schema",
    "market_spec_for_topic",
    "market_topic",
    "micros_from_millis",
    "parse_candle_symbol",
    "register_all",
    "schema_files",
    "schema_id_of",
    "schema_text",
    "state_topic",
    "subjects_of",
    "topic_name",
    "ts_ingest",
    "value_subject",
    "wire_header",
]
