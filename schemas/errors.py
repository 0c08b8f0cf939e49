"""The error tree of the event contract: codec failures and schema-registry failures.

Every error knows whether retrying can help (``retriable``). Codec errors are never
retriable: the same bytes fail the same way, so a consumer dead-letters the record instead
(``error_class`` in the dead letter is the class name). Registry transport failures are
retriable; rejections (incompatible or invalid schema) are not.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "BadMagicByte",
    "CodecError",
    "DecimalOutOfRange",
    "IncompatibleSchema",
    "InvalidSchema",
    "RegistryError",
    "RegistryUnavailable",
    "SchemaContractError",
    "SchemaError",
    "SchemaNotFound",
    "UndecodableRecord",
    "UnencodableRecord",
    "UnknownSchemaId",
    "UnusableSchema",
]


class SchemaError(Exception):
    """Root of everything the ``schemas`` package raises."""

    retriable: ClassVar[bool] = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class SchemaContractError(SchemaError):
    """A schema file breaks the contract (missing envelope, bad name, unreadable file)."""


class CodecError(SchemaError):
    """Bytes that cannot be turned into a record, or a record that cannot be encoded."""


class BadMagicByte(CodecError):
    """The value does not start with the Confluent magic byte 0 or is shorter than the header."""


class UnknownSchemaId(CodecError):
    """The value names a schema id that neither the codec nor the registry knows."""

    def __init__(self, schema_id: int) -> None:
        super().__init__(f"unknown schema id {schema_id}")
        self.schema_id = schema_id


class UndecodableRecord(CodecError):
    """The Avro body does not decode with the writer schema (truncated, corrupt, trailing bytes)."""

    def __init__(self, message: str, *, schema_id: int | None = None) -> None:
        super().__init__(message)
        self.schema_id = schema_id


class UnencodableRecord(CodecError):
    """A record does not fit its schema (missing field, wrong type)."""


class UnusableSchema(CodecError, SchemaContractError):
    """A registered schema this codec cannot read with: not Avro, not valid JSON, or a schema
    fastavro cannot parse (e.g. unresolved references). Values naming it fail with it (a codec
    error: dead-letter them); adding it raises it (an invalid schema)."""

    def __init__(self, schema_id: int, reason: str) -> None:
        super().__init__(f"schema id {schema_id} is unusable: {reason}")
        self.schema_id = schema_id
        self.reason = reason


class RegistryError(SchemaError):
    """The schema registry answered with an error (or did not answer)."""

    def __init__(self, message: str, *, status: int = 0, error_code: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code


class RegistryUnavailable(RegistryError):
    """Transport failure, timeout or 5xx: worth retrying."""

    retriable: ClassVar[bool] = True


class IncompatibleSchema(RegistryError):
    """409: the schema breaks the subject's compatibility level."""


class InvalidSchema(RegistryError):
    """422: the registry rejected the schema (or the compatibility level) as invalid."""


class SchemaNotFound(RegistryError):
    """404: the subject, version or schema id does not exist."""


class DecimalOutOfRange(CodecError):
    """A money or quantity value that the schema's decimal cannot hold exactly (never rounded)."""
