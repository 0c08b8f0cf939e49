"""The client core (auth, DXLink, account streamer) against the real sandbox over sockets.

The sandbox and client helpers are the ones of ``tests/integration/client_sandbox``; these
tests only run the sandbox with a longer streamer idle timeout (10 s) and add
``FAST_RECONNECT`` for the streamers.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import pytest

from adapters.tastytrade import Backoff, Client
from sandbox.server import SandboxServer
from tests.integration.client_sandbox.conftest import ACCOUNT, FAST_RETRY, OPEN, open_client
from tests.integration.client_sandbox.conftest import open_sandbox as open_shared_sandbox

FAST_RECONNECT = Backoff(base=0.02, cap=0.2)


def open_sandbox(**overrides: Any) -> contextlib.AbstractAsyncContextManager[SandboxServer]:
    """A fresh sandbox on port 0 with an open market; ``overrides`` win."""
    return open_shared_sandbox(**{"streamer_idle_timeout": 10.0, **overrides})


@pytest.fixture
async def sandbox() -> AsyncIterator[SandboxServer]:
    async with open_sandbox() as server:
        yield server


@pytest.fixture
async def client(sandbox: SandboxServer) -> AsyncIterator[Client]:
    async with open_client(sandbox) as api:
        yield api


__all__ = ["ACCOUNT", "FAST_RECONNECT", "FAST_RETRY", "OPEN", "open_client", "open_sandbox"]
