"""The one wire-model base for Tastytrade REST and account-streamer JSON.

Every model maps snake_case attribute names to the API's kebab-case keys, is frozen, and keeps
unknown keys (``extra="allow"``) so nothing the API sends is lost. Enum-valued fields accept
values we do not know yet (kept as plain ``str``); both unknown keys and unknown enum values are
reported as :class:`ParseWarning` through :func:`parse_model`, never as failures.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from types import UnionType
from typing import Annotated, Any, ClassVar, TypeVar, Union, get_args, get_origin

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    ValidationError,
)

from adapters.tastytrade.errors import ErrorStream, ParseFailure, ParseWarning

logger = logging.getLogger(__name__)

M = TypeVar("M", bound="TastytradeModel")


def kebab(name: str) -> str:
    """``cash_balance`` → ``cash-balance`` (the API's key style)."""
    return name.replace("_", "-")


class LenientEnum:
    """Marker placed in ``Annotated`` metadata of fields that may carry unknown enum values."""

    __slots__ = ("enum",)

    def __init__(self, enum: type[Enum]) -> None:
        self.enum = enum

    def __repr__(self) -> str:
        return f"LenientEnum({self.enum.__name__})"


def _lenient_enum_validator(enum: type[Enum]) -> Any:
    def coerce(value: Any) -> Any:
        if isinstance(value, enum) or not isinstance(value, str):
            return value
        try:
            return enum(value)
        except ValueError:
            return value

    return coerce


def enum_coercer(enum: type[Enum]) -> BeforeValidator:
    """Validator for ``Enum | str`` fields: known values become members, others stay ``str``."""
    return BeforeValidator(_lenient_enum_validator(enum))


def _epoch_or_datetime(value: Any) -> Any:
    """Epoch milliseconds (int or digit string) → aware UTC datetime; ``0`` → ``None``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, int | float):
        if value == 0:
            return None
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    return value


def _epoch_ms(value: datetime) -> int:
    return round(value.timestamp() * 1000)


def _aware(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def _blank_to_none(value: Any) -> Any:
    return None if isinstance(value, str) and not value.strip() else value


def _date_prefix(value: Any) -> Any:
    """``"2026-12-18 14:30:00"`` → ``"2026-12-18"`` (future-option maturity dates)."""
    if isinstance(value, str) and len(value) > 10 and value[10] in " T":
        return value[:10]
    return value


# --- wire scalar types -----------------------------------------------------------------------
Dec = Decimal
"""Finite decimal (JSON string or number); money and quantities."""
NanDec = Annotated[
    Annotated[Decimal, Field(allow_inf_nan=True)] | None, BeforeValidator(_blank_to_none)
]
"""Decimal that the API may send as ``"NaN"`` or blank (marks, market data, metrics);
blank becomes ``None`` (use with ``| None``)."""
Timestamp = Annotated[datetime, BeforeValidator(_aware)]
"""ISO-8601 date-time with offset (``Z`` or ``+00:00``); naive values are taken as UTC."""
EpochTimestamp = Annotated[
    datetime | None,
    BeforeValidator(_epoch_or_datetime),
    PlainSerializer(_epoch_ms, return_type=int, when_used="json-unless-none"),
]
"""Epoch milliseconds or ISO-8601 in; ``0`` (dry-run placeholder) becomes ``None``; JSON out
is epoch milliseconds again, as the API sends it."""
DatePrefix = Annotated[date, BeforeValidator(_date_prefix)]


def _has_lenient(annotation: Any) -> bool:
    """Whether a (possibly ``Optional``) annotation carries the :class:`LenientEnum` marker."""
    if get_origin(annotation) is Annotated:
        if any(isinstance(m, LenientEnum) for m in annotation.__metadata__):
            return True
        return _has_lenient(get_args(annotation)[0])
    if get_origin(annotation) in (Union, UnionType):
        return any(_has_lenient(arg) for arg in get_args(annotation))
    return False


class TastytradeModel(BaseModel):
    """Base of every REST / account-streamer model."""

    model_config = ConfigDict(
        alias_generator=kebab,
        populate_by_name=True,
        frozen=True,
        extra="allow",
        ser_json_inf_nan="strings",
        coerce_numbers_to_str=True,
    )

    _lenient_fields: ClassVar[frozenset[str]] = frozenset()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._lenient_fields = frozenset(
            name
            for name, info in cls.model_fields.items()
            if any(isinstance(m, LenientEnum) for m in info.metadata)
            or _has_lenient(info.annotation)
        )

    def to_wire(self) -> dict[str, Any]:
        """The kebab-case JSON body (decimals as strings), unknown keys included."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class PaginationInfo(TastytradeModel):
    """The top-level ``pagination`` object of paginated listings."""

    per_page: int | None = None
    page_offset: int | None = None
    item_offset: int | None = None
    total_items: int | None = None
    total_pages: int | None = None
    current_item_count: int | None = None
    previous_link: str | None = None
    next_link: str | None = None
    paging_link_template: str | None = None


def unknowns(model: TastytradeModel) -> list[ParseWarning]:
    """Unknown keys and unknown enum values anywhere in ``model`` (depth-first)."""
    found: list[ParseWarning] = []
    _collect(model, found)
    return found


def _collect(model: TastytradeModel, found: list[ParseWarning]) -> None:
    name = type(model).__name__
    for key in model.model_extra or {}:
        found.append(
            ParseWarning(f"{name}: unknown field {key!r}", model=name, field_name=key, value=None)
        )
    for field_name in type(model)._lenient_fields:
        value = getattr(model, field_name)
        if isinstance(value, str) and not isinstance(value, Enum):
            found.append(
                ParseWarning(
                    f"{name}.{field_name}: unknown value {value[:40]!r}",
                    model=name,
                    field_name=field_name,
                    value=value[:40],
                )
            )
    for field_name in type(model).model_fields:
        _collect_value(getattr(model, field_name), found)


def _collect_value(value: Any, found: list[ParseWarning]) -> None:
    if isinstance(value, TastytradeModel):
        _collect(value, found)
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, TastytradeModel):
                _collect(item, found)
            elif isinstance(item, list | tuple | dict):
                _collect_value(item, found)
    elif isinstance(value, dict):
        for item in value.values():
            if isinstance(item, TastytradeModel):
                _collect(item, found)


