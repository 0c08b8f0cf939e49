"""Trading state: ledgers, orders, complex orders, watchlists and alerts — and its persistence.

In memory by default. With a state file (``--state FILE``) the whole state is written as JSON
(atomically: temp file + ``os.replace``) shortly after every change and on shutdown, and loaded
at start, so accounts, orders, positions, transactions, watchlists and alerts survive restarts.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import os
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson

from sandbox.complex_orders import ComplexOrder
from sandbox.ledger import AccountLedger, Position
from sandbox.orders import Fill, Leg, Order

log = logging.getLogger(__name__)

_CLASSES: dict[str, type[Any]] = {
    cls.__name__: cls for cls in (AccountLedger, Position, Order, Leg, Fill, ComplexOrder)
}
FORMAT_VERSION = 1
# process-local values (monotonic-clock deadlines) that must not outlive the process
TRANSIENT_FIELDS = {"fill_not_before": 0.0}


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {
            f.name: _encode(TRANSIENT_FIELDS.get(f.name, getattr(value, f.name)))
            for f in dataclasses.fields(value)
        }
        out["__dc__"] = type(value).__name__
        return out
    if isinstance(value, Decimal):
        return {"__d__": str(value)}
    if isinstance(value, datetime):
        return {"__t__": value.isoformat()}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):
        if "__d__" in value:
            return Decimal(value["__d__"])
        if "__t__" in value:
            return datetime.fromisoformat(value["__t__"])
        if "__dc__" in value:
            cls = _CLASSES[value["__dc__"]]
            kwargs = {k: _decode(v) for k, v in value.items() if k != "__dc__"}
            names = {f.name for f in dataclasses.fields(cls)}
            return cls(**{k: v for k, v in kwargs.items() if k in names})
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


@dataclass
class TradingState:
    ledgers: dict[str, AccountLedger] = field(default_factory=dict)
    orders: dict[int, Order] = field(default_factory=dict)
    complex_orders: dict[int, ComplexOrder] = field(default_factory=dict)
    watchlists: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    alerts: dict[str, dict[str, Any]] = field(default_factory=dict)
    counters: dict[str, int] = field(default_factory=dict)

    def next_id(self, kind: str, start: int = 1) -> int:
        value = self.counters.get(kind, start - 1) + 1
        self.counters[kind] = value
        return value

    def to_json(self) -> bytes:
        payload = {
            "version": FORMAT_VERSION,
            "ledgers": _encode(self.ledgers),
            "orders": _encode(list(self.orders.values())),
            "complex-orders": _encode(list(self.complex_orders.values())),
            "watchlists": _encode(self.watchlists),
            "alerts": _encode(self.alerts),
            "counters": self.counters,
        }
        return orjson.dumps(payload, option=orjson.OPT_INDENT_2)

    @classmethod
    def from_json(cls, raw: bytes) -> TradingState:
        payload = orjson.loads(raw)
        if payload.get("version") != FORMAT_VERSION:
            raise ValueError(f"unsupported state file version {payload.get('version')!r}")
        orders = [o for o in _decode(payload["orders"]) if isinstance(o, Order)]
        complex_orders = [
            c for c in _decode(payload["complex-orders"]) if isinstance(c, ComplexOrder)
        ]
        return cls(
            ledgers=_decode(payload["ledgers"]),
            orders={o.id: o for o in orders if o.id is not None},
            complex_orders={c.id: c for c in complex_orders if c.id is not None},
            watchlists=_decode(payload["watchlists"]),
            alerts=_decode(payload["alerts"]),
            counters={str(k): int(v) for k, v in payload["counters"].items()},
        )


def load_state(path: Path | None) -> TradingState | None:
    if path is None or not path.exists():
        return None
    state = TradingState.from_json(path.read_bytes())
    log.info("loaded sandbox state from %s (%d orders)", path, len(state.orders))
    return state


def save_state(state: TradingState, path: Path) -> None:
    """Atomic write: a crash leaves either the old file or the new one, never half of one."""
    write_atomically(state.to_json(), path)


def write_atomically(payload: bytes, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as handle:
        handle.write(payload)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


class StatePersister:
    """Writes the state after changes (debounced) and once more on shutdown."""

    def __init__(self, state_ref: Any, path: Path | None, interval: float = 0.5) -> None:
        self._ref = state_ref
        self._path = path
        self._interval = interval
        self._dirty = asyncio.Event()

    def mark_dirty(self) -> None:
        self._dirty.set()

    def flush(self) -> None:
        if self._path is not None:
            save_state(self._ref(), self._path)

    async def run(self) -> None:
        if self._path is None:
            return
        try:
            while True:
                await self._dirty.wait()
                self._dirty.clear()
                # serialise on the loop (the state mutates there), write off it
                payload = self._ref().to_json()
                await asyncio.to_thread(write_atomically, payload, self._path)
                await asyncio.sleep(self._interval)
        finally:
            with contextlib.suppress(OSError):
                self.flush()


__all__ = ["StatePersister", "TradingState", "load_state", "save_state", "write_atomically"]
