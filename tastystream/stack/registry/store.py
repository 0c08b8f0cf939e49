"""Where the registry's records live: the protocol and an in-memory log.

Every write is an append of one ``_schemas`` record; a store answers only once its own reader has
applied that record to :attr:`Store.state`, so a registry that has written something can read it
back at once. :class:`MemoryLog` keeps the encoded records in a list and applies them through the
same decoder as the Kafka store, so everything above the store runs unchanged in unit tests.
"""

from __future__ import annotations

from typing import Protocol

from tastystream.stack.registry.records import (
    Key,
    Value,
    decode_key,
    decode_value,
    encode_key,
    encode_value,
)
from tastystream.stack.registry.state import RegistryState

__all__ = ["MemoryLog", "Store"]


class Store(Protocol):
    @property
    def state(self) -> RegistryState: ...

    async def sync(self) -> None:
        """Return once every record written before the call (by anyone) has been applied."""

    async def write(self, key: Key, value: Value | None) -> None:
        """Append a record and return once it has been applied to :attr:`state`."""


class MemoryLog:
    """A store backed by a Python list of encoded (key, value) records."""

    def __init__(self) -> None:
        self.records: list[tuple[bytes, bytes | None]] = []
        self._state = RegistryState()

    @property
    def state(self) -> RegistryState:
        return self._state

    async def sync(self) -> None:
        return None

    async def write(self, key: Key, value: Value | None) -> None:
        raw_key, raw_value = encode_key(key), encode_value(value)
        self.records.append((raw_key, raw_value))
        decoded = decode_key(raw_key)
        self._state.apply(decoded, decode_value(decoded, raw_value))

    def replay(self) -> RegistryState:
        """A fresh state rebuilt from the records (what a restarted registry would see)."""
        state = RegistryState()
        for raw_key, raw_value in self.records:
            key = decode_key(raw_key)
            state.apply(key, decode_value(key, raw_value))
        return state
