"""Async client for a Confluent-compatible schema registry, with caches both ways.

Speaks the REST subset we need over one long-lived ``httpx.AsyncClient`` (the
``python-schema-registry-client`` package opens a new HTTP client per request and has no
transport seam, so it is not used): register, lookup, schema by id, latest version,
compatibility config and checks. ``(subject, schema) → id`` and ``id → schema`` are cached, so a
warm producer or consumer never calls the registry again.

:func:`register_all` runs at start-up: it sets ``BACKWARD_TRANSITIVE`` on every subject, then
registers every schema and returns the ids.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any, Final, Literal
from urllib.parse import quote

import httpx

from schemas.catalog import schema_text
from schemas.codec import AvroCodec
from schemas.errors import (
    CodecError,
    IncompatibleSchema,
    InvalidSchema,
    RegistryError,
    RegistryUnavailable,
    SchemaNotFound,
)
from schemas.topics import DLQ_SCHEMA_FILE, MARKET_TOPICS, TopicSpec

__all__ = ["COMPATIBILITY", "SchemaRegistry", "register_all", "subjects_of"]

logger = logging.getLogger(__name__)

COMPATIBILITY: Final = "BACKWARD_TRANSITIVE"
_CONTENT_TYPE: Final = "application/vnd.schemaregistry.v1+json"
State = Literal["created", "running", "stopped"]


def _canonical(schema: str | Mapping[str, Any]) -> str:
    obj = json.loads(schema) if isinstance(schema, str) else schema
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


class SchemaRegistry:
    """One registry endpoint. Use as ``async with SchemaRegistry(url) as registry: …``."""

    def __init__(
        self,
        url: str,
        *,
        timeout: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self._timeout = timeout
        self._transport = transport
        self._http: httpx.AsyncClient | None = None
        self._ids: dict[tuple[str, str], int] = {}
        self._schemas: dict[int, str] = {}
        self.state: State = "created"

    async def __aenter__(self) -> SchemaRegistry:
        self._http = httpx.AsyncClient(
            base_url=self.url,
            timeout=self._timeout,
            transport=self._transport,
            headers={"Accept": _CONTENT_TYPE, "Content-Type": _CONTENT_TYPE},
        )
        self.state = "running"
        logger.info("schema registry client running url=%s", self.url)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.state = "stopped"
        if self._http is not None:
            await self._http.aclose()
            self._http = None
        logger.info("schema registry client stopped url=%s", self.url)

    async def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        if self._http is None:
            raise RegistryError("registry client is not running (use `async with`)")
        try:
            response = await self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise RegistryUnavailable(f"{method} {path}: {type(exc).__name__}: {exc}") from exc
        if response.status_code < 300:
            return response.json()
        try:
            payload = response.json()
        except ValueError:
            payload = {}
        code = int(payload.get("error_code", 0)) if isinstance(payload, dict) else 0
        message = payload.get("message", "") if isinstance(payload, dict) else ""
        detail = f"{method} {path}: {response.status_code} ({code}) {message or response.text}"
        status = response.status_code
        if status == 409:
            raise IncompatibleSchema(detail, status=status, error_code=code)
        if status == 422:
            raise InvalidSchema(detail, status=status, error_code=code)
        if status == 404:
            raise SchemaNotFound(detail, status=status, error_code=code)
        if status >= 500 or status in (408, 429):
            raise RegistryUnavailable(detail, status=status, error_code=code)
        raise RegistryError(detail, status=status, error_code=code)

    @staticmethod
    def _subject_path(subject: str) -> str:
        return quote(subject, safe="")

    async def register(self, subject: str, schema: str | Mapping[str, Any]) -> int:
        """Register ``schema`` under ``subject`` (idempotent) and return its global id."""
        text = _canonical(schema)
        cached = self._ids.get((subject, text))
        if cached is not None:
            return cached
        result = await self._call(
            "POST", f"/subjects/{self._subject_path(subject)}/versions", {"schema": text}
        )
        schema_id = int(result["id"])
        self._ids[(subject, text)] = schema_id
        self._schemas.setdefault(schema_id, text)
        logger.debug("registered subject=%s id=%d", subject, schema_id)
        return schema_id

    async def lookup(self, subject: str, schema: str | Mapping[str, Any]) -> int | None:
        """The id of ``schema`` if it is registered under ``subject``, else None."""
        text = _canonical(schema)
        cached = self._ids.get((subject, text))
        if cached is not None:
            return cached
        try:
            result = await self._call(
                "POST", f"/subjects/{self._subject_path(subject)}", {"schema": text}
            )
        except SchemaNotFound:
            return None
        schema_id = int(result["id"])
        self._ids[(subject, text)] = schema_id
        self._schemas.setdefault(schema_id, text)
        return schema_id

    async def schema_by_id(self, schema_id: int) -> str:
        """The schema text registered under ``schema_id``; :class:`SchemaNotFound` if none."""
        cached = self._schemas.get(schema_id)
        if cached is not None:
            return cached
        text, _kind = await self._fetch(schema_id)
        return text

    async def _fetch(self, schema_id: int) -> tuple[str, str]:
        """``(text, schemaType)`` of ``schema_id``; only Avro texts are cached."""
        result = await self._call("GET", f"/schemas/ids/{int(schema_id)}")
        if not isinstance(result, Mapping) or not isinstance(result.get("schema"), str):
            raise RegistryError(f"GET /schemas/ids/{int(schema_id)}: no schema in {result!r}")
        text, kind = str(result["schema"]), str(result.get("schemaType") or "AVRO")
        if kind.upper() == "AVRO":
            self._schemas[schema_id] = text
        return text, kind

    async def latest(self, subject: str) -> tuple[int, int, str]:
        """``(id, version, schema)`` of the latest version of ``subject``."""
        result = await self._call("GET", f"/subjects/{self._subject_path(subject)}/versions/latest")
        schema_id, text = int(result["id"]), str(result["schema"])
        self._schemas.setdefault(schema_id, text)
        return schema_id, int(result["version"]), text

    async def set_compatibility(self, subject: str, level: str = COMPATIBILITY) -> None:
        await self._call("PUT", f"/config/{self._subject_path(subject)}", {"compatibility": level})

    async def compatibility(self, subject: str) -> str:
        """The subject's level, falling back to the global one."""
        result = await self._call(
            "GET", f"/config/{self._subject_path(subject)}?defaultToGlobal=true"
        )
        return str(result.get("compatibilityLevel") or result.get("compatibility"))

    async def is_compatible(
        self, subject: str, schema: str | Mapping[str, Any], *, version: str | None = None
    ) -> bool:
        """Would ``schema`` be accepted under ``subject``? True if the subject has no versions.

        Without ``version`` the check follows the subject's level (``BACKWARD_TRANSITIVE``: every
        registered version); with ``version`` (e.g. ``"latest"``) only that one is checked.
        """
        path = f"/compatibility/subjects/{self._subject_path(subject)}/versions"
        if version is not None:
            path += f"/{quote(version, safe='')}"
        try:
            result = await self._call("POST", path, {"schema": _canonical(schema)})
        except SchemaNotFound:
            return True
        return bool(result.get("is_compatible"))

    async def prime(self, codec: AvroCodec, values: Iterable[bytes | None]) -> set[int]:
        """Teach ``codec`` every schema id ``values`` name; returns the ids it cannot use.

        An id the registry lacks, a schema that is not Avro (``schemaType`` PROTOBUF, JSON) or
        one the codec cannot parse (unresolved references, …) is rejected in ``codec``: values
        naming it then fail to decode with ``UnknownSchemaId``/``UnusableSchema`` (dead letters
        for a sink). Only transport failures raise (:class:`RegistryUnavailable`, retriable).
        """
        unusable: set[int] = set()
        for schema_id in sorted(codec.unknown_ids(values)):
            try:
                cached = self._schemas.get(schema_id)
                text, kind = (
                    (cached, "AVRO") if cached is not None else await self._fetch(schema_id)
                )
            except SchemaNotFound:
                unusable.add(schema_id)  # maybe registered later: asked again next time
                continue
            except RegistryError as exc:
                if exc.retriable:
                    raise
                codec.reject(schema_id, f"registry: {exc.message}")
                unusable.add(schema_id)
                continue
            if kind.upper() != "AVRO":
                codec.reject(schema_id, f"schemaType {kind} is not AVRO")
                unusable.add(schema_id)
                continue
            try:
                codec.add(schema_id, text)
            except CodecError as exc:
                logger.warning("%s", exc)
                unusable.add(schema_id)
        return unusable


