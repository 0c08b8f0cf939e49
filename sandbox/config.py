"""Sandbox configuration: fixed, documented defaults that every flag can override.

Default credentials (also printed by ``python -m sandbox``):

=====================  ==============================
client secret          ``sandbox-client-secret``
refresh token          ``sandbox-refresh-token``
accounts               ``5WT00001`` (margin), ``5WT00002`` (margin), ``5WT00003`` (cash)
admin secret           ``sandbox-admin`` (header ``X-Sandbox-Admin`` on ``/_sandbox/*``)
customer / user        ``me`` id ``C0000001``, user ``sandbox-user`` (external id ``U0000001``)
other customer         refresh token ``sandbox-other-refresh-token``, account ``5WT00099``
=====================  ==============================

Accounts after the first two default to margin, the last one listed to cash when three or more
are given; ``account_types`` overrides that per account.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from pathlib import Path

DEFAULT_CLIENT_SECRET = "sandbox-client-secret"
DEFAULT_REFRESH_TOKEN = "sandbox-refresh-token"
DEFAULT_OTHER_REFRESH_TOKEN = "sandbox-other-refresh-token"
DEFAULT_ADMIN_SECRET = "sandbox-admin"
DEFAULT_ACCOUNTS = ("5WT00001", "5WT00002", "5WT00003")
DEFAULT_OTHER_ACCOUNT = "5WT00099"


@dataclass(frozen=True)
class CustomerIdentity:
    """Who a refresh token logs in as."""

    customer_id: str
    user_id: int
    user_external_id: str
    username: str
    email: str
    first_name: str
    last_name: str


PRIMARY_CUSTOMER = CustomerIdentity(
    customer_id="C0000001",
    user_id=1001,
    user_external_id="U0000001",
    username="sandbox-user",
    email="sandbox-user@example.com",
    first_name="Sandy",
    last_name="Box",
)
OTHER_CUSTOMER = CustomerIdentity(
    customer_id="C0000002",
    user_id=1002,
    user_external_id="U0000002",
    username="other-user",
    email="other-user@example.com",
    first_name="Otto",
    last_name="Other",
)


@dataclass(frozen=True)
class SandboxConfig:
    """Everything the sandbox needs; build once at the entry point and pass it down."""

    host: str = "127.0.0.1"
    port: int = 8765
    seed: int = 42
    client_secret: str = DEFAULT_CLIENT_SECRET
    client_id: str = ""
    refresh_token: str = DEFAULT_REFRESH_TOKEN
    other_refresh_token: str = DEFAULT_OTHER_REFRESH_TOKEN
    accounts: tuple[str, ...] = DEFAULT_ACCOUNTS
    account_types: tuple[tuple[str, str], ...] = ()
    other_accounts: tuple[str, ...] = (DEFAULT_OTHER_ACCOUNT,)
    initial_cash: Decimal = Decimal("100000")
    access_token_ttl: float = 900.0
    quote_token_ttl: float = 86400.0
    admin_secret: str = DEFAULT_ADMIN_SECRET
    clock_speed: float = 1.0
    clock_start: datetime | None = None
    state_file: Path | None = None
    oldest_api_version: str = "20250813"
    streamer_idle_timeout: float = 60.0
    dxlink_keepalive_timeout: float = 60.0
    engine_step_delay: float = 0.01
    engine_poll_interval: float = 0.25
    persist_interval: float = 0.5
    customer: CustomerIdentity = field(default=PRIMARY_CUSTOMER)
    other_customer: CustomerIdentity = field(default=OTHER_CUSTOMER)

    def margin_or_cash(self, account_number: str) -> str:
        """``"Margin"`` or ``"Cash"`` for an account of this sandbox."""
        explicit = dict(self.account_types)
        if account_number in explicit:
            return explicit[account_number]
        if len(self.accounts) >= 3 and account_number == self.accounts[-1]:
            return "Cash"
        return "Margin"

    def owner_of(self, account_number: str) -> CustomerIdentity | None:
        if account_number in self.accounts:
            return self.customer
        if account_number in self.other_accounts:
            return self.other_customer
        return None

    def accounts_of(self, customer_id: str) -> tuple[str, ...]:
        if customer_id == self.customer.customer_id:
            return self.accounts
        if customer_id == self.other_customer.customer_id:
            return self.other_accounts
        return ()

    def all_accounts(self) -> tuple[str, ...]:
        return self.accounts + tuple(a for a in self.other_accounts if a not in self.accounts)

    def with_port(self, port: int) -> SandboxConfig:
        return replace(self, port=port)


__all__ = [
    "DEFAULT_ACCOUNTS",
    "DEFAULT_ADMIN_SECRET",
    "DEFAULT_CLIENT_SECRET",
    "DEFAULT_OTHER_ACCOUNT",
    "DEFAULT_OTHER_REFRESH_TOKEN",
    "DEFAULT_REFRESH_TOKEN",
    "OTHER_CUSTOMER",
    "PRIMARY_CUSTOMER",
    "CustomerIdentity",
    "SandboxConfig",
]
