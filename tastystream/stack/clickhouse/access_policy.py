"""What the ordinary user of the local ClickHouse may not do, checked before the engine runs SQL.

chdb is ClickHouse in its *local* mode: it has no users, grants or settings profiles to take away,
``file()`` reads and writes any path (``user_files_path`` is not enforced in local mode) and every
table function that reaches the network or the file system is enabled. So the server enforces,
on the SQL text (comments, strings and quoted identifiers handled by :mod:`statement`'s lexer):

* statements refused outright: ``SYSTEM``, ``KILL`` (the front answers ``KILL QUERY WHERE
  query_id = '…'`` itself, see :mod:`query_kill`), ``BACKUP``/``RESTORE``, access management
  (users, roles, grants, quotas, profiles, named collections) and ``ATTACH … FROM 'path'``;
* table functions, table engines, database engines and dictionary sources that reach outside the
  server (``url``, ``remote``, ``s3``, ``mysql``, ``executable``, ``python``, ``Filesystem`` …):
  everything the engine's own catalog lists except a known-local allow list, so names a newer
  engine adds are refused until reviewed; ``--allow NAME`` re-enables one;
* ``file()`` (table function, scalar function, ``File`` engine): arguments must be literals, and
  paths must stay in the files folder — relative, without ``..``, or absolute inside it (the server
  process works in that folder, so relative paths resolve there);
* settings that read or write paths or re-enable expression evaluation inside data: ``Values``
  expressions can call ``file()`` from inside a string literal (``format(Values, …, '(file(…))')``),
  so the server turns them off and nobody may turn them back on.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from tastystream.stack.clickhouse.errors import ACCESS_DENIED, ClickHouseError
from tastystream.stack.clickhouse.statement import Token, tokens

__all__ = ["LOCKED_SETTINGS", "AccessPolicy", "Catalog"]

_REFUSED_FIRST: Final = frozenset({"SYSTEM", "KILL", "BACKUP", "RESTORE", "GRANT", "REVOKE"})
_ACCESS_OBJECTS: Final = frozenset(
    {"USER", "ROLE", "QUOTA", "POLICY", "ROW", "PROFILE", "SETTINGS", "NAMED", "MASKING"}
)
_DDL: Final = frozenset({"CREATE", "ALTER", "DROP", "ATTACH", "DETACH"})

# Known to stay inside the engine: everything else in the engine's catalog is refused.
SAFE_TABLE_FUNCTIONS: Final = frozenset(
    {
        "sqlstandardvalues",
        "dictionary",
        "format",
        "fuzzjson",
        "fuzzquery",
        "generaterandom",
        "generateseries",
        "generate_series",
        "input",
        "loop",
        "merge",
        "mergetreeanalyzeindexes",
        "mergetreeanalyzeindexesuuid",
        "mergetreecodecblockcounts",
        "mergetreeindex",
        "mergetreeprojection",
        "mergetreetextindex",
        "null",
        "numbers",
        "numbers_mt",
        "primes",
        "values",
        "view",
        "viewexplain",
        "viewifpermitted",
        "zeros",
        "zeros_mt",
        "file",  # confined, see _check_file
    }
)
SAFE_TABLE_ENGINES: Final = frozenset(
    {
        "aggregatingmergetree",
        "alias",
        "buffer",
        "coalescingmergetree",
        "collapsingmergetree",
        "dictionary",
        "fuzzjson",
        "fuzzquery",
        "generaterandom",
        "graphitemergetree",
        "join",
        "log",
        "loop",
        "materializedview",
        "memory",
        "merge",
        "mergetree",
        "null",
        "replacingmergetree",
        "set",
        "stripelog",
        "summingmergetree",
        "timeseries",
        "tinylog",
        "versionedcollapsingmergetree",
        "view",
        "file",  # confined, see _check_file
    }
)
SAFE_DATABASE_ENGINES: Final = frozenset({"atomic", "ordinary", "memory", "dictionary"})
# not in any catalog table: dictionary sources and MergeTree's ad-hoc disks
EXTRA_REFUSED: Final = frozenset(
    {"http", "https", "executable_pool", "cassandra", "yamlregexptree", "regexptree", "disk"}
)

VALUES_EXPRESSIONS: Final = (
    "input_format_values_interpret_expressions",
    "input_format_values_deduce_templates_of_expressions",
)
LOCKED_SETTINGS: Final = frozenset(
    {
        *VALUES_EXPRESSIONS,
        "format_schema",
        "format_schema_source",
        "format_template_resultset",
        "format_template_row",
        "output_format_schema",
        "log_comment",  # the server tags each query with it to find and cancel it
    }
)

_WORD: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_NUMERIC_RANGE: Final = re.compile(r"\{-?\d+\.\.-?\d+\}")
_BRACES: Final = re.compile(r"\{[^}]*\}")


@dataclass(frozen=True, slots=True)
class Catalog:
    """The engine's own lists (``system.table_functions`` …), names as the engine spells them."""

    table_functions: frozenset[str]
    table_engines: frozenset[str]
    database_engines: frozenset[str]