def _failure(cls: type[TastytradeModel], exc: ValidationError | TypeError) -> ParseFailure:
    if isinstance(exc, ValidationError):
        parts = []
        for err in exc.errors(include_url=False, include_input=False)[:3]:
            loc = ".".join(str(p) for p in err["loc"]) or "<root>"
            parts.append(f"{loc}: {err['msg']}")
        more = exc.error_count() - len(parts)
        reason = "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")
    else:
        reason = str(exc)
    # Never the payload itself: it may carry account numbers or tokens.
    return ParseFailure(f"cannot parse {cls.__name__}: {reason}", model=cls.__name__)


def parse_model(cls: type[M], raw: Any, errors: ErrorStream | None = None) -> M:
    """Validate ``raw`` (decoded JSON) into ``cls``; report unknowns on ``errors``.

    Raises :class:`ParseFailure` (model name and a short reason, no payload) when the data
    cannot be turned into the model at all.
    """
    if not isinstance(raw, Mapping):
        raise ParseFailure(
            f"cannot parse {cls.__name__}: expected an object, got {type(raw).__name__}",
            model=cls.__name__,
        )
    try:
        model = cls.model_validate(raw)
    except ValidationError as exc:
        raise _failure(cls, exc) from None
    warnings = unknowns(model)
    if warnings:
        if errors is not None:
            for warning in warnings:
                errors.publish(warning)
        else:
            logger.debug("%s parsed with %d unknown field(s)/value(s)", cls.__name__, len(warnings))
    return model


def parse_models(cls: type[M], raw: Any, errors: ErrorStream | None = None) -> list[M]:
    """Parse a list, or a ``{"items": [...]}`` collection, into models of ``cls``."""
    items: Any = raw.get("items") if isinstance(raw, Mapping) else raw
    if not isinstance(items, Iterable) or isinstance(items, str | bytes | Mapping):
        raise ParseFailure(
            f"cannot parse list of {cls.__name__}: expected items, got {type(raw).__name__}",
            model=cls.__name__,
        )
    return [parse_model(cls, item, errors) for item in items]


__all__ = [
    "DatePrefix",
    "Dec",
    "EpochTimestamp",
    "LenientEnum",
    "NanDec",
    "PaginationInfo",
    "TastytradeModel",
    "Timestamp",
    "enum_coercer",
    "kebab",
    "parse_model",
    "parse_models",
    "unknowns",
]
