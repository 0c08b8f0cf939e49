"""The Confluent Schema Registry REST API over :class:`SchemaRegistry` (a Starlette app).

Bodies are JSON whatever the declared content type (``application/vnd.schemaregistry.v1+json``,
``application/json``, ``application/octet-stream``); answers are
``application/vnd.schemaregistry.v1+json``; errors are ``{"error_code": N, "message": "..."}``.

Guards: the browser guard of the local stack (foreign ``Origin`` / ``Host`` refused with 403,
CORS only for configured origins), request bodies of at most ``max_body`` bytes (413), subject
names of at most 255 characters without control characters (42208), and unknown, negative or
non-numeric schema ids answered 40403.
"""

from __future__ import annotations

import json
import logging
import unicodedata
from typing import Any, Final

from starlette.applications import Starlette
from starlette.convertors import PathConvertor, register_url_convertor
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tastystream.stack.browser_guard import BrowserGuard, BrowserGuardMiddleware
from tastystream.stack.registry.errors import (
    BadRequest,
    InvalidSchema,
    InvalidSubject,
    RegistryError,
    RequestTooLarge,
    SchemaNotFound,
)
from tastystream.stack.registry.records import SchemaReference
from tastystream.stack.registry.service import SCHEMA_TYPES, SchemaRegistry, SchemaRequest
from tastystream.stack.registry.state import StoredSchema, VersionEntry

__all__ = ["CONTENT_TYPE", "MAX_BODY_BYTES", "MAX_SUBJECT_LENGTH", "create_app"]

log = logging.getLogger(__name__)

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
MAX_BODY_BYTES: Final = 2 << 20  # a schema of MAX_RECORD_BYTES, JSON-escaped, fits
MAX_SUBJECT_LENGTH: Final = 255  # a Kafka topic name (249) + "-value"


class JsonResponse(Response):
    media_type = CONTENT_TYPE

    def render(self, content: Any) -> bytes:
        return json.dumps(content, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "false").strip().lower() == "true"


class _SubjectConvertor(PathConvertor):
    """``path`` matching any character, so a subject with a newline reaches :func:`_subject`
    (and is refused with 42208) instead of missing every route."""

    regex = r"[\s\S]*"


register_url_convertor("subject", _SubjectConvertor())


def _subject(request: Request) -> str:
    """The ``{subject}`` path parameter, validated."""
    name: str = request.path_params["subject"]
    if not name or len(name) > MAX_SUBJECT_LENGTH:
        raise InvalidSubject(
            f"Invalid subject: it must have 1 to {MAX_SUBJECT_LENGTH} characters, has {len(name)}"
        )
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise InvalidSubject(f"Invalid subject {name!r}: control characters are not allowed")
    return name


def _schema_id(request: Request) -> int:
    raw: str = request.path_params["id"]
    if not raw.isdigit() or len(raw) > 10:
        raise SchemaNotFound(f"Schema {raw} not found")
    return int(raw)


async def _read_limited(request: Request) -> bytes:
    limit: int = request.app.state.max_body
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise RequestTooLarge(f"Request body too large: {declared} bytes, the limit is {limit}")
    parts: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise RequestTooLarge(f"Request body too large: more than {limit} bytes")
        parts.append(chunk)
    return b"".join(parts)


async def _body(request: Request) -> dict[str, Any]:
    raw = await _read_limited(request)
    try:
        body = json.loads(raw) if raw.strip() else {}
    except (ValueError, RecursionError) as exc:
        raise BadRequest(f"Malformed JSON body: {exc}") from exc
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object")
    return body


async def _schema_request(request: Request) -> SchemaRequest:
    body = await _body(request)
    schema = body.get("schema")
    if schema is not None and not isinstance(schema, str):
        raise InvalidSchema("The 'schema' field must be the schema as a JSON string")
    if not schema or not schema.strip():
        raise InvalidSchema("Empty schema")
    kind = body.get("schemaType") or "AVRO"
    if not isinstance(kind, str):
        raise InvalidSchema(f"Invalid schemaType {kind!r}")
    refs: list[SchemaReference] = []
    for ref in body.get("references") or ():
        try:
            refs.append(SchemaReference(str(ref["name"]), str(ref["subject"]), int(ref["version"])))
        except (KeyError, TypeError, ValueError) as exc:
            raise InvalidSchema(f"Invalid schema reference {ref!r}") from exc
    return SchemaRequest(schema, kind, tuple(refs))


