"""Loading the ``NNNN_<name>.sql`` migration files of this package."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = ["DATABASE_PLACEHOLDER", "DDL_DIR", "Migration", "load_migrations", "valid_identifier"]

DDL_DIR: Final = Path(__file__).resolve().parent
DATABASE_PLACEHOLDER: Final = "${database}"
_FILE = re.compile(r"^(?P<version>\d{4})_(?P<name>[a-z0-9_]+)\.sql$")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")


def valid_identifier(name: str) -> str:
    """``name`` if it is a plain ClickHouse identifier (no quoting needed), else ValueError."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not a plain identifier: {name!r}")
    return name


@dataclass(frozen=True, slots=True)
class Migration:
    """One migration file: ordered by ``version``; ``checksum`` pins its text once applied."""

    version: int
    name: str
    template: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.template.encode()).hexdigest()

    def statements(self, database: str) -> list[str]:
        """The statements of this migration for ``database``, comments kept, in order.

        A statement ends at a code line (not a ``--`` comment) ending with ``;``.
        """
        db = valid_identifier(database)
        statements: list[str] = []
        current: list[str] = []
        for line in self.template.splitlines():
            current.append(line)
            stripped = line.strip()
            if stripped.endswith(";") and not stripped.startswith("--"):
                statements.append("\n".join(current))
                current = []
        if any(ln.strip() and not ln.strip().startswith("--") for ln in current):
            statements.append("\n".join(current))
        out: list[str] = []
        for raw in statements:
            code = [ln for ln in raw.splitlines() if ln.strip() and not ln.strip().startswith("--")]
            if not code:
                continue
            text = raw.strip().removesuffix(";").rstrip()
            out.append(text.replace(DATABASE_PLACEHOLDER, db))
        return out


def load_migrations(directory: Path = DDL_DIR) -> tuple[Migration, ...]:
    """Every migration file in ``directory``, sorted by version (versions must be unique)."""
    migrations: list[Migration] = []
    for path in sorted(directory.glob("*.sql")):
        match = _FILE.match(path.name)
        if match is None:
            raise ValueError(f"migration file name must be NNNN_name.sql: {path.name}")
        migrations.append(
            Migration(int(match["version"]), match["name"], path.read_text(encoding="utf-8"))
        )
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise ValueError(f"duplicate migration versions in {directory}")
    return tuple(migrations)
