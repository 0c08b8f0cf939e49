"""`schemas` is the contract: it imports only the standard library, its own modules,
`tastystream` plumbing and its codec/HTTP libraries, never a pipeline stage."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import schemas

ALLOWED_THIRD_PARTY = {"fastavro", "httpx"}
#: creating the contract's topics needs the Kafka admin client, there and nowhere else
ALLOWED_BY_MODULE = {"topic_admin.py": {"aiokafka"}}
OURS_ALLOWED = {"schemas", "tastystream"}
STAGES = {"adapters", "ingest", "processors", "sinks", "sandbox"}


def _imported_roots(path: Path) -> set[str]:
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_schemas_imports_no_pipeline_stage() -> None:
    package = Path(schemas.__file__).parent
    modules = sorted(package.glob("*.py"))
    assert len(modules) >= 8
    for module in modules:
        roots = _imported_roots(module)
        assert not roots & STAGES, f"{module.name} imports {roots & STAGES}"
        allowed = ALLOWED_THIRD_PARTY | ALLOWED_BY_MODULE.get(module.name, set())
        unexpected = roots - OURS_ALLOWED - allowed - set(sys.stdlib_module_names)
        assert not unexpected, f"{module.name} imports {unexpected}"


def test_the_check_sees_imports() -> None:
    codec = Path(schemas.__file__).parent / "codec.py"
    assert {"fastavro", "schemas", "struct"} <= _imported_roots(codec)