def _schema_type(stored: StoredSchema, out: dict[str, Any]) -> dict[str, Any]:
    if stored.schema_type != "AVRO":
        out["schemaType"] = stored.schema_type
    if stored.references:
        out["references"] = [
            {"name": r.name, "subject": r.subject, "version": r.version} for r in stored.references
        ]
    return out


def _version_body(registry: SchemaRegistry, entry: VersionEntry) -> dict[str, Any]:
    stored = registry.schema(entry.id)
    out: dict[str, Any] = {"subject": entry.subject, "version": entry.version, "id": entry.id}
    _schema_type(stored, out)
    out["schema"] = stored.text
    return out


def create_app(
    registry: SchemaRegistry,
    *,
    guard: BrowserGuard | None = None,
    max_body: int = MAX_BODY_BYTES,
) -> Starlette:
    """The ASGI app; the caller owns the registry's store lifecycle. ``guard``: the bound
    address and allowed origins (default 127.0.0.1:8081, none)."""

    async def root(request: Request) -> Response:
        return JsonResponse({})

    async def schema_types(request: Request) -> Response:
        return JsonResponse(list(SCHEMA_TYPES))

    async def all_schemas(request: Request) -> Response:
        prefix = request.query_params.get("subjectPrefix", "")
        deleted, latest_only = _flag(request, "deleted"), _flag(request, "latestOnly")
        out = []
        for name in registry.subjects(deleted=deleted, prefix=prefix):
            entries = registry.versions(name, deleted=deleted)
            out += [_version_body(registry, e) for e in (entries[-1:] if latest_only else entries)]
        return JsonResponse(out)

    async def schema_by_id(request: Request) -> Response:
        stored = registry.schema(_schema_id(request))
        return JsonResponse(_schema_type(stored, {"schema": stored.text}))

    async def raw_schema_by_id(request: Request) -> Response:
        return Response(registry.schema(_schema_id(request)).text, media_type=CONTENT_TYPE)

    async def id_versions(request: Request) -> Response:
        entries = registry.schema_versions(_schema_id(request), deleted=_flag(request, "deleted"))
        return JsonResponse([{"subject": e.subject, "version": e.version} for e in entries])

    async def id_subjects(request: Request) -> Response:
        deleted = _flag(request, "deleted")
        return JsonResponse(registry.schema_subjects(_schema_id(request), deleted=deleted))

    async def subjects(request: Request) -> Response:
        prefix = request.query_params.get("subjectPrefix", "")
        names = registry.subjects(
            deleted=_flag(request, "deleted"),
            deleted_only=_flag(request, "deletedOnly"),
            prefix=prefix,
        )
        return JsonResponse(names)

    async def subject(request: Request) -> Response:
        name = _subject(request)
        if request.method == "DELETE":
            return JsonResponse(
                await registry.delete_subject(name, permanent=_flag(request, "permanent"))
            )
        schema = await _schema_request(request)
        entry = registry.lookup(name, schema, deleted=_flag(request, "deleted"))
        return JsonResponse(_version_body(registry, entry))

    async def versions(request: Request) -> Response:
        name = _subject(request)
        if request.method == "POST":
            schema_id = await registry.register(name, await _schema_request(request))
            return JsonResponse({"id": schema_id})
        entries = registry.versions(
            name, deleted=_flag(request, "deleted"), deleted_only=_flag(request, "deletedOnly")
        )
        return JsonResponse([e.version for e in entries])

    async def version(request: Request) -> Response:
        name, raw = _subject(request), request.path_params["version"]
        if request.method == "DELETE":
            permanent = _flag(request, "permanent")
            return JsonResponse(await registry.delete_version(name, raw, permanent=permanent))
        entry = registry.version(name, raw, deleted=_flag(request, "deleted"))
        return JsonResponse(_version_body(registry, entry))

    async def version_schema(request: Request) -> Response:
        name, raw = _subject(request), request.path_params["version"]
        entry = registry.version(name, raw, deleted=_flag(request, "deleted"))
        return Response(registry.schema(entry.id).text, media_type=CONTENT_TYPE)

    async def referenced_by(request: Request) -> Response:
        name, raw = _subject(request), request.path_params["version"]
        return JsonResponse(registry.referenced_by(name, raw))

    async def compatibility(request: Request) -> Response:
        name = _subject(request)
        raw = request.path_params.get("version")
        problems = registry.test_compatibility(name, await _schema_request(request), raw)
        out: dict[str, Any] = {"is_compatible": not problems}
        if _flag(request, "verbose"):
            out["messages"] = problems
        return JsonResponse(out)

    async def config(request: Request) -> Response:
        name = _subject(request) if "subject" in request.path_params else None
        if request.method == "PUT":
            body = await _body(request)
            level = await registry.set_config(name, body.get("compatibility"))
            return JsonResponse({"compatibility": level})
        if request.method == "DELETE":
            return JsonResponse({"compatibilityLevel": await registry.delete_config(name)})
        level = registry.config(name, default_to_global=_flag(request, "defaultToGlobal"))
        return JsonResponse({"compatibilityLevel": level})

    async def mode(request: Request) -> Response:
        return JsonResponse({"mode": "READWRITE"})

    async def registry_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RegistryError)
        if exc.status >= 500:
            log.error("%s %s failed: %s", request.method, request.url.path, exc.message)
        return JsonResponse(exc.body(), status_code=exc.status)

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        body = {"error_code": exc.status_code, "message": f"HTTP {exc.status_code} {exc.detail}"}
        return JsonResponse(body, status_code=exc.status_code)

    async def server_error(request: Request, exc: Exception) -> Response:
        log.exception("%s %s failed", request.method, request.url.path)
        body = {"error_code": 50001, "message": f"Internal error: {type(exc).__name__}"}
        return JsonResponse(body, status_code=500)

    # subjects may contain "/" (sent as %2F): a path convertor, most specific routes first
    subject_path = "/subjects/{subject:subject}"
    version_path = subject_path + "/versions/{version}"
    routes = [
        Route("/", root, methods=["GET"]),
        Route("/schemas", all_schemas, methods=["GET"]),
        Route("/schemas/types", schema_types, methods=["GET"]),
        Route("/schemas/ids/{id}", schema_by_id, methods=["GET"]),
        Route("/schemas/ids/{id}/schema", raw_schema_by_id, methods=["GET"]),
        Route("/schemas/ids/{id}/versions", id_versions, methods=["GET"]),
        Route("/schemas/ids/{id}/subjects", id_subjects, methods=["GET"]),
        Route("/subjects", subjects, methods=["GET"]),
        Route(version_path + "/schema", version_schema, methods=["GET"]),
        Route(version_path + "/referencedby", referenced_by, methods=["GET"]),
        Route(version_path, version, methods=["GET", "DELETE"]),
        Route(subject_path + "/versions", versions, methods=["GET", "POST"]),
        Route(subject_path, subject, methods=["POST", "DELETE"]),
        Route("/compatibility" + version_path, compatibility, methods=["POST"]),
        Route("/compatibility" + subject_path + "/versions", compatibility, methods=["POST"]),
        Route("/config", config, methods=["GET", "PUT", "DELETE"]),
        Route("/config/{subject:subject}", config, methods=["GET", "PUT", "DELETE"]),
        Route("/mode", mode, methods=["GET"]),
        Route("/mode/{subject:subject}", mode, methods=["GET"]),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                BrowserGuardMiddleware,
                guard=guard or BrowserGuard.create("127.0.0.1", 8081),
                refuse=_refusal,
            )
        ],
        exception_handlers={
            RegistryError: registry_error,
            HTTPException: http_error,
            Exception: server_error,
        },
    )
    app.state.max_body = max_body
    return app


def _refusal(reason: str) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    log.warning("refused a request: %s", reason)
    body = json.dumps({"error_code": 40301, "message": reason}).encode()
    return 403, [(b"content-type", CONTENT_TYPE.encode())], body
