"""The one import-rule checker: the layering of docs/architecture.md, read from the source
with ``ast`` (nothing is imported or executed).

    tastystream (CLI) → workers (ingest, processors, sinks) → schemas, adapters → runtime

- a unit imports only itself and the units below it (``ALLOWED``); siblings on one layer
  (ingest / processors / sinks; schemas / adapters) never import each other;
- ``sandbox`` and ``stack`` are services of their own: only the CLI, tests and benchmarks may
  import them, and they themselves use nothing but the runtime;
- adapters (and what they stand on: schemas' layer and the runtime) never import Kafka,
  faust or ClickHouse libraries — but ``schemas.topic_admin``, which creates the contract's
  topics with Kafka's admin client (``BROKER_EXCEPTIONS``);
- until ``runtime/`` and ``stack/`` move out, the runtime is also ``tastystream`` (its root
  module), ``tastystream.settings`` and ``tastystream.logs``, and the stack is
  ``tastystream.stack``; every other ``tastystream.*`` module is the CLI, on top.

Relative imports are resolved against the importing module, so ``from ..sinks import x`` is
seen as ``sinks``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "ALLOWED",
    "BROKER_EXCEPTIONS",
    "BROKER_LIBRARIES",
    "SCANNED",
    "Violation",
    "imported_modules",
    "unit_of",
    "violations",
]

#: top-level folders whose modules are checked
SCANNED = (
    "runtime",
    "adapters",
    "schemas",
    "ingest",
    "processors",
    "sinks",
    "sandbox",
    "stack",
    "tastystream",
    "bench",
)
_RUNTIME_IN_CLI_PACKAGE = {"tastystream", "tastystream.settings", "tastystream.logs"}
_EVERYTHING = {
    "cli",
    "bench",
    "ingest",
    "processors",
    "sinks",
    "schemas",
    "adapters",
    "runtime",
    "sandbox",
    "stack",
}

#: unit → the units of ours it may import (itself included)
ALLOWED: dict[str, frozenset[str]] = {
    "cli": frozenset(_EVERYTHING),
    "bench": frozenset(_EVERYTHING),
    "ingest": frozenset({"ingest", "schemas", "adapters", "runtime"}),
    "processors": frozenset({"processors", "schemas", "adapters", "runtime"}),
    "sinks": frozenset({"sinks", "schemas", "adapters", "runtime"}),
    "schemas": frozenset({"schemas", "runtime"}),
    "adapters": frozenset({"adapters", "runtime"}),
    "runtime": frozenset({"runtime"}),
    "sandbox": frozenset({"sandbox", "runtime"}),
    "stack": frozenset({"stack", "runtime"}),
}
#: Kafka, faust and ClickHouse client libraries (top-level import names)
BROKER_LIBRARIES = frozenset(
    {"aiokafka", "kafka", "confluent_kafka", "faust", "mode", "clickhouse_connect", "chdb"}
)
#: units that must not import ``BROKER_LIBRARIES``: adapters and everything adapters import
_BROKER_FREE = frozenset({"adapters", "schemas", "runtime"})
#: the one exception: creating the contract's topics needs Kafka's admin client, in that module
BROKER_EXCEPTIONS = {"schemas.topic_admin": frozenset({"aiokafka"})}


@dataclass(frozen=True)
class Violation:
    path: str  # relative to the scanned root
    line: int
    importer: str  # unit
    imported: str  # dotted module name
    rule: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line} ({self.importer}) imports {self.imported}: {self.rule}"


def unit_of(module: str) -> str | None:
    """The architectural unit a dotted module name belongs to (None: not ours)."""
    top = module.split(".")[0]
    if top == "tastystream":
        if module in _RUNTIME_IN_CLI_PACKAGE or module.startswith(
            tuple(f"{m}." for m in _RUNTIME_IN_CLI_PACKAGE - {"tastystream"})
        ):
            return "runtime"
        if module == "tastystream.stack" or module.startswith("tastystream.stack."):
            return "stack"
        return "cli"
    if top == "tests":
        return "tests"
    return top if top in _EVERYTHING and top != "cli" else None


def _module_name(path: Path, root: Path) -> tuple[str, bool]:
    """Dotted name of ``path`` and whether it is a package ``__init__``."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    is_package = parts[-1] == "__init__"
    if is_package:
        parts.pop()
    return ".".join(parts), is_package


def imported_modules(path: Path, root: Path) -> Iterator[tuple[str, int]]:
    """Every module ``path`` imports, absolute, with its line (function-level imports too)."""
    name, is_package = _module_name(path, root)
    package = name.split(".") if is_package else name.split(".")[:-1]
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            anchor = package[: len(package) - node.level + 1] if node.level else []
            base = ".".join([*anchor, *([node.module] if node.module else [])])
            for alias in node.names:
                # ``from pkg import name``: ``name`` may be a submodule with rules of its own
                sub = f"{base}.{alias.name}" if base else alias.name
                yield (sub if _is_module(sub, root) else base), node.lineno


def _is_module(dotted: str, root: Path) -> bool:
    path = root.joinpath(*dotted.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _check(importer: str, imported: str, module: str = "") -> str | None:
    library = imported.split(".")[0]
    if (
        importer in _BROKER_FREE
        and library in BROKER_LIBRARIES
        and library not in BROKER_EXCEPTIONS.get(module, frozenset())
    ):
        return "adapters and the layers below them never import Kafka, faust or ClickHouse"
    target = unit_of(imported)
    if target is None or target in ALLOWED[importer]:
        return None
    if target == "tests":
        return "production code never imports tests"
    if target in {"sandbox", "stack"}:
        return f"{target} is a service: only the CLI, tests and benchmarks start it"
    if target == "cli" or target == "bench":
        return f"nothing imports the {target}: it is the top"
    return f"{importer} may import only {sorted(ALLOWED[importer])}"


def violations(root: Path, scanned: tuple[str, ...] = SCANNED) -> list[Violation]:
    """Every import under ``root``'s ``scanned`` folders that breaks the layering."""
    found: list[Violation] = []
    for folder in scanned:
        for path in sorted((root / folder).rglob("*.py")):
            name, _ = _module_name(path, root)
            importer = unit_of(name)
            if importer is None or importer == "tests":
                continue
            for imported, line in imported_modules(path, root):
                rule = _check(importer, imported, name)
                if rule is not None:
                    rel = path.relative_to(root).as_posix()
                    found.append(Violation(rel, line, importer, imported, rule))
    return found
