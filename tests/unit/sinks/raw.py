"""A consumed record as the sink sees it (aiokafka's ConsumerRecord shape)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Raw:
    topic: str
    partition: int
    offset: int
    value: bytes | None = b"v" * 10
    key: bytes | None = b"k"
    timestamp: int = 1_700_000_000_000


def raws(topic: str, partition: int, start: int, n: int, size: int = 10) -> list[Raw]:
    return [Raw(topic, partition, o, b"v" * size) for o in range(start, start + n)]