def _deny(message: str) -> ClickHouseError:
    return ClickHouseError(ACCESS_DENIED, f"default: Not enough privileges. {message}")


class AccessPolicy:
    """Checks one statement's SQL; raises ACCESS_DENIED (HTTP 403) with the reason."""

    def __init__(self, catalog: Catalog, files_dir: Path, allow: Iterable[str] = ()) -> None:
        allowed = {name.strip().lower() for name in allow if name.strip()}
        refused = (
            {n.lower() for n in catalog.table_functions} - SAFE_TABLE_FUNCTIONS
            | {n.lower() for n in catalog.table_engines} - SAFE_TABLE_ENGINES
            | {n.lower() for n in catalog.database_engines} - SAFE_DATABASE_ENGINES
            | EXTRA_REFUSED
        )
        self.refused: frozenset[str] = frozenset(refused - allowed)
        self.files_dir = files_dir
        self._watched = self.refused | LOCKED_SETTINGS | {"file", "clickhouse"}

    def check_settings(self, names: Iterable[str]) -> None:
        for name in names:
            if name.lower() in LOCKED_SETTINGS:
                raise _deny(f"The setting {name} cannot be changed on this server")

    def check(self, sql: str, *, data: bool = False) -> None:
        """Refuse ``sql`` if it does what the policy forbids. ``data``: ``sql`` is the inline
        data of an INSERT … VALUES (only its calls are checked)."""
        if not data:
            head = list(itertools.islice(tokens(sql), 6))
            self._check_statement(head, sql)
        if not self._mentions_watched(sql):
            return  # none of the names below, not even escaped: no need to lex it all
        toks = list(tokens(sql))
        for i, tok in enumerate(toks):
            if tok.kind not in ("word", "quoted"):
                continue
            name = _name(tok)
            if name in LOCKED_SETTINGS:
                raise _deny(f"The setting {name} cannot be changed on this server")
            following = toks[i + 1] if i + 1 < len(toks) else None
            call = following is not None and following.kind == "punct" and following.text == "("
            engine = i >= 1 and _after_engine(toks, i)
            if not (call or engine):
                continue
            if name in self.refused:
                raise _deny(
                    f"{tok.text} reaches outside this server (network or files), so it is "
                    f"disabled; allow it with STACK_CLICKHOUSE_ALLOW={name}"
                )
            if call and name == "file":
                self._check_file(toks, i, engine)
            if call and name == "clickhouse" and _has_word(toks, i + 1, {"host", "port"}):
                raise _deny("A CLICKHOUSE dictionary source with a host or port is disabled")

    def _mentions_watched(self, sql: str) -> bool:
        """Any watched name as a word — or a backslash, since a quoted name may spell one with
        escapes (`u\\x72l`)."""
        if "\\" in sql:
            return True
        watched = self._watched
        return any(m.group().lower() in watched for m in _WORD.finditer(sql))

    def _check_statement(self, head: list[Token], sql: str) -> None:
        words = [t.text.upper() for t in head if t.kind == "word"]
        first = words[0] if words else ""
        if first in _REFUSED_FIRST:
            raise _deny(f"{first} statements are not allowed on this server")
        rest = words[3:] if words[1:3] == ["OR", "REPLACE"] else words[1:]
        if first in _DDL and rest and rest[0] in _ACCESS_OBJECTS:
            raise _deny("Access management statements are not allowed on this server")
        if first == "ATTACH":
            for a, b in itertools.pairwise(tokens(sql)):
                if a.depth == 0 and a.text.upper() == "FROM" and b.kind == "string":
                    raise _deny("ATTACH … FROM a path is not allowed on this server")

    def _check_file(self, toks: list[Token], i: int, engine: bool) -> None:
        """``file(path, …)`` / ``File(Format, path, …)``: the path a string literal, every other
        argument a single literal or name, every string a path inside the files folder."""
        open_paren = toks[i + 1]
        args: list[list[Token]] = [[]]
        for tok in toks[i + 2 :]:
            if tok.depth < open_paren.depth:
                break
            if tok.kind == "punct" and tok.text == "," and tok.depth == open_paren.depth:
                args.append([])
            else:
                args[-1].append(tok)
        path_at = 1 if engine else 0
        for position, arg in enumerate(args):
            if not arg and args == [[]]:
                return  # File() / file(): the engine's own folder, or a syntax error
            kinds = ("string",) if position == path_at else ("string", "number", "word")
            if len(arg) != 1 or arg[0].kind not in kinds:
                raise _deny("The path and arguments of file() must be plain literals")
            if arg[0].kind == "string":
                self._check_path(arg[0].text)

    def _check_path(self, literal: str) -> None:
        value = literal[1:-1].replace("''", "'")
        if "\\" in value:
            raise _deny("Escape sequences are not allowed in file() arguments")
        plain = _NUMERIC_RANGE.sub("", value)
        if ".." in plain or any(("/" in g or "." in g) for g in _BRACES.findall(plain)):
            raise _deny(f"file() paths must stay in the files folder {self.files_dir}: {value}")
        if value.startswith("/"):
            inside = os.path.normpath(value)
            root = os.path.normpath(self.files_dir)
            if not inside.startswith(root + os.sep):
                raise _deny(f"file() paths must stay in the files folder {self.files_dir}: {value}")


