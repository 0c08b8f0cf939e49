"""Registry semantics the REST tests do not reach: write races on a shared log."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tastystream.stack.registry import MemoryLog, SchemaRegistry, SchemaRequest
from tastystream.stack.registry.errors import RegistryError, StoreError
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


_SCHEMAS = [
    '"string"',
    '"long"',
    MINE,
    THEIRS,
    json.dumps(
        {
            "type": "record",
            "name": "R",
            "fields": [
                {"name": "a", "type": "int"},
                {"name": "c", "type": "string", "default": ""},
            ],
        }
    ),
]
_operations = st.lists(
    st.one_of(
        st.tuples(st.just("register"), st.sampled_from("abc"), st.integers(0, len(_SCHEMAS) - 1)),
        st.tuples(st.just("delete"), st.sampled_from("abc"), st.booleans()),
        st.tuples(st.just("delete_latest"), st.sampled_from("abc"), st.booleans()),
        st.tuples(st.just("config"), st.sampled_from("abc"), st.sampled_from(["NONE", "FULL"])),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(operations=_operations)
async def test_any_history_replays_to_the_same_consistent_state(
    operations: list[tuple[str, str, object]],
) -> None:
    log = MemoryLog()
    registry = SchemaRegistry(log)
    server_errors: list[RegistryError] = []
    for op, subject, arg in operations:
        try:
            if op == "register":
                assert isinstance(arg, int)
                await registry.register(subject, SchemaRequest(_SCHEMAS[arg]))
            elif op == "delete":
                await registry.delete_subject(subject, permanent=bool(arg))
            elif op == "delete_latest":
                await registry.delete_version(subject, "latest", permanent=bool(arg))
            else:
                await registry.set_config(subject, arg)
        except RegistryError as exc:  # client errors (409, 404 …) are part of the game
            if exc.status >= 500:
                server_errors.append(exc)

    assert server_errors == []
    live, replayed = log.state, log.replay()
    assert replayed.configs == live.configs
    assert replayed.max_id == live.max_id
    assert {i: s.text for i, s in replayed.schemas.items()} == {
        i: s.text for i, s in live.schemas.items()
    }
    assert replayed.subjects == live.subjects
    # invariants: every version points at a stored schema; one id per distinct schema
    for versions in live.subjects.values():
        assert all(e.id in live.schemas for e in versions.values())
    keys = [s.key for s in live.schemas.values()]
    assert len(keys) == len(set(keys))
