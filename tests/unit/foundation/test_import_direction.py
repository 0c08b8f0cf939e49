"""The architecture's import direction over the real tree, and proof that the checker
(tests/unit/foundation/import_rules.py, the only one) catches each kind of violation."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.foundation.import_rules import (
    SCANNED,
    Violation,
    imported_modules,
    unit_of,
    violations,
)

ROOT = Path(__file__).resolve().parents[3]

#: known breaks of the layering, each with the issue that removes it; an entry that no longer
#: happens fails the test below so the list cannot go stale
KNOWN: dict[tuple[str, str], str] = {}


def test_the_tree_follows_the_architecture() -> None:
    found = violations(ROOT)
    unexpected = [str(v) for v in found if (v.path, v.imported) not in KNOWN]
    assert unexpected == []
    stale = set(KNOWN) - {(v.path, v.imported) for v in found}
    assert stale == set(), "fixed: remove these from KNOWN"


def test_the_checker_reads_the_whole_tree() -> None:
    scanned = {p.relative_to(ROOT).parts[0] for f in SCANNED for p in (ROOT / f).rglob("*.py")}
    assert {"adapters", "schemas", "ingest", "sinks", "sandbox", "tastystream"} <= scanned
    edges = {
        (unit_of(p.relative_to(ROOT).with_suffix("").as_posix().replace("/", ".")), unit_of(m))
        for f in SCANNED
        for p in (ROOT / f).rglob("*.py")
        for m, _ in imported_modules(p, ROOT)
    }
    # the real edges the rules are about are all seen
    assert {("ingest", "adapters"), ("ingest", "schemas"), ("sinks", "schemas")} <= edges
    assert {("adapters", "runtime"), ("cli", "stack"), ("cli", "sandbox")} <= edges


@pytest.mark.parametrize(
    ("module", "unit"),
    [
        ("tastystream", "runtime"),
        ("tastystream.settings", "runtime"),
        ("tastystream.logs", "runtime"),
        ("tastystream.stack.clickhouse.engine", "stack"),
        ("tastystream.cli", "cli"),
        ("tastystream.sql", "cli"),
        ("runtime.health", "runtime"),
        ("stack.kafka", "stack"),
        ("adapters.tastytrade.rest", "adapters"),
        ("sandbox.server", "sandbox"),
        ("bench.harness", "bench"),
        ("tests.support", "tests"),
        ("httpx", None),
        ("aiokafka", None),
    ],
)
def test_units(module: str, unit: str | None) -> None:
    assert unit_of(module) == unit


def _tree(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(root).parents:
            if parent != Path(".") and not (root / parent / "__init__.py").exists():
                (root / parent / "__init__.py").write_text("")
        path.write_text(text)
    return root


def _found(root: Path) -> set[tuple[str, str]]:
    return {(v.path, v.imported) for v in violations(root)}


def test_a_clean_synthetic_tree_passes(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {
            "tastystream/cli.py": "import sinks.writer\nimport sandbox.server\nimport stack.kafka\n",
            "ingest/quotes.py": "from adapters.tastytrade import x\nfrom schemas.codec import y\n"
            "from tastystream.settings import S\nfrom . import publisher\n",
            "ingest/publisher.py": "import aiokafka\n",
            "sinks/writer.py": "import clickhouse_connect\nfrom runtime.logs import TRACE\n",
            "adapters/tastytrade/http.py": "import httpx\nfrom tastystream import __version__\n",
            "sandbox/server.py": "from sandbox.clock import C\nfrom tastystream.logs import L\n",
            "bench/run.py": "import ingest.quotes\nimport sandbox.server\n",
        },
    )
    assert violations(root) == []


@pytest.mark.parametrize(
    ("rel", "text", "imported"),
    [
        # workers never import each other (absolute, relative, function-level)
        ("ingest/quotes.py", "from sinks.writer import w\n", "sinks.writer"),
        ("ingest/quotes.py", "from ..processors import state\n", "processors.state"),
        ("sinks/writer.py", "def f():\n    import ingest.publisher\n", "ingest.publisher"),
        ("sinks/ddl/__init__.py", "from ...ingest import x\nfrom ..writer import w\n", "ingest"),
        # lower layers never import upward
        ("adapters/tastytrade/http.py", "import ingest\n", "ingest"),
        ("schemas/codec.py", "from tastystream.cli import app\n", "tastystream.cli"),
        ("schemas/codec.py", "from tastystream import cli\n", "tastystream.cli"),
        ("runtime/logs.py", "import schemas.codec\n", "schemas.codec"),
        ("sinks/writer.py", "from tastystream.sql import client_for\n", "tastystream.sql"),
        # siblings on one layer
        ("schemas/codec.py", "import adapters.tastytrade\n", "adapters.tastytrade"),
        ("adapters/tastytrade/http.py", "from schemas import topics\n", "schemas.topics"),
        # adapters and what they stand on never touch Kafka, faust or ClickHouse
        ("adapters/tastytrade/http.py", "import aiokafka.producer\n", "aiokafka.producer"),
        ("adapters/tastytrade/http.py", "from faust import App\n", "faust"),
        ("runtime/settings.py", "import clickhouse_connect\n", "clickhouse_connect"),
        # services are started only by the CLI, tests and benchmarks
        ("ingest/quotes.py", "from sandbox.server import S\n", "sandbox.server"),
        ("sinks/writer.py", "from tastystream.stack import up\n", "tastystream.stack"),
        ("adapters/tastytrade/http.py", "import stack.kafka\n", "stack.kafka"),
        # …and use nothing but the runtime
        ("sandbox/server.py", "from adapters.tastytrade import models\n", "adapters.tastytrade"),
        ("tastystream/stack/kafka.py", "import schemas.topics\n", "schemas.topics"),
        # nobody imports the top or the tests
        ("sinks/writer.py", "from bench.harness import h\n", "bench.harness"),
        ("ingest/quotes.py", "from tests.support import eventually\n", "tests.support"),
    ],
)
def test_each_kind_of_violation_is_caught(
    tmp_path: Path, rel: str, text: str, imported: str
) -> None:
    support = {
        "processors/state.py": "",
        "tastystream/cli.py": "",
        "tastystream/stack/__init__.py": "",
        "stack/kafka.py": "",
        "schemas/topics.py": "",
        "sinks/writer.py": "",
    }
    root = _tree(tmp_path, support | {rel: text})
    found = violations(root)
    assert [(v.path, v.imported) for v in found] == [(rel, imported)]
    assert isinstance(found[0], Violation)
    assert found[0].line == text.count("\n", 0, text.index("import")) + 1
    assert found[0].rule


def test_violations_report_where_and_why(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"ingest/quotes.py": "import os\n\nimport sinks.writer\n"})
    (found,) = violations(root)
    assert str(found) == (
        "ingest/quotes.py:3 (ingest) imports sinks.writer: "
        "ingest may import only ['adapters', 'ingest', 'runtime', 'schemas']"
    )
