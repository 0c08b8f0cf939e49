"""Just enough of the ClickHouse lexer to route an HTTP query.

The server has to know, before the engine sees the query, two things a real ClickHouse learns from
its parser: where the SQL of an ``INSERT … FORMAT x`` ends and its inline data begins (so the data
can be streamed into the engine instead of buffered), and which output format a ``SELECT … FORMAT
x`` asks for (for ``Content-Type`` and ``X-ClickHouse-Format``). The lexer skips comments, string
literals and quoted identifiers, tracks parenthesis depth, and works on bytes decoded as latin-1 so
every offset is a byte offset into the request body.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

__all__ = ["Statement", "analyze", "tokens"]

_WORD_START: Final = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_WORD_CHARS: Final = _WORD_START | frozenset("0123456789$")
_INSERT_STOP: Final = frozenset({"SELECT", "WITH", "INFILE"})


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "word" | "quoted" | "string" | "number" | "punct"
    start: int
    end: int
    depth: int
    text: str


@dataclass(frozen=True, slots=True)
class Statement:
    """What the router needs to know about one query.

    ``kind`` is the leading keyword (``SELECT``, ``INSERT`` …). For an INSERT carrying inline data,
    ``insert_format`` is its input format, ``sql_end`` the byte offset where the SQL before
    ``FORMAT``/``VALUES`` ends and ``data_start`` the byte offset where the data begins. For other
    statements ``output_format`` is the explicit ``FORMAT`` clause, if any.
    """

    kind: str
    output_format: str | None = None
    insert_format: str | None = None
    sql_end: int = 0
    data_start: int = 0

    @property
    def has_inline_data(self) -> bool:
        return self.insert_format is not None


def tokens(text: str) -> Iterator[Token]:
    """Lex ``text``; stops quietly at an unterminated literal or comment (a truncated head)."""
    i, n, depth = 0, len(text), 0
    while i < n:
        ch = text[i]
        if ch in " \t\r\n\f\v":
            i += 1
        elif (ch == "-" and text.startswith("--", i)) or ch == "#":
            nl = text.find("\n", i)
            if nl < 0:
                return
            i = nl + 1
        elif ch == "/" and text.startswith("/*", i):
            i = _skip_block_comment(text, i)
            if i < 0:
                return
        elif ch in "'\"`":
            end = _skip_quoted(text, i, ch)
            if end < 0:
                return
            yield Token("string" if ch == "'" else "quoted", i, end, depth, text[i:end])
            i = end
        elif ch in _WORD_START:
            j = i + 1
            while j < n and text[j] in _WORD_CHARS:
                j += 1
            yield Token("word", i, j, depth, text[i:j])
            i = j
        elif ch.isdigit():
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] in "._"):
                j += 1
            yield Token("number", i, j, depth, text[i:j])
            i = j
        else:
            if ch in "([{":
                depth += 1
            elif ch in ")]}":
                depth = max(0, depth - 1)
            yield Token("punct", i, i + 1, depth, ch)
            i += 1


def _skip_block_comment(text: str, i: int) -> int:
    level, i = 0, i
    while i < len(text):
        if text.startswith("/*", i):
            level, i = level + 1, i + 2
        elif text.startswith("*/", i):
            level, i = level - 1, i + 2
            if level == 0:
                return i
        else:
            i += 1
    return -1


def _skip_quoted(text: str, i: int, quote: str) -> int:
    j = i + 1
    while j < len(text):
        ch = text[j]
        if ch == "\\":
            j += 2
        elif ch == quote:
            if j + 1 < len(text) and text[j + 1] == quote:
                j += 2
            else:
                return j + 1
        else:
            j += 1
    return -1


class _Peekable(Iterator[Token]):
    def __init__(self, inner: Iterator[Token]) -> None:
        self._inner = inner
        self._ahead: Token | None = None

    def __next__(self) -> Token:
        if self._ahead is not None:
            tok, self._ahead = self._ahead, None
            return tok
        return next(self._inner)

    def peek(self) -> Token | None:
        if self._ahead is None:
            self._ahead = next(self._inner, None)
        return self._ahead


def analyze(head: bytes) -> Statement | None:
    """Analyze the beginning of a query.

    Returns ``None`` when ``head`` is an INSERT whose ``FORMAT``/``VALUES`` is not in it yet (the
    caller reads more, or runs the whole text as is); otherwise the statement.
    """
    text = head.decode("latin-1")
    toks = _Peekable(tokens(text))
    first = next((t for t in toks if not (t.kind == "punct" and t.text == "(")), None)
    if first is None:
        return Statement(kind="")
    kind = first.text.upper() if first.kind == "word" else ""
    if kind == "INSERT":
        return _analyze_insert(text, toks)
    return Statement(kind=kind, output_format=_output_format(toks))


def _analyze_insert(text: str, toks: _Peekable) -> Statement | None:
    _skip_target(toks)
    for tok in toks:
        if tok.depth != 0 or tok.kind != "word":
            continue
        word = tok.text.upper()
        if word in _INSERT_STOP:
            return Statement(kind="INSERT")
        if word == "VALUES":
            return Statement("INSERT", None, "Values", tok.start, _data_start(text, tok.end))
        if word == "FORMAT":
            name = next(toks, None)
            if name is None:
                return None
            if name.kind != "word":
                return Statement(kind="INSERT")
            return Statement("INSERT", None, name.text, tok.start, _data_start(text, name.end))
    return None


def _skip_target(toks: _Peekable) -> None:
    """Consume ``INTO [TABLE] name[.name]`` or ``INTO FUNCTION f(...)``."""
    tok = next(toks, None)
    if tok is not None and tok.text.upper() == "INTO":
        tok = next(toks, None)
    if tok is not None and tok.text.upper() == "TABLE":
        tok = next(toks, None)
    if tok is not None and tok.text.upper() == "FUNCTION":
        next(toks, None)
        for inner in toks:
            if inner.kind == "punct" and inner.text == ")" and inner.depth == 0:
                return
        return
    # tok is the table (or database) name; a following ".name" completes it
    dot = toks.peek()
    if dot is not None and dot.kind == "punct" and dot.text == ".":
        next(toks, None)
        next(toks, None)


def _data_start(text: str, pos: int) -> int:
    """Data starts after the first newline, or after all spaces when there is none."""
    n = len(text)
    while pos < n and text[pos] in " \t\f":
        pos += 1
    if pos < n and text[pos] == "\r":
        pos += 1
    if pos < n and text[pos] == "\n":
        pos += 1
    return pos


def _output_format(toks: Iterator[Token]) -> str | None:
    """The name in a top-level trailing ``FORMAT name`` (followed by the end, ``;`` or SETTINGS)."""
    found: str | None = None
    prev2: Token | None = None
    prev: Token | None = None
    for tok in toks:
        if _is_format_clause(prev2, prev) and _ends_clause(tok):
            assert prev is not None
            found = prev.text
        prev2, prev = prev, tok
    if _is_format_clause(prev2, prev):
        assert prev is not None
        found = prev.text
    return found


def _is_format_clause(keyword: Token | None, name: Token | None) -> bool:
    return (
        keyword is not None
        and name is not None
        and keyword.depth == 0
        and keyword.kind == "word"
        and keyword.text.upper() == "FORMAT"
        and name.kind == "word"
    )


def _ends_clause(tok: Token) -> bool:
    return (tok.kind == "punct" and tok.text == ";") or (
        tok.kind == "word" and tok.depth == 0 and tok.text.upper() == "SETTINGS"
    )
