from __future__ import annotations

from collections.abc import Iterator

import chdb.session
import pytest

from sinks.migrate import ChdbTarget


@pytest.fixture(scope="package")  # chdb holds one data dir per process: release it after
def chdb_target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ChdbTarget]:
    session = chdb.session.Session(str(tmp_path_factory.mktemp("chdb")))  # type: ignore[no-untyped-call]
    try:
        yield ChdbTarget(session)
    finally:
        session.close()  # type: ignore[no-untyped-call]