_ESCAPES: Final = {
    "b": "\b",
    "f": "\f",
    "n": "\n",
    "r": "\r",
    "t": "\t",
    "0": "\0",
    "a": "\a",
    "v": "\v",
}
_ESCAPE: Final = re.compile(r"\\(x[0-9A-Fa-f]{2}|.)", re.DOTALL)


def _unescape(text: str) -> str:
    """A quoted name as ClickHouse reads it: ``\\xHH``, C escapes, ``\\c`` → ``c``,
    doubled quotes."""

    def one(match: re.Match[str]) -> str:
        seq = match.group(1)
        if seq[0] == "x" and len(seq) == 3:
            return chr(int(seq[1:], 16))
        return _ESCAPES.get(seq, seq)

    quote = text[0]
    return _ESCAPE.sub(one, text[1:-1].replace(quote * 2, quote))


def _name(tok: Token) -> str:
    if tok.kind == "quoted":
        return _unescape(tok.text).lower()
    return tok.text.lower()


def _after_engine(toks: list[Token], i: int) -> bool:
    """``ENGINE = name`` / ``ENGINE name``: the token at ``i`` names an engine."""
    prev = toks[i - 1]
    if prev.kind == "punct" and prev.text == "=" and i >= 2:
        prev = toks[i - 2]
    return prev.kind == "word" and prev.text.upper() == "ENGINE"


def _has_word(toks: list[Token], open_index: int, words: set[str]) -> bool:
    depth = toks[open_index].depth
    for tok in toks[open_index + 1 :]:
        if tok.depth < depth:
            return False
        if tok.kind == "word" and tok.text.lower() in words:
            return True
    return False
