"""The registry's materialized view of the ``_schemas`` log (pure: records in, state out).

Replaying the same records always yields the same state, whoever wrote them (this registry or a
Confluent one). Ids are global: one id per distinct schema (by canonical form, schema type and
references), shared by every subject and version that registered it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from tastystream.stack.registry.avro_model import AvroSchemaError, Node, parse_avro
from tastystream.stack.registry.canonical import canonical_form
from tastystream.stack.registry.records import (
    ConfigKey,
    ConfigValue,
    DeleteSubjectKey,
    DeleteSubjectValue,
    Key,
    SchemaKey,
    SchemaReference,
    SchemaValue,
    Value,
)

__all__ = ["RegistryState", "StoredSchema", "VersionEntry", "dedup_key"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoredSchema:
    id: int
    text: str
    schema_type: str
    references: tuple[SchemaReference, ...]
    node: Node | None  # the parsed Avro schema (None when not Avro or unparseable)
    key: str  # the dedup key


@dataclass
class VersionEntry:
    subject: str
    version: int
    id: int
    deleted: bool


def dedup_key(schema_type: str, canonical: str, references: tuple[SchemaReference, ...]) -> str:
    refs = ",".join(f"{r.name}={r.subject}/{r.version}" for r in references)
    return f"{schema_type}|{refs}|{canonical}"


class RegistryState:
    def __init__(self) -> None:
        self.schemas: dict[int, StoredSchema] = {}
        self.subjects: dict[str, dict[int, VersionEntry]] = {}
        self.ids_by_key: dict[str, int] = {}
        self.configs: dict[str | None, str] = {}
        self.max_id = 0

    # ------------------------------------------------------------------ apply
    def apply(self, key: Key, value: Value | None) -> None:
        if isinstance(key, SchemaKey):
            if value is None:
                self._hard_delete(key)
            elif isinstance(value, SchemaValue):
                self._put_schema(key, value)
        elif isinstance(key, ConfigKey):
            level = value.compatibility_level if isinstance(value, ConfigValue) else None
            if level is None:
                self.configs.pop(key.subject, None)
            else:
                self.configs[key.subject] = level
        elif isinstance(key, DeleteSubjectKey) and isinstance(value, DeleteSubjectValue):
            for entry in self.subjects.get(key.subject, {}).values():
                if entry.version <= value.version:
                    entry.deleted = True

    def _put_schema(self, key: SchemaKey, value: SchemaValue) -> None:
        existing = self.schemas.get(value.id)
        if existing is None:
            existing = self._store(value)
        elif existing.text != value.schema and existing.key != self._key_of(value):
            log.error(
                "ignoring schema record: id %d already holds another schema (subject %s v%d)",
                value.id,
                key.subject,
                key.version,
            )
            return
        self.max_id = max(self.max_id, value.id)
        versions = self.subjects.setdefault(key.subject, {})
        versions[key.version] = VersionEntry(key.subject, key.version, value.id, value.deleted)
        self.subjects[key.subject] = dict(sorted(versions.items()))

    def _store(self, value: SchemaValue) -> StoredSchema:
        node = self._parse(value)
        key = self._key_of(value, node)
        stored = StoredSchema(
            value.id, value.schema, value.schema_type, value.references, node, key
        )
        self.schemas[value.id] = stored
        self.ids_by_key.setdefault(key, value.id)
        return stored

    def _key_of(self, value: SchemaValue, node: Node | None = None) -> str:
        if node is None:
            node = self._parse(value)
        canonical = canonical_form(node) if node is not None else value.schema
        return dedup_key(value.schema_type, canonical, value.references)

    def _parse(self, value: SchemaValue) -> Node | None:
        if value.schema_type != "AVRO":
            return None
        try:
            return parse_avro(value.schema, self.reference_texts(value.references))
        except (AvroSchemaError, LookupError) as exc:
            log.warning("schema id %d does not parse: %s", value.id, exc)
            return None

    def _hard_delete(self, key: SchemaKey) -> None:
        versions = self.subjects.get(key.subject, {})
        entry = versions.pop(key.version, None)
        if not versions:
            self.subjects.pop(key.subject, None)
        if entry is None or self.subjects_of(entry.id, deleted=True):
            return
        stored = self.schemas.pop(entry.id, None)
        if stored is not None and self.ids_by_key.get(stored.key) == entry.id:
            del self.ids_by_key[stored.key]

    # ---------------------------------------------------------------- queries
    def versions(
        self, subject: str, *, deleted: bool = False, deleted_only: bool = False
    ) -> list[VersionEntry]:
        """The subject's versions, oldest first (soft-deleted ones only if ``deleted``)."""
        entries = self.subjects.get(subject, {}).values()
        if deleted_only:
            return [e for e in entries if e.deleted]
        return [e for e in entries if deleted or not e.deleted]

    def subject_names(self, *, deleted: bool = False, deleted_only: bool = False) -> list[str]:
        """Subjects with a live version (or any version, or a soft-deleted one)."""
        return sorted(
            s for s in self.subjects if self.versions(s, deleted=deleted, deleted_only=deleted_only)
        )

    def subjects_of(self, schema_id: int, *, deleted: bool = False) -> list[VersionEntry]:
        return [
            e
            for versions in self.subjects.values()
            for e in versions.values()
            if e.id == schema_id and (deleted or not e.deleted)
        ]

    def referenced_by(self, subject: str, version: int) -> list[int]:
        """Ids of stored schemas that reference ``subject`` ``version``."""
        return sorted(
            s.id
            for s in self.schemas.values()
            if any(r.subject == subject and r.version == version for r in s.references)
        )

    def reference_texts(self, references: tuple[SchemaReference, ...]) -> list[str]:
        """Texts of referenced schemas, dependencies first (raises LookupError if missing)."""
        texts: list[str] = []
        for ref in references:
            entry = self.subjects.get(ref.subject, {}).get(ref.version)
            if entry is None or entry.id not in self.schemas:
                raise LookupError(f"reference {ref.name} → {ref.subject} v{ref.version} not found")
            stored = self.schemas[entry.id]
            for text in (*self.reference_texts(stored.references), stored.text):
                if text not in texts:
                    texts.append(text)
        return texts
