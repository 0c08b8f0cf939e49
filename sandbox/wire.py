"""Wire helpers shared by every sandbox route: the real API's envelope, errors and formats.

Success: ``{"data": …, "context": "<path>"}``; collections ``{"data": {"items": […]}, …}``;
paginated collections add a top-level ``pagination`` object. Errors:
``{"error": {"code", "message", "errors"?}}``. Decimals are strings, timestamps ISO-8601 with
milliseconds and ``+00:00`` (orders' ``updated-at`` is epoch ms).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

JSON_TYPE = "application/json"


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return dec(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def dumps(payload: Any) -> bytes:
    return orjson.dumps(payload, default=_default)


def json_response(
    payload: Any, status: int = 200, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(dumps(payload), status_code=status, media_type=JSON_TYPE, headers=headers)


def data_response(request: Request, data: Any, status: int = 200) -> Response:
    """``{"data": data, "context": path}``."""
    return json_response({"data": data, "context": request.url.path}, status)


def items_response(
    request: Request,
    items: Sequence[Any],
    *,
    paginate: bool = False,
    default_per_page: int = 250,
    max_per_page: int = 2000,
) -> Response:
    """A collection; with ``paginate`` slices by ``per-page``/``page-offset`` and adds ``pagination``."""
    if not paginate:
        return json_response({"data": {"items": list(items)}, "context": request.url.path})
    try:
        per_page = int(request.query_params.get("per-page", default_per_page))
        page_offset = int(request.query_params.get("page-offset", 0))
    except ValueError:
        return error_response(400, "invalid_parameter", "per-page and page-offset must be integers")
    per_page = max(1, min(per_page, max_per_page))
    page_offset = max(0, page_offset)
    total = len(items)
    total_pages = max(1, -(-total // per_page))
    start = page_offset * per_page
    page = list(items[start : start + per_page])
    base = str(request.url.remove_query_params(["page-offset", "per-page"]))
    sep = "&" if "?" in base else "?"
    template = f"{base}{sep}per-page={per_page}&page-offset={{page-offset}}"

    def link(offset: int) -> str | None:
        if offset < 0 or offset >= total_pages:
            return None
        return template.replace("{page-offset}", str(offset))

    pagination = {
        "per-page": per_page,
        "page-offset": page_offset,
        "item-offset": start,
        "total-items": total,
        "total-pages": total_pages,
        "current-item-count": len(page),
        "previous-link": link(page_offset - 1),
        "next-link": link(page_offset + 1),
        "paging-link-template": template,
    }
    return json_response(
        {
            "api-version": "v1",
            "context": request.url.path,
            "data": {"items": page},
            "pagination": pagination,
        }
    )


def error_response(
    status: int,
    code: str | int,
    message: str,
    errors: Sequence[Mapping[str, Any]] | None = None,
) -> Response:
    body: dict[str, Any] = {"code": code, "message": message}
    if errors:
        body["errors"] = list(errors)
    return json_response({"error": body}, status)


def dec(value: Decimal | int | float | str) -> str:
    """Decimal as the API writes it: a string, at least one decimal place, no exponent."""
    d = value if isinstance(value, Decimal) else Decimal(str(value))
    if d == d.to_integral_value():
        return f"{d.quantize(Decimal(1)):f}.0"
    return f"{d.normalize():f}"


def iso(ts: datetime) -> str:
    """``2024-07-31T16:50:23.417+00:00``."""
    ts = ts.astimezone(UTC) if ts.tzinfo else ts.replace(tzinfo=UTC)
    return ts.isoformat(timespec="milliseconds")


def iso_ms(epoch_ms: int) -> str:
    return iso(datetime.fromtimestamp(epoch_ms / 1000, UTC))


def epoch_ms(ts: datetime) -> int:
    return int(ts.timestamp() * 1000)


def array_param(request: Request, key: str) -> list[str]:
    """Values of ``key[]=a&key[]=b`` (also tolerates plain ``key=a&key=b`` and ``key=a,b``)."""
    values = request.query_params.getlist(f"{key}[]") or request.query_params.getlist(key)
    out: list[str] = []
    for value in values:
        out.extend(v for v in value.split(",") if v) if key != "symbol" else out.append(value)
    return out


__all__ = [
    "JSON_TYPE",
    "array_param",
    "data_response",
    "dec",
    "dumps",
    "epoch_ms",
    "error_response",
    "iso",
    "iso_ms",
    "items_response",
    "json_response",
]
