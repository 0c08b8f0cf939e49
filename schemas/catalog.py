"""The ``.avsc`` files shipped in this package: loading, validation and the registry text.

Schemas are read once and cached. Market schemas (namespace ``tastystream.md``) must start
with the envelope (:func:`schemas.envelope.check_envelope`), account schemas (``tastystream.acct``)
with the account envelope (:func:`schemas.account_envelope.check_account_envelope`), command
schemas (``tastystream.cmd``) with the command envelope
(:func:`schemas.command_envelope.check_command_envelope`); every schema must parse with
fastavro and document every field. Callers get fresh copies, so mutating one cannot poison
the cache.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any, Final

import fastavro

from schemas.account_envelope import ACCOUNT_NAMESPACE, check_account_envelope
from schemas.command_envelope import COMMAND_NAMESPACE, check_command_envelope
from schemas.envelope import check_envelope
from schemas.errors import SchemaContractError

__all__ = ["SCHEMA_DIR", "load_schema", "schema_files", "schema_text"]

SCHEMA_DIR: Final = Path(__file__).resolve().parent
MARKET_NAMESPACE: Final = "tastystream.md"


def schema_files() -> tuple[str, ...]:
    """Names of every ``.avsc`` file in the package, sorted."""
    return tuple(sorted(p.name for p in SCHEMA_DIR.glob("*.avsc")))


def _undocumented(schema: Any, path: str) -> list[str]:
    missing: list[str] = []
    if isinstance(schema, dict) and schema.get("type") == "record":
        for f in schema.get("fields", []):
            here = f"{path}.{f.get('name')}"
            if not f.get("doc"):
                missing.append(here)
            missing.extend(_undocumented(f.get("type"), here))
    elif isinstance(schema, list):
        for branch in schema:
            missing.extend(_undocumented(branch, path))
    return missing


@functools.cache
def _load(file_name: str) -> dict[str, Any]:
    path = SCHEMA_DIR / file_name
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SchemaContractError(f"{file_name}: cannot read schema: {exc}") from exc
    if not isinstance(schema, dict) or schema.get("type") != "record":
        raise SchemaContractError(f"{file_name}: top level must be a record")
    try:
        fastavro.parse_schema(copy.deepcopy(schema))
    except Exception as exc:  # fastavro raises several unrelated types for bad schemas
        raise SchemaContractError(f"{file_name}: invalid Avro: {exc}") from exc
    if schema.get("namespace") == MARKET_NAMESPACE:
        check_envelope(schema, origin=file_name)
    elif schema.get("namespace") == ACCOUNT_NAMESPACE:
        check_account_envelope(schema, origin=file_name)
    elif schema.get("namespace") == COMMAND_NAMESPACE:
        check_command_envelope(schema, origin=file_name)
    missing = _undocumented(schema, schema["name"])
    if missing:
        raise SchemaContractError(f"{file_name}: fields without doc: {', '.join(missing)}")
    return schema


def load_schema(file_name: str) -> dict[str, Any]:
    """The schema in ``file_name`` (e.g. ``quote.avsc``) as a fresh JSON object."""
    return copy.deepcopy(_load(file_name))


@functools.cache
def schema_text(file_name: str) -> str:
    """Compact JSON text of the schema, as sent to the registry (stable across calls)."""
    return json.dumps(_load(file_name), separators=(",", ":"), ensure_ascii=False)
