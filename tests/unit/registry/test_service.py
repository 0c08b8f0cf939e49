"""Registry semantics the REST tests do not reach: write races on a shared log."""

from __future__ import annotations

import json

import pytest

from tastystream.stack.registry import MemoryLog, SchemaRegistry, SchemaRequest
from tastystream.stack.registry.errors import StoreError
from tastystream.stack.registry.records import Key, SchemaKey, SchemaValue, Value

MINE = json.dumps({"type": "record", "name": "R", "fields": [{"name": "a", "type": "int"}]})
THEIRS = json.dumps({"type": "record", "name": "R", "fields": [{"name": "b", "type": "int"}]})


class RacingLog(MemoryLog):
    """Another registry appends a record right before each of ours, ``races`` times."""

    def __init__(self, races: int) -> None:
        super().__init__()
        self.races = races

    async def write(self, key: Key, value: Value | None) -> None:
        if self.races and isinstance(key, SchemaKey) and isinstance(value, SchemaValue):
            self.races -= 1
            rival = SchemaValue(key.subject, key.version, value.id, THEIRS)
            await super().write(key, rival)
            await super().write(key, value)
            await super().write(key, rival)
            return
        await super().write(key, value)


async def test_a_lost_race_is_retried_on_a_fresh_view() -> None:
    log = RacingLog(races=1)
    registry = SchemaRegistry(log)
    await registry.set_config(None, "NONE")

    schema_id = await registry.register("s", SchemaRequest(MINE, "AVRO"))

    entry = log.state.versions("s")[-1]
    assert entry.id == schema_id
    assert log.state.schemas[schema_id].text == MINE.replace(" ", "")
    assert [e.version for e in log.state.versions("s")] == [1, 2]


async def test_endless_races_end_in_a_typed_error() -> None:
    registry = SchemaRegistry(RacingLog(races=100))
    await registry.set_config(None, "NONE")
    with pytest.raises(StoreError) as info:
        await registry.register("s", SchemaRequest(MINE))
    assert info.value.retriable
    assert info.value.error_code == 50001
