"""Transactions, total fees, balance snapshots and net-liq history (§4.2, §4.3).

* ``GET /accounts/{n}/transactions`` — filters ``type``, ``types[]``, ``sub-type[]``,
  ``start-date``, ``end-date``, ``start-at``, ``end-at``, ``instrument-type``, ``symbol``,
  ``underlying-symbol``, ``action``, ``futures-symbol``, ``currency``, ``sort`` (Desc|Asc);
  paginated with ``per-page``/``page-offset`` (250 per page by default).
* ``GET /accounts/{n}/transactions/{id}``, ``GET /accounts/{n}/transactions/total-fees?date=``.
* ``GET /accounts/{n}/balance-snapshots`` — ``time-of-day`` (BOD|EOD) required (else 400),
  ``snapshot-date``, ``start-date``, ``end-date``; paginated.
* ``GET /accounts/{n}/net-liq/history`` — ``time-back`` (1d,1w,1m,3m,6m,1y,all) or
  ``start-time``; one kebab-case OHLC item per day with activity.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from sandbox.engine import OrderEngine
from sandbox.ledger import signed_effect
from sandbox.wire import array_param, data_response, error_response, items_response

FEE_KEYS = ("commission", "clearing-fees", "regulatory-fees", "proprietary-index-option-fees")
TIME_BACK = {"1d": 1, "1w": 7, "1m": 31, "3m": 92, "6m": 183, "1y": 366}


def _parse_at(text: str) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").split("[")[0])
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.now().astimezone().tzinfo)


def _matches(tx: dict[str, Any], request: Request) -> bool:
    q = request.query_params
    types = set(array_param(request, "types"))
    if q.get("type"):
        types.add(q["type"])
    if types and tx.get("transaction-type") not in types:
        return False
    sub_types = set(array_param(request, "sub-type"))
    if sub_types and tx.get("transaction-sub-type") not in sub_types:
        return False
    for key in ("instrument-type", "symbol", "underlying-symbol", "action", "currency"):
        if q.get(key) and tx.get(key) != q[key]:
            return False
    if q.get("futures-symbol") and tx.get("symbol") != q["futures-symbol"]:
        return False
    day = str(tx.get("transaction-date", ""))
    if q.get("start-date") and day < q["start-date"]:
        return False
    if q.get("end-date") and day > q["end-date"]:
        return False
    executed = _parse_at(str(tx.get("executed-at", "")))
    for key, later in (("start-at", True), ("end-at", False)):
        bound = _parse_at(q[key]) if q.get(key) else None
        if bound is not None and executed is not None:
            if later and executed < bound:
                return False
            if not later and executed > bound:
                return False
    return True


def history_routes(engine: OrderEngine) -> list[BaseRoute]:
    async def transactions(request: Request) -> Response:
        ledger = engine.ledger(request.path_params["account"])
        items = [tx for tx in ledger.transactions if _matches(tx, request)]
        ascending = request.query_params.get("sort", "Desc").lower() == "asc"
        items.sort(key=lambda tx: (tx.get("executed-at", ""), tx["id"]), reverse=not ascending)
        return items_response(request, items, paginate=True, default_per_page=250)

    async def transaction(request: Request) -> Response:
        ledger = engine.ledger(request.path_params["account"])
        wanted = request.path_params["tx_id"]
        for tx in ledger.transactions:
            if str(tx["id"]) == wanted:
                return data_response(request, tx)
        return error_response(404, "record_not_found", f"Transaction {wanted} not found")

    async def total_fees(request: Request) -> Response:
        ledger = engine.ledger(request.path_params["account"])
        day = request.query_params.get("date") or engine.market.clock.now().date().isoformat()
        total = Decimal(0)
        for tx in ledger.transactions:
            if tx.get("transaction-date") == day:
                total += sum((Decimal(str(tx.get(k, "0"))) for k in FEE_KEYS), Decimal(0))
        value, effect = signed_effect(-total)
        return data_response(request, {"total-fees": value, "total-fees-effect": effect})

    async def snapshots(request: Request) -> Response:
        q = request.query_params
        time_of_day = q.get("time-of-day")
        if time_of_day not in ("BOD", "EOD"):
            return error_response(
                400, "invalid_parameter", "time-of-day is required and must be BOD or EOD"
            )
        ledger = engine.ledger(request.path_params["account"])
        engine.record_daily(ledger.account_number)
        items = []
        for day, points in sorted(ledger.daily.items()):
            if q.get("snapshot-date") and day != q["snapshot-date"]:
                continue
            if (q.get("start-date") and day < q["start-date"]) or (
                q.get("end-date") and day > q["end-date"]
            ):
                continue
            if time_of_day in points:
                item = dict(points[time_of_day])
                item["snapshot-date"] = day
                item["time-of-day"] = time_of_day
                items.append(item)
        return items_response(request, items, paginate=True, default_per_page=250)

    async def net_liq_history(request: Request) -> Response:
        ledger = engine.ledger(request.path_params["account"])
        engine.record_daily(ledger.account_number)
        now = engine.market.clock.now()
        q = request.query_params
        start = None
        if q.get("start-time"):
            start = _parse_at(q["start-time"])
        elif q.get("time-back", "1y") in TIME_BACK:
            start = now - timedelta(days=TIME_BACK[q.get("time-back", "1y")])
        items = []
        for day, points in sorted(ledger.daily.items()):
            if start is not None and day < start.date().isoformat():
                continue
            opens = Decimal(points["BOD"]["net-liquidating-value"])
            closes = Decimal(points["EOD"]["net-liquidating-value"])
            ohlc: dict[str, Any] = {"time": f"{day} 00:00:00+00"}
            for prefix, (o, c) in (
                ("", (opens, closes)),
                ("total-", (opens, closes)),
                ("pending-cash-", (Decimal(0), Decimal(0))),
            ):
                ohlc[f"{prefix}open"] = str(o)
                ohlc[f"{prefix}high"] = str(max(o, c))
                ohlc[f"{prefix}low"] = str(min(o, c))
                ohlc[f"{prefix}close"] = str(c)
            items.append(ohlc)
        return items_response(request, items)

    return [
        Route("/accounts/{account}/transactions", transactions),
        Route("/accounts/{account}/transactions/total-fees", total_fees),
        Route("/accounts/{account}/transactions/{tx_id}", transaction),
        Route("/accounts/{account}/balance-snapshots", snapshots),
        Route("/accounts/{account}/net-liq/history", net_liq_history),
    ]


__all__ = ["history_routes"]
