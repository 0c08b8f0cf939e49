"""The architecture's import direction, checked over the source (no imports executed).

schemas and adapters import nothing of ours except ``tastystream`` plumbing; ingest,
processors and sinks are leaves nobody imports; adapters never import Kafka, faust or
ClickHouse; the sandbox never imports the pipeline.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
OURS = {"tastystream", "adapters", "sandbox", "schemas", "ingest", "processors", "sinks"}
PLUMBING = {"tastystream", "tastystream.settings", "tastystream.logs"}
PIPELINE_LIBS = {
    "aiokafka",
    "kafka",
    "faust",
    "mode",
    "clickhouse_connect",
    "chdb",
    "confluent_kafka",
}

RULES: dict[str, set[str]] = {
    # package: top-level packages of ours it may import
    "adapters": {"adapters"},
    "schemas": {"schemas"},
    "sandbox": {"sandbox", "adapters"},
    "ingest": {"ingest", "adapters", "schemas", "tastystream"},
    "processors": {"processors", "adapters", "schemas", "tastystream"},
    "sinks": {"sinks", "schemas", "tastystream"},
}
LEAVES = {"ingest", "processors", "sinks"}


def _imports(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    found: list[tuple[str, int]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, node.lineno))
    return found


def _sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


def _violations(package: str) -> list[str]:
    allowed = RULES[package]
    bad: list[str] = []
    for path in _sources(package):
        for module, line in _imports(path):
            top = module.split(".")[0]
            where = f"{path.relative_to(ROOT)}:{line} imports {module}"
            if top in OURS and top not in allowed:
                if top == "tastystream" and (module in PLUMBING or module == "tastystream"):
                    continue
                bad.append(where)
            if package == "adapters" and top in PIPELINE_LIBS:
                bad.append(where)
    return bad


@pytest.mark.parametrize("package", sorted(RULES))
def test_package_imports_only_what_the_architecture_allows(package: str) -> None:
    assert _violations(package) == []


def test_leaves_are_imported_by_nobody_but_the_entry_point() -> None:
    bad: list[str] = []
    for package in OURS - LEAVES:
        for path in _sources(package):
            if package == "tastystream":
                continue  # the CLI wires the leaves together
            for module, line in _imports(path):
                if module.split(".")[0] in LEAVES:
                    bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    for leaf in LEAVES:
        for path in _sources(leaf):
            for module, line in _imports(path):
                other = module.split(".")[0]
                if other in LEAVES and other != leaf:
                    bad.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert bad == []


def test_the_checker_catches_a_violation(tmp_path: Path) -> None:
    sample = tmp_path / "bad.py"
    sample.write_text("import aiokafka\nfrom sinks.writer import x\nfrom . import y\n")
    assert [m for m, _ in _imports(sample)] == ["aiokafka", "sinks.writer"]
