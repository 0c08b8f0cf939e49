"""Fault injection and control: the ``/_sandbox/`` admin API and its Python twin ``SandboxAdmin``.

Every admin request needs the header ``X-Sandbox-Admin: <admin secret>`` (default
``sandbox-admin``; 401 otherwise). Bodies are JSON; answers are ``{"data": …}``.

==========================================  ===================================================
``GET  /_sandbox/status``                    connections, armed faults, clock, order counts
``POST /_sandbox/streams/drop``              ``{"stream": "dxlink"|"account"|"all", "code"?}``
                                             close every socket of that stream (default 1012)
``POST /_sandbox/streams/freeze``            ``{"stream", "seconds"}`` send nothing (no data, no
                                             keepalives) for N s; sockets stay open
``POST /_sandbox/streams/malformed``         ``{"stream", "kind": "garbage"|"truncated"|
                                             "bad-compact"}`` one bad frame to every client
``POST /_sandbox/tokens/expire``             every access and quote token expires now
``POST /_sandbox/rest/fail``                 ``{"count", "kind": "429"|"500"|"timeout",
                                             "hang-seconds"?}`` the next N REST calls fail
``POST /_sandbox/rest/delay-response``       ``{"seconds", "count"?, "path"?}`` the next N REST
                                             calls (to ``path`` only, if given) take effect at
                                             once; their response is held N seconds
``POST /_sandbox/rest/lose-response``        ``{"count"?, "path"?}`` the next N REST calls take
                                             effect; the connection closes with no response
``POST /_sandbox/fills/delay``               ``{"seconds"}`` orders going Live wait N s to fill
``POST /_sandbox/orders/reject``             ``{"count"?, "symbol"?, "reason"?}`` reject the
                                             next N orders / every order in a symbol
``DELETE /_sandbox/orders/reject``           clear order rejections
``POST /_sandbox/symbols/pause``             ``{"symbol", "paused": true}`` no quotes/fills
``GET|POST /_sandbox/clock``                 ``{"set": ISO}``, ``{"advance": seconds}``,
                                             ``{"speed": x}``
``POST /_sandbox/accounts/{n}/status``      ``{"is-closing-only"?, "is-frozen"?}`` account
                                             standing; pushes ``TradingStatus``
``POST /_sandbox/accounts/{n}/deposit``     ``{"amount"}`` deposit (negative: withdrawal);
                                             books a Money Movement, pushes
                                             ``ExternalTransaction`` and ``AccountBalance``
``POST /_sandbox/reset``                     wipe orders, positions, transactions, watchlists
                                             and alerts; fresh cash; faults cleared
==========================================  ===================================================

Numbers are bounded (:mod:`sandbox.bounds`): durations 0 … 86400 s, counts 0 … 10000, close
codes 1000 … 4999, deposits finite and at most 1e9 in magnitude, the clock within
``sandbox.clock.EARLIEST … LATEST`` at a speed of 0 … ``MAX_SPEED``. Anything else — NaN,
infinity, a negative count, the year 9999 — is a 400 ``invalid_request`` naming the field; the
Python twin raises the same :class:`~sandbox.bounds.InputError` / ``ValueError``.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from decimal import Decimal
from typing import Any, Protocol

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox import bounds
from sandbox.account_stream import AccountStreamHub
from sandbox.accounts import trading_status_wire
from sandbox.auth import TokenStore
from sandbox.config import SandboxConfig
from sandbox.engine import OrderEngine
from sandbox.faults import Faults
from sandbox.ledger import AccountLedger, money_transaction
from sandbox.wire import data_response, dec, error_response, iso

log = logging.getLogger(__name__)

STREAMS = ("dxlink", "account", "all")


class DxlinkControl(Protocol):
    async def drop_all(self, code: int = 1012, reason: str = "Reconnection is required") -> int: ...

    def freeze(self, seconds: float) -> None: ...

    async def send_malformed(self, kind: str) -> int: ...

    def connection_count(self) -> int: ...


class SandboxAdmin:
    """The same operations as ``/_sandbox/``, for tests that hold the server object."""

    def __init__(
        self,
        config: SandboxConfig,
        engine: OrderEngine,
        hub: AccountStreamHub,
        tokens: TokenStore,
        faults: Faults,
        dxlink: DxlinkControl | None,
    ) -> None:
        self.config = config
        self.engine = engine
        self.hub = hub
        self.tokens = tokens
        self.faults = faults
        self.dxlink = dxlink

    def _streams(self, stream: str) -> tuple[bool, bool]:
        if stream not in STREAMS:
            raise ValueError(f"stream must be one of {STREAMS}")
        return stream in ("dxlink", "all"), stream in ("account", "all")

    async def drop_streams(self, stream: str = "all", code: int = 1012) -> dict[str, int]:
        dx, acct = self._streams(stream)
        code = bounds.close_code(code)
        out = {"dxlink": 0, "account": 0}
        if dx and self.dxlink is not None:
            out["dxlink"] = await self.dxlink.drop_all(code)
        if acct:
            out["account"] = self.hub.drop_all(code)
        log.info("admin: dropped streams %s", out)
        return out

    def freeze_streams(self, stream: str, seconds: float) -> None:
        dx, acct = self._streams(stream)
        seconds = bounds.fault_seconds(seconds)
        if dx and self.dxlink is not None:
            self.dxlink.freeze(seconds)
        if acct:
            self.hub.freeze(seconds)

    async def send_malformed(self, stream: str, kind: str) -> dict[str, int]:
        dx, acct = self._streams(stream)
        out = {"dxlink": 0, "account": 0}
        if dx and self.dxlink is not None:
            out["dxlink"] = await self.dxlink.send_malformed(kind)
        if acct:
            out["account"] = self.hub.send_malformed(kind)
        return out

    def expire_tokens(self) -> int:
        return self.tokens.expire_all()

    def fail_rest(self, count: int, kind: str, hang_seconds: float = 30.0) -> None:
        self.faults.fail_rest(
            bounds.fault_count(count), kind, bounds.fault_seconds(hang_seconds, "hang-seconds")
        )

    def delay_responses(self, seconds: float, count: int = 1, path: str | None = None) -> None:
        self.faults.fault_responses(
            bounds.fault_count(count), "delay", bounds.fault_seconds(seconds), _path(path)
        )

    def lose_responses(self, count: int = 1, path: str | None = None) -> None:
        self.faults.fault_responses(bounds.fault_count(count), "lose", 0.0, _path(path))

    def delay_fills(self, seconds: float) -> None:
        self.faults.fill_delay = bounds.fault_seconds(seconds)

    def reject_orders(
        self, count: int = 0, symbol: str | None = None, reason: str | None = None
    ) -> None:
        self.faults.reject_orders(bounds.fault_count(count), symbol, reason)

    def clear_rejections(self) -> None:
        self.faults.clear_rejections()

    def pause_symbol(self, symbol: str, paused: bool = True) -> None:
        self.engine.market.pause(symbol, paused)
        self.engine.wake()

    def set_clock(self, when: datetime | str) -> None:
        """Set the simulated time (a datetime or ISO-8601 text; naive means UTC)."""
        if not isinstance(when, datetime):
            when = _instant(when)
        self.engine.market.clock.set(when)
        self.engine.wake()

    def advance_clock(self, seconds: float) -> None:
        self.engine.market.clock.advance(bounds.finite(seconds, "advance"))
        self.engine.wake()

    def set_clock_speed(self, speed: float) -> None:
        self.engine.market.clock.speed = bounds.finite(speed, "speed")

    def set_account_status(
        self, account_number: str, *, closing_only: bool | None = None, frozen: bool | None = None
    ) -> dict[str, Any]:
        ledger = self._ledger(account_number)
        if closing_only is not None:
            ledger.closing_only = closing_only
        if frozen is not None:
            ledger.frozen = frozen
        now = self.engine.market.clock.now()
        opened = ledger.opened_at or now
        wire = trading_status_wire(
            self.config,
            account_number,
            opened,
            closing_only=ledger.closing_only,
            frozen=ledger.frozen,
        )
        wire["updated-at"] = iso(now)
        self.hub.publish(account_number, "TradingStatus", wire)
        self.engine.on_change()
        return wire

    def deposit(self, account_number: str, amount: Decimal | str | float) -> dict[str, Any]:
        amount = bounds.decimal(amount, "amount", places=2)
        if amount == 0:
            raise bounds.InputError("amount", "must not be zero")
        ledger = self._ledger(account_number)
        now = self.engine.market.clock.now()
        ledger.cash += amount
        tx = money_transaction(
            tx_id=self.engine.state.next_id("transaction", 5_000_001),
            account_number=account_number,
            amount=amount,
            executed_at=now,
        )
        ledger.record_transaction(tx)
        self.hub.publish(
            account_number,
            "ExternalTransaction",
            {
                "id": tx["id"],
                "account-number": account_number,
                "amount": dec(abs(amount)),
                "bank-account-type": "CHECKING",
                "banking-date": now.date().isoformat(),
                "created-at": iso(now),
                "direction": "Deposit" if amount > 0 else "Withdrawal",
                "disbursement-type": "ACH",
                "ext-transfer-id": f"sbx-{tx['id']}",
                "funds-available-date": now.date().isoformat(),
                "is-cancelable": False,
                "is-clearing-accepted": True,
                "state": "Completed",
                "transfer-method": "ACH",
                "updated-at": iso(now),
            },
        )
        self.engine.record_daily(account_number)
        self.engine.publish_balance(account_number)
        self.engine.on_change()
        return tx

    def _ledger(self, account_number: str) -> AccountLedger:
        if account_number not in self.config.all_accounts():
            raise KeyError(f"unknown account {account_number}")
        return self.engine.ledger(account_number)

    def reset(self) -> None:
        self.faults.reset()
        self.engine.reset()
        log.info("admin: state reset")

    def status(self) -> dict[str, Any]:
        clock = self.engine.market.clock
        return {
            "connections": {
                "dxlink": self.dxlink.connection_count() if self.dxlink else 0,
                "account": self.hub.connection_count(),
            },
            "faults": self.faults.status(),
            "clock": {"now": iso(clock.now()), "speed": clock.speed},
            "orders": len(self.engine.state.orders),
        }


def _path(raw: Any) -> str | None:
    """An optional request path for a response fault: ``None`` or text starting with ``/``."""
    path = bounds.text(raw, "path")
    if path is not None and not path.startswith("/"):
        raise bounds.InputError("path", "must start with '/'")
    return path


def _instant(raw: Any) -> datetime:
    """ISO-8601 text (``Z`` allowed; naive means UTC) as a datetime, else :class:`InputError`."""
    if not isinstance(raw, str):
        raise bounds.InputError("set", "must be an ISO-8601 date-time string")
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise bounds.InputError("set", f"is not an ISO-8601 date-time: {raw[:40]!r}") from None


def _required(body: dict[str, Any], key: str) -> Any:
    if key not in body:
        raise bounds.InputError(key, "is required")
    return body[key]


def admin_routes(admin: SandboxAdmin) -> list[BaseRoute]:
    def op(
        handler: Callable[[Request, dict[str, Any]], Awaitable[Any]],
    ) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            given = request.headers.get("x-sandbox-admin", "")
            if not hmac.compare_digest(given.encode(), admin.config.admin_secret.encode()):
                return error_response(401, "admin_unauthorized", "X-Sandbox-Admin header required")
            body: Any = {}
            if request.method in ("POST", "PUT"):
                raw = await request.body()
                if raw:
                    try:
                        body = await bounds.json_body(request)
                    except bounds.InputError as exc:
                        return error_response(400, "invalid_request", str(exc))
            if not isinstance(body, dict):
                return error_response(400, "invalid_request", "body must be a JSON object")
            try:
                result = await handler(request, body)
            except (ValueError, TypeError, KeyError) as exc:
                return error_response(400, "invalid_request", str(exc))
            return data_response(request, result if result is not None else {"ok": True})

        return endpoint

    async def status(request: Request, body: dict[str, Any]) -> Any:
        return admin.status()

    async def drop(request: Request, body: dict[str, Any]) -> Any:
        return await admin.drop_streams(str(body.get("stream", "all")), body.get("code", 1012))

    async def freeze(request: Request, body: dict[str, Any]) -> Any:
        admin.freeze_streams(str(body.get("stream", "all")), _required(body, "seconds"))

    async def malformed(request: Request, body: dict[str, Any]) -> Any:
        return await admin.send_malformed(
            str(body.get("stream", "all")), str(body.get("kind", "garbage"))
        )

    async def expire(request: Request, body: dict[str, Any]) -> Any:
        return {"expired": admin.expire_tokens()}

    async def fail(request: Request, body: dict[str, Any]) -> Any:
        admin.fail_rest(
            body.get("count", 1), str(_required(body, "kind")), body.get("hang-seconds", 30.0)
        )

    async def delay_response(request: Request, body: dict[str, Any]) -> Any:
        admin.delay_responses(_required(body, "seconds"), body.get("count", 1), body.get("path"))

    async def lose_response(request: Request, body: dict[str, Any]) -> Any:
        admin.lose_responses(body.get("count", 1), body.get("path"))

    async def delay(request: Request, body: dict[str, Any]) -> Any:
        admin.delay_fills(_required(body, "seconds"))

    async def reject(request: Request, body: dict[str, Any]) -> Any:
        if request.method == "DELETE":
            admin.clear_rejections()
            return None
        symbol = body.get("symbol")
        reason = body.get("reason")
        admin.reject_orders(
            body.get("count", 0 if symbol else 1),
            None if symbol is None else str(symbol),
            None if reason is None else str(reason),
        )
        return None

    async def pause(request: Request, body: dict[str, Any]) -> Any:
        admin.pause_symbol(str(body["symbol"]), bool(body.get("paused", True)))

    async def clock(request: Request, body: dict[str, Any]) -> Any:
        if "set" in body:
            admin.set_clock(_instant(body["set"]))
        if "advance" in body:
            admin.advance_clock(body["advance"])
        if "speed" in body:
            admin.set_clock_speed(body["speed"])
        return admin.status()["clock"]

    async def reset(request: Request, body: dict[str, Any]) -> Any:
        admin.reset()

    async def account_status(request: Request, body: dict[str, Any]) -> Any:
        closing = body.get("is-closing-only")
        frozen = body.get("is-frozen")
        return admin.set_account_status(
            request.path_params["account"],
            closing_only=None if closing is None else bool(closing),
            frozen=None if frozen is None else bool(frozen),
        )

    async def deposit(request: Request, body: dict[str, Any]) -> Any:
        return admin.deposit(request.path_params["account"], _required(body, "amount"))

    return [
        Route("/_sandbox/status", op(status), methods=["GET"]),
        Route("/_sandbox/streams/drop", op(drop), methods=["POST"]),
        Route("/_sandbox/streams/freeze", op(freeze), methods=["POST"]),
        Route("/_sandbox/streams/malformed", op(malformed), methods=["POST"]),
        Route("/_sandbox/tokens/expire", op(expire), methods=["POST"]),
        Route("/_sandbox/rest/fail", op(fail), methods=["POST"]),
        Route("/_sandbox/rest/delay-response", op(delay_response), methods=["POST"]),
        Route("/_sandbox/rest/lose-response", op(lose_response), methods=["POST"]),
        Route("/_sandbox/fills/delay", op(delay), methods=["POST"]),
        Route("/_sandbox/orders/reject", op(reject), methods=["POST", "DELETE"]),
        Route("/_sandbox/symbols/pause", op(pause), methods=["POST"]),
        Route("/_sandbox/clock", op(clock), methods=["GET", "POST"]),
        Route("/_sandbox/reset", op(reset), methods=["POST"]),
        Route("/_sandbox/accounts/{account}/status", op(account_status), methods=["POST"]),
        Route("/_sandbox/accounts/{account}/deposit", op(deposit), methods=["POST"]),
    ]


__all__ = ["DxlinkControl", "SandboxAdmin", "admin_routes"]
