"""Just enough of the ClickHouse lexer to route an HTTP query.

The server has to know, before the engine sees the query, two things a real ClickHouse learns from
its parser: where the SQL of an ``INSERT … FORMAT x`` ends and its inline data begins (so the data
can be streamed into the engine instead of buffered), and which output format a ``SELECT … FORMAT
x`` asks for (for ``Content-Type`` and ``X-ClickHouse-Format``). The lexer skips comments, string
literals and quoted identifiers, tracks parenthesis depth, and works on bytes decoded as latin-1 so
every offset is a byte offset into the request body.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Final

__all__ = ["Statement", "Token", "analyze", "tokens"]

_INSERT_STOP: Final = frozenset({"SELECT", "WITH"})


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
    client_side: str | None = None  # "INTO OUTFILE" / "FROM INFILE": clickhouse-client features
    input_call: tuple[int, int, bool] | None = None
    """``INSERT … SELECT … FROM input(…) FORMAT x``: byte offsets of ``input`` and of the end of
    its ``(``, and whether the call has no arguments (the data feeds ``input()``)."""

    @property
    def has_inline_data(self) -> bool:
        return self.insert_format is not None


_LEXEME = re.compile(
    r"""
    (?P<ws>\s++)
    | (?P<line>(?:--|\#)[^\n]*+\n)
    | (?P<block>/\*(?:[^*]++|\*(?!/))*+\*/)
    | (?P<string>'(?:[^'\\]++|\\.|'')*+')
    | (?P<quoted>"(?:[^"\\]++|\\.|"")*+"|`(?:[^`\\]++|\\.|``)*+`)
    | (?P<word>[A-Za-z_][A-Za-z0-9_$]*+)
    | (?P<number>[0-9][0-9A-Za-z._]*+)
    | (?P<open>['"`]|--|\#|/\*)
    | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)
_SKIP: Final = frozenset({"ws", "line", "block"})


def tokens(text: str) -> Iterator[Token]:
    """Lex ``text``; stops quietly at an unterminated literal or comment (a truncated head)."""
    depth = 0
    for match in _LEXEME.finditer(text):
        kind = match.lastgroup or "punct"
        if kind in _SKIP:
            continue
        if kind == "open":
            return
        lexeme = match.group()
        if kind == "punct":
            if lexeme in "([{":
                depth += 1
            elif lexeme in ")]}":
                depth = max(0, depth - 1)
        yield Token(kind, match.start(), match.end(), depth, lexeme)


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
    fmt, outfile = _output_format(text)
    return Statement(kind=kind, output_format=fmt, client_side="INTO OUTFILE" if outfile else None)


def _analyze_insert(text: str, toks: _Peekable) -> Statement | None:
    _skip_target(toks)
    for tok in toks:
        if tok.depth != 0 or tok.kind != "word":
            continue
        word = tok.text.upper()
        if word in _INSERT_STOP:
            return _analyze_insert_select(text, toks)
        if word == "INFILE":
            return Statement(kind="INSERT", client_side="FROM INFILE")
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


def _analyze_insert_select(text: str, toks: _Peekable) -> Statement | None:
    """``INSERT … SELECT … FROM input('structure') FORMAT x``: the data after the format name
    feeds ``input()``, as on a real server. Other INSERT … SELECT carry no inline data."""
    call: tuple[int, int, bool] | None = None
    prev: Token | None = None
    for tok in toks:
        if (
            call is None
            and prev is not None
            and prev.kind == "word"
            and prev.text.lower() == "input"
            and tok.kind == "punct"
            and tok.text == "("
        ):
            ahead = toks.peek()
            empty = ahead is not None and ahead.kind == "punct" and ahead.text == ")"
            call = (prev.start, tok.end, empty)
        if call is not None and tok.depth == 0 and tok.text.upper() == "FORMAT":
            name = next(toks, None)
            if name is None:
                return None
            if name.kind != "word":
                return Statement(kind="INSERT")
            return Statement(
                "INSERT", None, name.text, tok.start, _data_start(text, name.end), input_call=call
            )
        prev = tok
    return None if call is not None else Statement(kind="INSERT")


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


def _output_format(text: str) -> tuple[str | None, bool]:
    """The name in a top-level trailing ``FORMAT name`` (followed by the end, ``;`` or SETTINGS),
    and whether the query has an ``INTO OUTFILE`` clause.

    A tight scan over the raw lexemes (no token objects): queries can be long IN lists.
    """
    outfile = False
    into = False  # the previous lexeme was INTO
    depth = 0
    found: str | None = None
    candidate: str | None = None  # a depth-0 ``FORMAT name`` just seen
    keyword = False  # the previous lexeme was a depth-0 FORMAT
    for match in _LEXEME.finditer(text):
        kind = match.lastgroup
        if kind in _SKIP:
            continue
        if kind == "open":
            break
        lexeme = match.group()
        upper = lexeme.upper() if kind == "word" else ""
        outfile = outfile or (into and upper == "OUTFILE")
        into = upper == "INTO"
        if candidate is not None and (
            lexeme == ";" or (depth == 0 and kind == "word" and lexeme.upper() == "SETTINGS")
        ):
            found = candidate
        candidate = lexeme if keyword and kind == "word" else None
        keyword = depth == 0 and kind == "word" and lexeme.upper() == "FORMAT"
        if kind == "punct":
            if lexeme in "([{":
                depth += 1
            elif lexeme in ")]}":
                depth = max(0, depth - 1)
    return (candidate if candidate is not None else found), outfile
