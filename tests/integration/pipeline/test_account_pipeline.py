"""`tastystream run` with ``TT_ACCOUNTS``: the account ingestor runs next to the quote ingestor."""

from __future__ import annotations

import asyncio
import contextlib
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import clickhouse_connect
import pytest
from clickhouse_connect.driver.exceptions import DatabaseError
from pydantic import SecretStr

from sandbox.config import SandboxConfig
from sandbox.server import SandboxServer
from schemas.topics import ACCOUNT_TOPICS
from sinks.routes import SinkConfig
from tastystream.pipeline import Pipeline, run_pipeline
from tastystream.settings import (
    ClickHouseSettings,
    KafkaSettings,
    RegistrySettings,
    Settings,
    TastytradeSettings,
)
from tastystream.stack import StackConfig
from tests.support import eventually, unique

pytestmark = [pytest.mark.integration, pytest.mark.asyncio]

OPEN = datetime(2026, 11, 25, 16, 0, tzinfo=UTC)  # a Wednesday, 10:00 CT


async def test_run_ingests_the_configured_accounts(stack_config: StackConfig) -> None:
    server = SandboxServer(replace(SandboxConfig(), port=0, clock_start=OPEN))
    await server.start()
    settings = Settings(
        tastytrade=TastytradeSettings(
            base_url=server.base_url,
            streamer_url=server.streamer_url,
            client_secret=SecretStr(server.config.client_secret),
            refresh_token=SecretStr(server.config.refresh_token),
            accounts=("5WT00001", "5WT00002"),
            symbols=("SPY",),
            event_types=("Quote",),
        ),
        kafka=KafkaSettings(bootstrap=stack_config.kafka_bootstrap),
        registry=RegistrySettings(url=stack_config.registry_url),
        clickhouse=ClickHouseSettings(
            url=stack_config.clickhouse_url,
            password=SecretStr(stack_config.clickhouse_password),
            database=unique("acct").replace("-", "_"),
        ),
    )
    ready: asyncio.Future[Pipeline] = asyncio.get_running_loop().create_future()
    stop = asyncio.Event()
    task = asyncio.create_task(
        run_pipeline(
            settings,
            stop=stop,
            source="dxlink:sandbox",
            on_ready=ready.set_result,
            now_ms=server.market.clock.now_ms,
            # its own sink group: another test's sink must not start where this one committed
            sink_config=SinkConfig(group_id=unique("acct-sink")),
        )
    )
    try:
        pipeline = await asyncio.wait_for(ready, 120)
        account, publisher = pipeline.account, pipeline.account_publisher
        assert account is not None
        assert publisher is not None
        assert account.config.source == "account:sandbox"

        async def snapshots_acked() -> bool:
            status = ACCOUNT_TOPICS["status"].name
            return (
                set(account.metrics.last_snapshot) == {"5WT00001", "5WT00002"}
                and publisher.metrics.acked[status] >= 2
                and pipeline.publisher.metrics.acked["Quote"] > 0  # the market side runs too
            )

        await eventually(snapshots_acked, timeout=60, interval=0.1)
        assert account.state == "running"
        # the sink consumes the account topics too: both snapshots land in ClickHouse
        assert ACCOUNT_TOPICS["status"].name in pipeline.sink.routes
        db = settings.clickhouse.database

        async def snapshots_in_clickhouse() -> bool:
            rows = await _query(
                stack_config,
                f"SELECT DISTINCT account_number FROM {db}.account_snapshots"
                f" WHERE source = 'account:sandbox'",
            )
            return {r[0] for r in rows} == {"5WT00001", "5WT00002"}

        await eventually(
            snapshots_in_clickhouse,
            timeout=60,
            interval=0.5,
            message=f"account snapshots not in ClickHouse ({pipeline.sink.metrics()})",
        )
    finally:
        stop.set()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(task, 60)
        await server.stop()
    assert task.done()
    assert task.exception() is None
    assert account.state == "stopped"
    assert publisher.metrics.failed == {}


async def _query(stack: StackConfig, sql: str) -> list[tuple[Any, ...]]:
    def run() -> list[tuple[Any, ...]]:
        client = clickhouse_connect.get_client(
            dsn=stack.clickhouse_url,
            password=stack.clickhouse_password,
            autogenerate_session_id=False,
        )
        try:
            return [tuple(r) for r in client.query(sql).result_rows]
        finally:
            client.close()

    try:
        return await asyncio.to_thread(run)
    except DatabaseError as exc:
        if "UNKNOWN_DATABASE" in str(exc) or "UNKNOWN_TABLE" in str(exc):
            return []  # not migrated yet
        raise
