"""Logging, configured only at the entry point.

Human-readable lines locally, one JSON object per line when ``LOG_FORMAT=json``. A
:class:`RedactionFilter` on every handler removes bearer tokens, OAuth secrets, refresh
tokens, quote tokens, ``Authorization``/``auth-token`` values and any registered secret
value from every record, whatever path it took into the message or its arguments.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Final

REDACTED: Final = "[REDACTED]"
TRACE: Final = 5
logging.addLevelName(TRACE, "TRACE")

_KEY_NAMES = (
    r"authorization|auth[-_]token|access[-_]token|refresh[-_]token|client[-_]secret|"
    r"id[-_]token|session[-_]token|remember[-_]token|password|secret|token|api[-_]key"
)
_PATTERNS: Final[tuple[re.Pattern[str], ...]] = (
    # "Bearer xyz" anywhere, also as the value of auth-token
    re.compile(r"(?i)(bearer\s+)(?!\[REDACTED\])[^\s\"',;&}]+"),
    # JSON / dict style: "key": "value"  or 'key': 'value'
    re.compile(
        rf"""(?i)(["']?(?:{_KEY_NAMES})["']?\s*[:=]\s*["'])(?!\[REDACTED\])[^"'\s]*(["']?)"""
    ),
    # header / query style: key: value, key=value (until whitespace, &, comma, quote)
    re.compile(rf"""(?i)\b((?:{_KEY_NAMES})\s*[:=]\s*)(?!\[REDACTED\])(?!["'])[^\s&,;"'}}]+"""),
)
_MIN_SECRET_LEN: Final = 4


class RedactionFilter(logging.Filter):
    """Rewrites each record so no secret survives into any handler's output."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self._secrets: set[str] = set()
        for secret in secrets:
            self.add_secret(secret)

    def add_secret(self, secret: str) -> None:
        """Redact this exact value wherever it appears (ignored when too short to be one)."""
        if secret and len(secret) >= _MIN_SECRET_LEN:
            self._secrets.add(secret)

    def redact(self, text: str) -> str:
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        for pattern in _PATTERNS:
            text = pattern.sub(_substitute, text)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not lose the record
            message = f"{record.msg!r} % {record.args!r}"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, self.redact(value))
        return True


def _substitute(match: re.Match[str]) -> str:
    groups = match.groups()
    prefix = groups[0] if groups else ""
    suffix = groups[1] if len(groups) > 1 and groups[1] else ""
    return f"{prefix}{REDACTED}{suffix}"


_STANDARD_ATTRS: Final = frozenset(
    logging.LogRecord("", 0, "", 0, "", None, None).__dict__.keys()
    | {"message", "asctime", "color_message", "taskName"}
)


class JsonFormatter(logging.Formatter):
    """One JSON object per line with the record's context fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="microseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS:
                payload[key] = value
        if record.exc_text:
            payload["exc"] = record.exc_text
        return json.dumps(payload, default=str)


class TextFormatter(logging.Formatter):
    """``time level logger: message [k=v …]`` for people."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-5s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        extras = [
            f"{k}={v}"
            for k, v in record.__dict__.items()
            if k not in _STANDARD_ATTRS and not k.startswith("_")
        ]
        return f"{line} [{' '.join(extras)}]" if extras else line


def configure_logging(
    level: str = "INFO",
    fmt: str = "text",
    secrets: Iterable[str] = (),
    stream: Any = None,
) -> RedactionFilter:
    """Install one handler on the root logger; returns its redaction filter."""
    handler = logging.StreamHandler(stream if stream is not None else sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    redaction = RedactionFilter(secrets)
    handler.addFilter(redaction)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper() if level.upper() != "TRACE" else TRACE)
    for noisy in ("aiokafka", "kafka", "httpx", "httpcore", "websockets", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    # its connection warnings repeat what the CLI's one error line says (shown with DEBUG)
    chatty = logging.ERROR if root.level > logging.DEBUG else root.level
    # (urllib3.connectionpool: clickhouse_connect resets "urllib3" itself when imported)
    for repeating in ("clickhouse_connect", "urllib3.connectionpool"):
        logging.getLogger(repeating).setLevel(chatty)
    return redaction


__all__ = [
    "REDACTED",
    "TRACE",
    "JsonFormatter",
    "RedactionFilter",
    "TextFormatter",
    "configure_logging",
]
