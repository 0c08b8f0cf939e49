"""Schema registry semantics (Confluent's) over a :class:`Store`.

Reads answer from the store's materialized state. Writes are serialized by one lock: sync the
reader to the end of the log, decide against that state, append one record, and return once the
record has been applied, so ids and versions are assigned from a complete view.
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass

from tastystream.stack.registry.avro_model import AvroSchemaError, Node, parse_avro
from tastystream.stack.registry.canonical import canonical_form
from tastystream.stack.registry.compatibility import CompatibilityLevel, check_compatibility
from tastystream.stack.registry.errors import (
    IncompatibleSchema,
    InvalidCompatibilityLevel,
    InvalidSchema,
    InvalidVersion,
    ReferenceExists,
    SchemaNotFound,
    SchemaTooLarge,
    StoreError,
    SubjectConfigNotFound,
    SubjectNotFound,
    SubjectNotSoftDeleted,
    SubjectSoftDeleted,
    VersionNotFound,
    VersionNotSoftDeleted,
    VersionSoftDeleted,
)
from tastystream.stack.registry.records import (
    ConfigKey,
    ConfigValue,
    DeleteSubjectKey,
    DeleteSubjectValue,
    SchemaKey,
    SchemaReference,
    SchemaValue,
    encode_value,
)
from tastystream.stack.registry.state import StoredSchema, VersionEntry, dedup_key
from tastystream.stack.registry.store import Store

__all__ = ["SCHEMA_TYPES", "SchemaRegistry", "SchemaRequest", "parse_level", "parse_version"]

log = logging.getLogger(__name__)

SCHEMA_TYPES = ("AVRO",)
_MAX_VERSION = 2**31 - 1
_WRITE_ATTEMPTS = 5
# a schema record must fit Kafka's default message size (message.max.bytes / max_request_size)
MAX_RECORD_BYTES = 1_000_000


@dataclass(frozen=True)
class SchemaRequest:
    schema: str
    schema_type: str = "AVRO"
    references: tuple[SchemaReference, ...] = ()


@dataclass(frozen=True)
class _Candidate:
    node: Node
    key: str
    text: str


def parse_level(raw: object) -> CompatibilityLevel:
    if isinstance(raw, str):
        try:
            return CompatibilityLevel(raw.upper())
        except ValueError:
            pass
    raise InvalidCompatibilityLevel(raw)


def parse_version(raw: str) -> int | None:
    """A version number, or None for ``latest`` (also spelled ``-1``)."""
    if raw in ("latest", "-1"):
        return None
    try:
        version = int(raw)
    except ValueError:
        raise InvalidVersion(raw) from None
    if not 1 <= version <= _MAX_VERSION:
        raise InvalidVersion(raw)
    return version


class SchemaRegistry:
    def __init__(
        self, store: Store, default_level: CompatibilityLevel = CompatibilityLevel.BACKWARD
    ) -> None:
        self.store = store
        self.default_level = default_level
        self._lock = asyncio.Lock()

    # ------------------------------------------------------------- schemas
    def _candidate(self, request: SchemaRequest) -> _Candidate:
        if len(request.schema.encode("utf-8", "replace")) > MAX_RECORD_BYTES:
            raise SchemaTooLarge(
                f"Schema too large: more than {MAX_RECORD_BYTES} bytes (the record must fit in "
                "one Kafka message of the _schemas topic)"
            )
        kind = request.schema_type.upper()
        if kind not in SCHEMA_TYPES:
            raise InvalidSchema(
                f"Unsupported schema type {request.schema_type!r}; this registry supports "
                f"{', '.join(SCHEMA_TYPES)}"
            )
        try:
            refs = self.store.state.reference_texts(request.references)
        except LookupError as exc:
            raise InvalidSchema(f"Invalid schema: {exc}") from exc
        try:
            node = parse_avro(request.schema, refs)
            text = json.dumps(json.loads(request.schema), separators=(",", ":"), ensure_ascii=False)
        except AvroSchemaError as exc:
            raise InvalidSchema(f"Invalid schema {request.schema[:500]}, details: {exc}") from exc
        return _Candidate(node, dedup_key(kind, canonical_form(node), request.references), text)

    def schema(self, schema_id: int) -> StoredSchema:
        stored = self.store.state.schemas.get(schema_id)
        if stored is None:
            raise SchemaNotFound(f"Schema {schema_id} not found")
        return stored

    def schema_versions(self, schema_id: int, *, deleted: bool = False) -> list[VersionEntry]:
        self.schema(schema_id)
        return sorted(
            self.store.state.subjects_of(schema_id, deleted=deleted),
            key=lambda e: (e.subject, e.version),
        )

    def schema_subjects(self, schema_id: int, *, deleted: bool = False) -> list[str]:
        return sorted({e.subject for e in self.schema_versions(schema_id, deleted=deleted)})

    # ------------------------------------------------------------ subjects
    def subjects(
        self, *, deleted: bool = False, deleted_only: bool = False, prefix: str = ""
    ) -> list[str]:
        names = self.store.state.subject_names(deleted=deleted, deleted_only=deleted_only)
        return [s for s in names if s.startswith(prefix)]

    def versions(
        self, subject: str, *, deleted: bool = False, deleted_only: bool = False
    ) -> list[VersionEntry]:
        state = self.store.state
        entries = state.versions(subject, deleted=deleted, deleted_only=deleted_only)
        if not entries and not (deleted_only and state.versions(subject, deleted=True)):
            raise SubjectNotFound(subject)
        return entries

    def referenced_by(self, subject: str, raw_version: str) -> list[int]:
        entry = self.version(subject, raw_version)
        return self.store.state.referenced_by(subject, entry.version)

    def version(self, subject: str, raw_version: str, *, deleted: bool = False) -> VersionEntry:
        number = parse_version(raw_version)
        entries = self.versions(subject, deleted=deleted)
        if number is None:
            return entries[-1]
        for entry in entries:
            if entry.version == number:
                return entry
        raise VersionNotFound(subject, number)

    def lookup(
        self, subject: str, request: SchemaRequest, *, deleted: bool = False
    ) -> VersionEntry:
        entries = self.versions(subject, deleted=deleted)
        candidate = self._candidate(request)
        schemas = self.store.state.schemas
        for entry in reversed(entries):
            if schemas[entry.id].key == candidate.key:
                return entry
        raise SchemaNotFound("Schema not found")

    async def register(self, subject: str, request: SchemaRequest) -> int:
        async with self._lock:
            for _ in range(_WRITE_ATTEMPTS):
                schema_id = await self._register_once(subject, request)
                if schema_id is not None:
                    return schema_id
                log.warning("lost a write race on subject=%s (another writer); retrying", subject)
        raise StoreError(f"could not register under {subject!r}: concurrent writers on the log")

    async def _register_once(self, subject: str, request: SchemaRequest) -> int | None:
        """The id, or None if another writer's record won the version or the id."""
        await self.store.sync()
        state = self.store.state
        candidate = self._candidate(request)
        every = state.versions(subject, deleted=True)
        live = [e for e in every if not e.deleted]
        for entry in live:
            if state.schemas[entry.id].key == candidate.key:
                return entry.id
        level = self.level(subject)
        problems = check_compatibility(level, candidate.node, self._nodes(live))
        if problems:
            log.info("rejected schema for subject=%s (%s): %s", subject, level.value, problems[0])
            raise IncompatibleSchema(problems)
        schema_id = state.ids_by_key.get(candidate.key)
        text = candidate.text if schema_id is None else state.schemas[schema_id].text
        if schema_id is None:
            schema_id = state.max_id + 1
        version = max((e.version for e in every), default=0) + 1
        value = SchemaValue(subject, version, schema_id, text, False, "AVRO", request.references)
        size = len(encode_value(value) or b"")
        if size > MAX_RECORD_BYTES:
            raise SchemaTooLarge(
                f"Schema too large: its record is {size} bytes, more than {MAX_RECORD_BYTES} "
                "(one Kafka message of the _schemas topic)"
            )
        await self.store.write(SchemaKey(subject, version), value)
        # the log is the judge: our record must be the one the state holds
        applied = state.subjects.get(subject, {}).get(version)
        stored = state.schemas.get(schema_id)
        if applied is None or applied.id != schema_id or stored is None:
            return None
        if stored.key != candidate.key:
            return None
        log.info("registered subject=%s version=%d id=%d", subject, version, schema_id)
        return schema_id

    def _nodes(self, entries: list[VersionEntry]) -> list[tuple[int, Node]]:
        out: list[tuple[int, Node]] = []
        for entry in entries:
            node = self.store.state.schemas[entry.id].node
            if node is not None:
                out.append((entry.version, node))
        return out

    def test_compatibility(
        self, subject: str, request: SchemaRequest, raw_version: str | None
    ) -> list[str]:
        """Why ``request`` may not be registered (empty: compatible)."""
        candidate = self._candidate(request)
        level = self.level(subject)
        if raw_version is None:
            live = self.store.state.versions(subject)
            return check_compatibility(level, candidate.node, self._nodes(live))
        entry = self.version(subject, raw_version)
        targets = self._nodes([entry])
        plain = CompatibilityLevel(level.value.removesuffix("_TRANSITIVE"))
        return check_compatibility(plain, candidate.node, targets)

    # -------------------------------------------------------------- config
    def level(self, subject: str | None = None) -> CompatibilityLevel:
        configs = self.store.state.configs
        raw = configs.get(subject) if subject is not None else None
        raw = raw or configs.get(None)
        try:
            return CompatibilityLevel(raw) if raw else self.default_level
        except ValueError:
            log.warning(
                "unknown compatibility level %r in the log; using %s", raw, self.default_level
            )
            return self.default_level

    def config(self, subject: str | None, *, default_to_global: bool = False) -> str:
        if subject is None:
            return self.level().value
        level = self.store.state.configs.get(subject)
        if level is not None:
            return level
        if default_to_global:
            return self.level().value
        raise SubjectConfigNotFound(subject)

    async def set_config(self, subject: str | None, raw_level: object) -> str:
        level = parse_level(raw_level)
        async with self._lock:
            await self.store.sync()
            await self.store.write(ConfigKey(subject), ConfigValue(level.value))
        log.info("compatibility subject=%s level=%s", subject or "<global>", level.value)
        return level.value

    async def delete_config(self, subject: str | None) -> str:
        async with self._lock:
            await self.store.sync()
            state = self.store.state
            previous = state.configs.get(subject)
            if subject is not None and previous is None:
                if not state.versions(subject, deleted=True):
                    raise SubjectNotFound(subject)
                raise SubjectConfigNotFound(subject)
            if previous is not None:
                await self.store.write(ConfigKey(subject), None)
            return previous or self.default_level.value

    # -------------------------------------------------------------- delete
    async def delete_subject(self, subject: str, *, permanent: bool = False) -> list[int]:
        async with self._lock:
            await self.store.sync()
            state = self.store.state
            every = state.versions(subject, deleted=True)
            if not every:
                raise SubjectNotFound(subject)
            for entry in every:
                users = state.referenced_by(subject, entry.version)
                if users:
                    raise ReferenceExists(subject, entry.version, users)
            if not permanent:
                live = [e.version for e in every if not e.deleted]
                if not live:
                    raise SubjectSoftDeleted(subject)
                await self.store.write(
                    DeleteSubjectKey(subject), DeleteSubjectValue(subject, live[-1])
                )
                log.info("soft-deleted subject=%s versions=%s", subject, live)
                return live
            if any(not e.deleted for e in every):
                raise SubjectNotSoftDeleted(subject)
            versions = [e.version for e in every]
            for version in versions:
                await self.store.write(SchemaKey(subject, version), None)
            if subject in state.configs:
                await self.store.write(ConfigKey(subject), None)
            log.info("permanently deleted subject=%s versions=%s", subject, versions)
            return versions

    async def delete_version(self, subject: str, raw_version: str, *, permanent: bool) -> int:
        number = parse_version(raw_version)
        async with self._lock:
            await self.store.sync()
            every = self.store.state.versions(subject, deleted=True)
            if not every:
                raise SubjectNotFound(subject)
            if number is None:
                pool = every if permanent else [e for e in every if not e.deleted]
                if not pool:
                    raise VersionNotFound(subject, "latest")
                number = pool[-1].version
            entry = next((e for e in every if e.version == number), None)
            if entry is None:
                raise VersionNotFound(subject, number)
            if not permanent and entry.deleted:
                raise VersionSoftDeleted(subject, number)
            if permanent and not entry.deleted:
                raise VersionNotSoftDeleted(subject, number)
            users = self.store.state.referenced_by(subject, number)
            if users:
                raise ReferenceExists(subject, number, users)
            if permanent:
                await self.store.write(SchemaKey(subject, number), None)
            else:
                stored = self.store.state.schemas[entry.id]
                value = SchemaValue(
                    subject,
                    number,
                    entry.id,
                    stored.text,
                    True,
                    stored.schema_type,
                    stored.references,
                )
                await self.store.write(SchemaKey(subject, number), value)
            log.info("deleted subject=%s version=%d permanent=%s", subject, number, permanent)
            return number
