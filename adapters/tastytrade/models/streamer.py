"""Quote tokens, account-streamer acks and the notification ``type`` → model map (§1.1, §6)."""

from __future__ import annotations

from adapters.tastytrade.models.accounts import TradingStatus
from adapters.tastytrade.models.alerts import QuoteAlert
from adapters.tastytrade.models.balances import AccountBalance
from adapters.tastytrade.models.base import TastytradeModel, Timestamp
from adapters.tastytrade.models.orders import ComplexOrder, Order, OrderChain
from adapters.tastytrade.models.positions import CurrentPosition, UnderlyingYearGainSummary
from adapters.tastytrade.models.transactions import ExternalTransaction, Transaction
from adapters.tastytrade.models.watchlists import Watchlist


class ApiQuoteToken(TastytradeModel):
    """``GET /api-quote-tokens``: the DXLink token (valid 24 h) and where to use it."""

    token: str
    dxlink_url: str
    level: str | None = None
    issued_at: Timestamp | None = None
    expires_at: Timestamp | None = None
    websocket_url: str | None = None

    def __repr__(self) -> str:  # the token is a credential: never in logs or reprs
        return f"ApiQuoteToken(dxlink_url={self.dxlink_url!r}, level={self.level!r}, token=***)"

    __str__ = __repr__


class StreamerAck(TastytradeModel):
    """An account-streamer reply to an action: ``{status, action, web-socket-session-id, …}``."""

    status: str
    action: str
    web_socket_session_id: str | None = None
    value: list[str] | str | None = None
    message: str | None = None
    request_id: int | None = None

    @property
    def ok(self) -> bool:
        return self.status == "ok"


NOTIFICATION_MODELS: dict[str, type[TastytradeModel]] = {
    "Order": Order,
    "ComplexOrder": ComplexOrder,
    "AccountBalance": AccountBalance,
    "CurrentPosition": CurrentPosition,
    "ExternalTransaction": ExternalTransaction,
    "TradingStatus": TradingStatus,
    "QuoteAlert": QuoteAlert,
    "PublicWatchlists": Watchlist,
    "UnderlyingYearGainSummary": UnderlyingYearGainSummary,
    "OrderChain": OrderChain,
    "Transaction": Transaction,
}
"""Account-streamer notification ``type`` → the model of its ``data`` (same JSON as REST)."""

__all__ = ["NOTIFICATION_MODELS", "ApiQuoteToken", "StreamerAck"]
