"""The quote ingestor against the sandbox while its REST API fails (issue 9.3, reproduced).

``POST /_sandbox/rest/fail {"count": 40, "kind": "429"}`` before start-up used to leave SPY
"not streamed" for good while AAPL and QQQ streamed. Now every symbol streams once the
faults are used up — for 5xx and timeouts too. Kafka is not needed: a recording publisher
stands in for it.
"""

from __future__ import annotations

import asyncio

import pytest

from adapters.tastytrade import AuthError, Client
from ingest.normalize import Normalized
from ingest.quotes import IngestConfig, QuoteIngestor
from sandbox.config import DEFAULT_REFRESH_TOKEN
from sandbox.server import SandboxServer
from tests.integration.client_core.conftest import FAST_RECONNECT, FAST_RETRY, open_client
from tests.support import eventually

pytestmark = pytest.mark.integration

SYMBOLS = ("SPY", "AAPL", "QQQ")


class Recorder:
    """Stands in for the Kafka publisher: keeps what it is given."""

    def __init__(self) -> None:
        self.items: list[Normalized] = []

    async def publish(self, item: Normalized) -> None:
        self.items.append(item)

    async def flush(self) -> None:
        return None

    def quoted(self) -> set[str]:
        return {i.record["symbol"] for i in self.items if i.spec.event_type == "Quote"}


@pytest.mark.parametrize(
    ("kind", "count", "timeout"),
    [("429", 40, 5.0), ("500", 20, 5.0), ("timeout", 6, 0.3)],  # timeout: hangs past 0.3 s
)
async def test_a_fault_storm_before_start_up_loses_no_symbol(
    sandbox: SandboxServer, kind: str, count: int, timeout: float
) -> None:
    sandbox.admin.fail_rest(count, kind, hang_seconds=1.0)
    recorder = Recorder()
    stop = asyncio.Event()
    async with open_client(sandbox, timeout=timeout) as client:
        ingestor = QuoteIngestor(
            IngestConfig(symbols=SYMBOLS, event_types=("Quote",), source="dxlink:sandbox"),
            client.rest,
            lambda: client.dxlink(reconnect_backoff=FAST_RECONNECT),
            recorder,  # type: ignore[arg-type]
            client.errors,
        )
        task = asyncio.create_task(ingestor.run(stop))
        try:

            async def every_symbol_quoted() -> bool:
                return recorder.quoted() == set(SYMBOLS)

            await eventually(every_symbol_quoted, timeout=60, message="a symbol never streamed")
        finally:
            stop.set()
            await task
    assert sandbox.admin.faults.pending_rest_faults() == 0
    assert sandbox.admin.faults.injected.get(f"rest-{kind}") == count
    assert ingestor.metrics.unresolved == []
    assert ingestor.metrics.pending == []


async def test_refused_credentials_fail_start_up_as_an_auth_error(
    sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    recorder = Recorder()
    async with Client(
        client_secret="not-the-secret",
        refresh_token=DEFAULT_REFRESH_TOKEN,
        base_url=sandbox.base_url,
        streamer_url=sandbox.streamer_url,
        environment="custom",
        retry_policy=FAST_RETRY,
    ) as client:
        ingestor = QuoteIngestor(
            IngestConfig(symbols=SYMBOLS, event_types=("Quote",), source="dxlink:sandbox"),
            client.rest,
            lambda: client.dxlink(reconnect_backoff=FAST_RECONNECT),
            recorder,  # type: ignore[arg-type]
            client.errors,
        )
        with pytest.raises(BaseExceptionGroup) as info:
            await asyncio.wait_for(ingestor.run(asyncio.Event()), 30)
    assert info.group_contains(AuthError)
    assert "unknown symbol" not in caplog.text
    assert recorder.items == []
