"""Somebody else's client, unchanged: tastyware's `tastytrade` SDK 13.2.3 against the sandbox.

Only its base URLs are repointed (module constants; see conftest). This is the sandbox's
promise: a client written against the real API works against it unchanged.
"""

from __future__ import annotations

from decimal import Decimal

import anyio
import pytest
from tastytrade import Account, AlertStreamer, DXLinkStreamer, Session
from tastytrade.dxfeed import Quote
from tastytrade.instruments import Equity, NestedOptionChain
from tastytrade.market_data import get_market_data_by_type
from tastytrade.order import (
    InstrumentType,
    LimitOrder,
    MarketOrder,
    OrderAction,
    OrderTimeInForce,
    OTOCOOrder,
    PlacedOrder,
    StopOrder,
)
from tastytrade.watchlists import PrivateWatchlist, PublicWatchlist

from tests.support import eventually

pytestmark = [
    pytest.mark.integration,
    pytest.mark.asyncio(loop_scope="module"),
    # tastyware's own HTTP stack warns about its own call style; not ours to fix
    pytest.mark.filterwarnings("ignore::DeprecationWarning:httpx2.*"),
]


async def test_account_reads(session: Session) -> None:
    assert await session.validate()
    customer = await session.get_customer()
    assert customer.id
    accounts = await Account.get(session)
    assert [a.account_number for a in accounts] == ["5WT00001", "5WT00002", "5WT00003"]
    account = accounts[0]
    balances = await account.get_balances(session)
    assert balances.net_liquidating_value > 0
    status = await account.get_trading_status(session)
    assert status.account_number == "5WT00001"
    margin = await account.get_margin_requirements(session)
    assert margin.account_number == "5WT00001"
    chain = await NestedOptionChain.get(session, "SPY")
    assert chain[0].underlying_symbol == "SPY"
    assert chain[0].expirations


async def test_market_order_streams_to_filled_and_a_quote_arrives(session: Session) -> None:
    account = await Account.get(session, "5WT00001")
    aapl = await Equity.get(session, "AAPL")
    assert aapl.streamer_symbol == "AAPL"
    order = MarketOrder(
        time_in_force=OrderTimeInForce.DAY,
        legs=[aapl.build_leg(Decimal(5), OrderAction.BUY_TO_OPEN)],
    )
    dry = await account.place_order(session, order, dry_run=True)
    assert dry.buying_power_effect.change_in_buying_power != 0
    async with AlertStreamer(session) as alerts:
        await alerts.subscribe_accounts([account])
        placed = await account.place_order(session, order, dry_run=False)
        seen: list[str] = []
        with anyio.fail_after(20):
            async for update in alerts.listen(PlacedOrder):
                if update.id == placed.order.id:
                    seen.append(update.status.value)
                    if update.status.value == "Filled":
                        break
    assert seen[-1] == "Filled"
    positions = {p.symbol: p.quantity for p in await account.get_positions(session)}
    assert positions.get("AAPL", Decimal(0)) >= 5
    async with DXLinkStreamer(session) as streamer:
        await streamer.subscribe(Quote, ["AAPL"])
        with anyio.fail_after(15):
            quote = await streamer.get_event(Quote)
    assert quote.event_symbol == "AAPL"
    assert quote.ask_price >= quote.bid_price > 0


async def test_otoco_replace_cancel_and_watchlists(session: Session) -> None:
    account = await Account.get(session, "5WT00001")
    aapl = await Equity.get(session, "AAPL")
    ask = (await get_market_data_by_type(session, equities=["AAPL"]))[0].ask
    assert ask is not None
    buy = aapl.build_leg(Decimal(10), OrderAction.BUY_TO_OPEN)
    sell = aapl.build_leg(Decimal(10), OrderAction.SELL_TO_CLOSE)
    otoco = OTOCOOrder(
        trigger_order=LimitOrder(
            time_in_force=OrderTimeInForce.DAY, legs=[buy], price=-_cents(ask / 2)
        ),
        take_profit=LimitOrder(
            time_in_force=OrderTimeInForce.GTC, legs=[sell], price=_cents(ask * 2)
        ),
        stop_loss=StopOrder(
            time_in_force=OrderTimeInForce.GTC, legs=[sell], stop_trigger=_cents(ask / 4)
        ),
    )
    placed = await account.place_complex_order(session, otoco, dry_run=False)
    complex_id = placed.complex_order.id

    async def trigger_live() -> bool:
        current = await account.get_complex_order(session, complex_id)
        return current.trigger_order is not None and current.trigger_order.status.value == "Live"

    await eventually(trigger_live, timeout=15, interval=0.1)  # cancellable only once Live
    await account.delete_complex_order(session, complex_id)

    async def all_cancelled() -> bool:
        current = await account.get_complex_order(session, complex_id)
        legs = [o for o in [current.trigger_order, *current.orders] if o is not None]
        return bool(legs) and all(o.status.value == "Cancelled" for o in legs)

    await eventually(all_cancelled, timeout=15, interval=0.1)

    low = LimitOrder(time_in_force=OrderTimeInForce.DAY, legs=[buy], price=Decimal("-1.00"))
    first = await account.place_order(session, low, dry_run=False)
    replacement = LimitOrder(time_in_force=OrderTimeInForce.DAY, legs=[buy], price=Decimal("-2.00"))
    await eventually(lambda: _status_is(session, account, first.order.id, "Live"), timeout=15)
    new = await account.replace_order(session, first.order.id, replacement)
    assert new.replaces_order_id == first.order.id
    await eventually(lambda: _status_is(session, account, new.id, "Live"), timeout=15)
    await account.delete_order(session, new.id)
    await eventually(lambda: _status_is(session, account, new.id, "Cancelled"), timeout=15)

    watchlist = PrivateWatchlist(name="tw-compat", group_name="main", watchlist_entries=[])
    watchlist.add_symbol("AAPL", InstrumentType.EQUITY)
    await watchlist.upload(session)
    assert "tw-compat" in [w.name for w in await PrivateWatchlist.get(session)]
    await PrivateWatchlist.remove(session, "tw-compat")
    assert "tw-compat" not in [w.name for w in await PrivateWatchlist.get(session)]
    assert await PublicWatchlist.get(session)


async def _status_is(session: Session, account: Account, order_id: int, status: str) -> bool:
    return (await account.get_order(session, order_id)).status.value == status


def _cents(value: Decimal) -> Decimal:
    """On the equity tick grid: off-increment prices are rejected at routing, as on the venue."""
    return value.quantize(Decimal("0.01"))
