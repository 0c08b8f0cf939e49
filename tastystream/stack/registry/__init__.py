"""A Confluent-compatible schema registry for the local stack, storing schemas in ``_schemas``.

Layers: :mod:`avro_model` (parse/validate) → :mod:`canonical` and :mod:`compatibility` (pure) →
:mod:`records` (the topic's record format) → :mod:`state` (records → registry view) →
:mod:`store` / :mod:`kafka_log` (where records live) → :mod:`service` (registry semantics) →
:mod:`api` (REST) → :mod:`server` (process).
"""

from tastystream.stack.registry.api import CONTENT_TYPE, create_app
from tastystream.stack.registry.avro_model import AvroSchemaError, Node, parse_avro
from tastystream.stack.registry.canonical import canonical_form, parsing_canonical_form
from tastystream.stack.registry.compatibility import (
    CompatibilityLevel,
    Incompatibility,
    check_compatibility,
    read_incompatibilities,
)
from tastystream.stack.registry.errors import RegistryError
from tastystream.stack.registry.kafka_log import KafkaLog, LogStatus
from tastystream.stack.registry.service import SchemaRegistry, SchemaRequest
from tastystream.stack.registry.store import MemoryLog, Store

__all__ = [
    "CONTENT_TYPE",
    "AvroSchemaError",
    "CompatibilityLevel",
    "Incompatibility",
    "KafkaLog",
    "LogStatus",
    "MemoryLog",
    "Node",
    "RegistryError",
    "SchemaRegistry",
    "SchemaRequest",
    "Store",
    "canonical_form",
    "check_compatibility",
    "create_app",
    "parse_avro",
    "parsing_canonical_form",
    "read_incompatibilities",
]
