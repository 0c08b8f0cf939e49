"""Every topic we create takes its replication from the settings (issue 9 part 3: publisher,
sink and dead-letter topics were all created with replication factor 1 in code)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas import MARKET_TOPICS
from schemas.topic_admin import Replication, topics_for
from schemas.topics import DLQ_RETENTION_MS
from tastystream.settings import KafkaSettings


def test_market_and_dead_letter_topics_take_the_replication_settings() -> None:
    specs = {f"it.{s.name}": s for s in MARKET_TOPICS.values()}
    topics = {t.name: t for t in topics_for(specs, Replication(3, 2))}
    assert len(topics) == 2 * len(MARKET_TOPICS)
    for name, spec in specs.items():
        source, dead = topics[name], topics[f"{name}.dlq"]
        assert (source.num_partitions, source.replication_factor) == (spec.partitions, 3)
        assert source.topic_configs["min.insync.replicas"] == "2"
        assert source.topic_configs["retention.ms"] == str(spec.retention_ms)
        assert (dead.num_partitions, dead.replication_factor) == (1, 3)
        assert dead.topic_configs["min.insync.replicas"] == "2"
        assert dead.topic_configs["retention.ms"] == str(DLQ_RETENTION_MS)


def test_the_local_default_is_one_replica() -> None:
    kafka = KafkaSettings(_env_file=None)
    assert (kafka.replication_factor, kafka.min_insync_replicas) == (1, 1)


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_REPLICATION_FACTOR", "3")
    monkeypatch.setenv("KAFKA_MIN_INSYNC_REPLICAS", "2")
    kafka = KafkaSettings(_env_file=None)
    assert (kafka.replication_factor, kafka.min_insync_replicas) == (3, 2)


def test_more_insync_replicas_than_replicas_is_refused() -> None:
    with pytest.raises(ValidationError, match="KAFKA_MIN_INSYNC_REPLICAS"):
        KafkaSettings(replication_factor=1, min_insync_replicas=2, _env_file=None)
    with pytest.raises(ValueError, match="exceeds"):
        Replication(1, 2)
