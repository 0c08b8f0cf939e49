from __future__ import annotations

import base64
from pathlib import Path

import pytest

from tastystream.stack.kafka import KafkaConfig, cluster_id, min_heap, server_properties


def test_cluster_ids_never_look_like_flags(monkeypatch: pytest.MonkeyPatch) -> None:
    import uuid as uuid_module

    # the first candidate encodes to a leading "-" (0xfb...), the second does not
    draws = iter([uuid_module.UUID(bytes=b"\xfb" + b"\x00" * 15), uuid_module.UUID(int=1)])
    with monkeypatch.context() as patch:
        patch.setattr("tastystream.stack.kafka.uuid.uuid4", lambda: next(draws))
        value = cluster_id()
    assert not value.startswith("-")
    assert len(base64.urlsafe_b64decode(value + "==")) == 16
    for _ in range(2000):
        assert not cluster_id().startswith("-")


def test_server_properties_single_node_kraft(tmp_path: Path) -> None:
    props = server_properties(
        KafkaConfig(data_dir=tmp_path, cache_dir=tmp_path, port=19092, controller_port=19093)
    )
    lines = dict(line.split("=", 1) for line in props.splitlines() if line)
    assert lines["process.roles"] == "broker,controller"
    assert lines["controller.quorum.voters"] == "1@127.0.0.1:19093"
    assert lines["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19092"
    assert lines["transaction.state.log.replication.factor"] == "1"
    assert lines["log.dirs"] == str((tmp_path / "data").resolve())
    assert min_heap("512m") == "256m"
    assert min_heap("2g") == "1g"
