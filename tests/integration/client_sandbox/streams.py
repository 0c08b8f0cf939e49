"""Helpers for the streaming tests: drain a listener without blocking, mark reconnects."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from adapters.tastytrade import Listener, Reconnected

T = TypeVar("T")


@dataclass
class Collector(Generic[T]):
    """Everything a listener delivered, in order; ``marks`` index it at each reconnect."""

    listener: Listener[T]
    items: list[T] = field(default_factory=list)
    marks: list[int] = field(default_factory=list)

    def pump(self) -> list[T]:
        """Move whatever is queued into ``items`` (never waits); returns ``items``."""
        while (item := self.listener.get_nowait()) is not None:
            self.items.append(item)
        return self.items

    def on_reconnect(self) -> Callable[[Reconnected], None]:
        """A hook for ``on_reconnect``: everything received after it is from the new session."""

        def mark(_: Reconnected) -> None:
            self.marks.append(self.listener.received)

        return mark

    def since_last_reconnect(self) -> list[T]:
        self.pump()
        return self.items[self.marks[-1] :] if self.marks else []