def subjects_of(
    specs: Iterable[TopicSpec] = MARKET_TOPICS.values(), *, include_dlq: bool = True
) -> dict[str, str]:
    """Subject → schema text for the value schemas of ``specs`` (and their dead-letter topics)."""
    subjects: dict[str, str] = {}
    for spec in specs:
        subjects[spec.value_subject] = spec.schema_text()
        if include_dlq:
            subjects[spec.dlq_subject] = schema_text(DLQ_SCHEMA_FILE)
    return subjects


async def register_all(
    registry: SchemaRegistry,
    specs: Iterable[TopicSpec] = MARKET_TOPICS.values(),
    *,
    include_dlq: bool = True,
    compatibility: str = COMPATIBILITY,
    attempts: int = 5,
    backoff_s: float = 0.5,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> dict[str, int]:
    """Set ``compatibility`` on each subject and register its schema; subject → id.

    Retriable failures (registry starting up, 5xx) are retried ``attempts`` times with
    exponential backoff; a rejected schema (:class:`IncompatibleSchema`) fails at once.
    """
    ids: dict[str, int] = {}
    for subject, text in subjects_of(specs, include_dlq=include_dlq).items():
        for attempt in range(1, attempts + 1):
            try:
                await registry.set_compatibility(subject, compatibility)
                ids[subject] = await registry.register(subject, text)
                break
            except RegistryError as exc:
                if not exc.retriable or attempt == attempts:
                    raise
                delay = backoff_s * 2 ** (attempt - 1)
                logger.warning(
                    "registry not ready subject=%s attempt=%d retry_in=%.2fs: %s",
                    subject,
                    attempt,
                    delay,
                    exc,
                )
                await sleep(delay)
    logger.info("registered %d subjects with %s", len(ids), compatibility)
    return ids
