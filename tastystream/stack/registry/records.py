"""The ``_schemas`` topic record format, byte-compatible with Confluent Schema Registry.

Keys and values are JSON, written with Confluent's field order and no whitespace::

    {"keytype":"SCHEMA","subject":"s","version":1,"magic":1}
        {"subject":"s","version":1,"id":1,"schema":"...","deleted":false}   (null = hard delete)
    {"keytype":"CONFIG","subject":null,"magic":0}   {"compatibilityLevel":"BACKWARD"}
    {"keytype":"DELETE_SUBJECT","subject":"s","magic":0}   {"subject":"s","version":3}
    {"keytype":"NOOP","magic":0}   null

``schemaType`` is written only for non-Avro schemas and ``references`` only when present, as
Confluent does. Records this registry does not act on (MODE, CLEAR_SUBJECT, CONTEXT …) decode to
:class:`OtherKey` so a shared topic never breaks the reader.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, TypeAlias

__all__ = [
    "ConfigKey",
    "ConfigValue",
    "DeleteSubjectKey",
    "DeleteSubjectValue",
    "Key",
    "NoopKey",
    "OtherKey",
    "RecordFormatError",
    "SchemaKey",
    "SchemaReference",
    "SchemaValue",
    "Value",
    "decode_key",
    "decode_value",
    "encode_key",
    "encode_value",
]


class RecordFormatError(ValueError):
    """A ``_schemas`` record that cannot be decoded."""


@dataclass(frozen=True)
class SchemaKey:
    subject: str
    version: int


@dataclass(frozen=True)
class ConfigKey:
    subject: str | None  # None: the global config


@dataclass(frozen=True)
class DeleteSubjectKey:
    subject: str


@dataclass(frozen=True)
class NoopKey:
    pass


@dataclass(frozen=True)
class OtherKey:
    keytype: str
    raw: str


Key: TypeAlias = SchemaKey | ConfigKey | DeleteSubjectKey | NoopKey | OtherKey


@dataclass(frozen=True)
class SchemaReference:
    name: str
    subject: str
    version: int


@dataclass(frozen=True)
class SchemaValue:
    subject: str
    version: int
    id: int
    schema: str
    deleted: bool = False
    schema_type: str = "AVRO"
    references: tuple[SchemaReference, ...] = field(default=())


@dataclass(frozen=True)
class ConfigValue:
    compatibility_level: str | None


@dataclass(frozen=True)
class DeleteSubjectValue:
    subject: str
    version: int


Value: TypeAlias = SchemaValue | ConfigValue | DeleteSubjectValue


def _dumps(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def encode_key(key: Key) -> bytes:
    if isinstance(key, SchemaKey):
        obj: dict[str, Any] = {
            "keytype": "SCHEMA",
            "subject": key.subject,
            "version": key.version,
            "magic": 1,
        }
    elif isinstance(key, ConfigKey):
        obj = {"keytype": "CONFIG", "subject": key.subject, "magic": 0}
    elif isinstance(key, DeleteSubjectKey):
        obj = {"keytype": "DELETE_SUBJECT", "subject": key.subject, "magic": 0}
    elif isinstance(key, NoopKey):
        obj = {"keytype": "NOOP", "magic": 0}
    else:
        return key.raw.encode("utf-8")
    return _dumps(obj)


def encode_value(value: Value | None) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, SchemaValue):
        obj: dict[str, Any] = {"subject": value.subject, "version": value.version, "id": value.id}
        if value.schema_type != "AVRO":
            obj["schemaType"] = value.schema_type
        if value.references:
            obj["references"] = [
                {"name": r.name, "subject": r.subject, "version": r.version}
                for r in value.references
            ]
        obj["schema"] = value.schema
        obj["deleted"] = value.deleted
    elif isinstance(value, ConfigValue):
        obj = (
            {}
            if value.compatibility_level is None
            else {"compatibilityLevel": value.compatibility_level}
        )
    else:
        obj = {"subject": value.subject, "version": value.version}
    return _dumps(obj)


def _loads(data: bytes) -> dict[str, Any]:
    try:
        obj = json.loads(data)
    except (ValueError, RecursionError) as exc:
        raise RecordFormatError(f"not JSON: {data[:200]!r}") from exc
    if not isinstance(obj, dict):
        raise RecordFormatError(f"not a JSON object: {data[:200]!r}")
    return obj


def decode_key(data: bytes) -> Key:
    obj = _loads(data)
    keytype = obj.get("keytype")
    try:
        if keytype == "SCHEMA":
            return SchemaKey(_str(obj["subject"]), _int(obj["version"]))
        if keytype == "CONFIG":
            subject = obj.get("subject")
            return ConfigKey(None if subject is None else _str(subject))
        if keytype == "DELETE_SUBJECT":
            return DeleteSubjectKey(_str(obj["subject"]))
        if keytype == "NOOP":
            return NoopKey()
    except KeyError as exc:
        raise RecordFormatError(f"{keytype} key without {exc}: {data[:200]!r}") from exc
    return OtherKey(str(keytype), data.decode("utf-8", "replace"))


def decode_value(key: Key, data: bytes | None) -> Value | None:
    """The value for ``key`` (None for tombstones and for keys that carry no value we use)."""
    if data is None or isinstance(key, (NoopKey, OtherKey)):
        return None
    obj = _loads(data)
    try:
        if isinstance(key, SchemaKey):
            refs = tuple(
                SchemaReference(_str(r["name"]), _str(r["subject"]), _int(r["version"]))
                for r in obj.get("references") or ()
            )
            return SchemaValue(
                subject=_str(obj["subject"]),
                version=_int(obj["version"]),
                id=_int(obj["id"]),
                schema=_str(obj["schema"]),
                deleted=bool(obj.get("deleted", False)),
                schema_type=_str(obj.get("schemaType") or "AVRO"),
                references=refs,
            )
        if isinstance(key, ConfigKey):
            level = obj.get("compatibilityLevel")
            return ConfigValue(None if level is None else _str(level))
        return DeleteSubjectValue(_str(obj["subject"]), _int(obj["version"]))
    except (KeyError, TypeError) as exc:
        raise RecordFormatError(f"bad value for {key}: {data[:200]!r}") from exc


def _str(value: Any) -> str:
    if not isinstance(value, str):
        raise RecordFormatError(f"expected a string, got {value!r}")
    return value


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise RecordFormatError(f"expected an integer, got {value!r}")
    return value
