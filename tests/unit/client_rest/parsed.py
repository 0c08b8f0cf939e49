"""``assert_parsed``: a parsed model holds exactly what the wire payload said, typed.

Written against the standard library (``Decimal``, ``date.fromisoformat`` …), not against the
models' own validators, so a model that drops, mistypes or misreads a field fails it.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from enum import Enum
from typing import Any

from pydantic import SecretStr

from adapters.tastytrade.models.base import TastytradeModel, unknowns

__all__ = ["TEXT_FIELDS", "assert_parsed"]

#: served strings that look like numbers or dates but are text on purpose
TEXT_FIELDS = frozenset({"time"})
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")


def assert_parsed(value: Any, served: Any, where: str = "result") -> None:
    """Assert that ``value`` (a model, a list of them or a scalar) holds ``served``."""
    if isinstance(served, dict):
        assert isinstance(value, TastytradeModel), f"{where}: {type(value).__name__} not a model"
        assert unknowns(value) == [], f"{where}: {[str(w) for w in unknowns(value)]}"
        fields = {(info.alias or name): name for name, info in type(value).model_fields.items()}
        for key, item in served.items():
            assert key in fields, f"{where}: {key!r} is not a declared field"
            assert_parsed(getattr(value, fields[key]), item, f"{where}.{fields[key]}")
    elif isinstance(served, list):
        assert isinstance(value, list | tuple), f"{where}: {type(value).__name__} not a sequence"
        assert len(value) == len(served), f"{where}: {len(value)} items, served {len(served)}"
        for i, (one, raw) in enumerate(zip(value, served, strict=True)):
            assert_parsed(one, raw, f"{where}[{i}]")
    else:
        assert _scalar_matches(value, served, where), f"{where}: {value!r} from {served!r}"


def _scalar_matches(value: Any, served: Any, where: str) -> bool:
    if isinstance(value, SecretStr):
        return bool(value.get_secret_value() == served)
    if isinstance(value, Enum):
        return bool(value.value == served)
    if isinstance(value, bool) or isinstance(served, bool):
        return type(value) is type(served) and value == served
    if isinstance(value, Decimal):
        return value == Decimal(str(served))
    if isinstance(value, datetime):
        if isinstance(served, int):
            return value == datetime.fromtimestamp(served / 1000, UTC)
        return value == datetime.fromisoformat(served)
    if isinstance(value, date):
        return value == date.fromisoformat(served[:10])
    if isinstance(value, str) and isinstance(served, str):
        assert where.rsplit(".", 1)[-1] in TEXT_FIELDS or not _typed_text(served), (
            f"{where}: {served!r} kept as text, not parsed"
        )
        return value == served
    return type(value) is type(served) and value == served


def _typed_text(text: str) -> bool:
    """Whether ``text`` is a number or a date the model should have parsed."""
    if _DATE.match(text):
        return True
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return True
