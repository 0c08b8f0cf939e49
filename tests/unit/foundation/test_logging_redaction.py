"""The redaction filter provably removes secrets from every log line."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from tastystream.logs import REDACTED, configure_logging

SECRET_ALPHABET = st.characters(
    whitelist_categories=("Lu", "Ll", "Nd"), whitelist_characters="-._~"
)


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    configure_logging(
        "DEBUG", "text", secrets=["my-client-secret-123", "rt-0123456789"], stream=stream
    )
    try:
        yield stream
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])


LEAKS = [
    ("Authorization: Bearer eyJhbGciOi.abc.def", "eyJhbGciOi.abc.def"),
    ('{"auth-token": "Bearer tok-42-xyz", "action": "heartbeat"}', "tok-42-xyz"),
    ("{'access_token': 'at-secret-value', 'expires_in': 900}", "at-secret-value"),
    ("grant_type=refresh_token&refresh_token=abcdEFGH1234&client_secret=zzz999", "abcdEFGH1234"),
    ("grant_type=refresh_token&refresh_token=abcdEFGH1234&client_secret=zzz999", "zzz999"),
    ('headers={"authorization": "raw-session-token-1"}', "raw-session-token-1"),
    ("quote token=dxlink-token-777 issued", "dxlink-token-777"),
    ("the configured secret my-client-secret-123 leaked", "my-client-secret-123"),
    ("refresh rt-0123456789 failed", "rt-0123456789"),
]


@pytest.mark.parametrize(("line", "secret"), LEAKS)
def test_secret_never_reaches_output(captured: io.StringIO, line: str, secret: str) -> None:
    logging.getLogger("t").info(line)
    out = captured.getvalue()
    assert secret not in out
    assert REDACTED in out


def test_secrets_in_args_extras_and_exceptions_are_redacted(captured: io.StringIO) -> None:
    log = logging.getLogger("t")
    log.warning("request %s with %s", "/accounts", {"Authorization": "Bearer hidden-token-1"})
    log.info("ctx", extra={"header": "auth-token: Bearer hidden-token-2"})
    try:
        raise RuntimeError("boom access_token=hidden-token-3")
    except RuntimeError:
        log.exception("failed")
    out = captured.getvalue()
    for n in (1, 2, 3):
        assert f"hidden-token-{n}" not in out
    assert "/accounts" in out
    assert "RuntimeError" in out


def test_json_format_is_one_object_per_line_and_redacted() -> None:
    stream = io.StringIO()
    root = logging.getLogger()
    saved = list(root.handlers)
    configure_logging("INFO", "json", stream=stream)
    try:
        logging.getLogger("x.y").info("token=abc123secret", extra={"symbol": "SPY"})
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        for handler in saved:
            root.addHandler(handler)
    record = json.loads(stream.getvalue().strip())
    assert record["logger"] == "x.y"
    assert record["symbol"] == "SPY"
    assert "abc123secret" not in record["msg"]


@settings(max_examples=200, deadline=None)
@given(
    token=st.text(SECRET_ALPHABET, min_size=6, max_size=60),
    key=st.sampled_from(
        [
            "Authorization: Bearer ",
            "auth-token=Bearer ",
            '"access_token": "',
            "refresh_token=",
            "client_secret: ",
        ]
    ),
)
def test_property_any_token_after_a_secret_key_is_removed(token: str, key: str) -> None:
    from tastystream.logs import RedactionFilter

    assume(token not in REDACTED)  # "REDACT" would be found inside the marker itself
    redaction = RedactionFilter()
    record = logging.LogRecord(
        "p", logging.INFO, __file__, 1, f"before {key}{token} after", None, None
    )
    redaction.filter(record)
    assert token not in record.getMessage()
    assert "before" in record.getMessage()
