"""Every DXLink event type tastyware 13.2.3 supports × every instrument kind, through its own
``DXLinkStreamer`` against the sandbox: each must arrive *and* parse into tastyware's model.

tastyware skips an event its pydantic model rejects with only a DEBUG log line ("Failed to
parse event"), so a wrong JSON type on the wire would look like "no data". Those lines are
captured and every one of them fails the test, except the one refusal the real feed causes too:
a crypto ``TimeAndSale`` has no size (``"NaN"``, as the real feed's crypto Trade volume and
size), which tastyware's ``size: int`` cannot hold (tastyware/tastytrade#324: time and sales
"fails to stream crypto"). That one is asserted to happen, so it is delivered, not dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import anyio
import pytest
from tastytrade import DXLinkStreamer, Session
from tastytrade.dxfeed import (
    Candle,
    Greeks,
    Profile,
    Quote,
    Summary,
    TheoPrice,
    TimeAndSale,
    Trade,
    Underlying,
)
from tastytrade.dxfeed.event import Event
from tastytrade.streamer import MAP_EVENTS

from sandbox.server import SandboxServer
from tests.integration.third_party.conftest import symbol_per_kind

pytestmark = [
    pytest.mark.integration,
    pytest.mark.asyncio(loop_scope="module"),
    pytest.mark.filterwarnings("ignore::DeprecationWarning:httpx2.*"),
]

KINDS = ("equity", "index", "ETF", "equity option", "future", "future option", "crypto")
OPTIONS = {"equity option", "future option"}
# what the real feed publishes for each kind (an option's greeks; an underlying's option stats;
# no time and sales for an index, which does not trade)
EXPECTED: dict[type[Event], set[str]] = {
    Quote: set(KINDS),
    Trade: set(KINDS),
    Summary: set(KINDS),
    Profile: set(KINDS),
    Candle: set(KINDS),
    Greeks: OPTIONS,
    TheoPrice: OPTIONS,
    Underlying: {"equity", "index", "ETF", "future"},
    TimeAndSale: set(KINDS) - {"index", "crypto"},
}
REFUSED_BY_TASTYWARE = {(TimeAndSale, "crypto")}  # see the module docstring


class _ParseFailures(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []
        self.crypto_refused = anyio.Event()

    def emit(self, record: logging.LogRecord) -> None:
        message = record.getMessage()
        if "Failed to parse event" in message:
            self.messages.append(message)
            if _is_crypto_size_refusal(message):
                self.crypto_refused.set()


@pytest.fixture
def parse_failures() -> Iterator[_ParseFailures]:
    handler = _ParseFailures()
    logger = logging.getLogger("tastytrade")
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


async def test_every_event_type_for_every_kind_arrives_parsed(
    sandbox: SandboxServer, session: Session, parse_failures: _ParseFailures
) -> None:
    assert set(MAP_EVENTS.values()) == set(EXPECTED)  # the matrix covers all tastyware knows
    symbols = symbol_per_kind(sandbox.market)
    kind_of = {symbol: kind for kind, symbol in symbols.items()}
    wanted = {
        (cls, kind) for cls, kinds in EXPECTED.items() for kind in kinds
    } | REFUSED_BY_TASTYWARE
    got: dict[type[Event], set[str]] = {cls: set() for cls in EXPECTED}
    start = datetime.fromtimestamp(sandbox.market.clock.now_ms() / 1000, UTC)
    async with DXLinkStreamer(session) as streamer:
        for cls in EXPECTED:
            kinds = EXPECTED[cls] | {k for c, k in REFUSED_BY_TASTYWARE if c is cls}
            subscribed = [symbols[k] for k in KINDS if k in kinds]
            if cls is Candle:
                await streamer.subscribe_candle(subscribed, "5m", start - timedelta(hours=2))
            else:
                await streamer.subscribe(cls, subscribed)

        async def collect(cls: type[Event]) -> None:
            async for event in streamer.listen(cls):
                base = event.event_symbol.split("{", 1)[0]
                got[cls].add(kind_of.get(base, base))
                if all(k in got[cls] for k in EXPECTED[cls]):
                    return

        with anyio.move_on_after(30):
            async with anyio.create_task_group() as tg:
                for cls in EXPECTED:
                    tg.start_soon(collect, cls)
        with anyio.move_on_after(10):  # the crypto refusal may trail the last expected event
            await parse_failures.crypto_refused.wait()

    missing = sorted(
        f"{cls.__name__} × {kind}" for cls, kind in wanted - REFUSED_BY_TASTYWARE
        if kind not in got[cls]
    )  # fmt: skip
    assert not missing, f"not delivered or not parsed by tastyware: {missing}"
    expected_refusals = [m for m in parse_failures.messages if _is_crypto_size_refusal(m)]
    unexpected = [m for m in parse_failures.messages if not _is_crypto_size_refusal(m)]
    assert not unexpected, f"tastyware skipped events it could not parse: {unexpected[:3]}"
    assert expected_refusals, "the crypto TimeAndSale never reached tastyware"
    assert "crypto" not in got[TimeAndSale]


def _is_crypto_size_refusal(message: str) -> bool:
    """tastyware's ``TimeAndSale.size: int`` refusing the crypto trade's ``"NaN"`` size."""
    return (
        "1 validation error for TimeAndSale" in message
        and "\nsize\n" in message
        and "input_value=None" in message
    )
