"""The Tastytrade client: OAuth2, REST, DXLink and the account streamer.

The only code in tastystream that speaks Tastytrade. Usable on its own::

    async with Client(client_secret=..., refresh_token=...) as client:
        ...
"""

from adapters.tastytrade.account_stream import (
    AccountEvent,
    AccountStreamer,
    Notification,
    Reconciliation,
    rest_reconciler,
)
from adapters.tastytrade.auth import OAuth2Auth
from adapters.tastytrade.backoff import Backoff, ReconnectSchedule, RetryPolicy, retry
from adapters.tastytrade.client import API_VERSION, Client, Environment
from adapters.tastytrade.dxlink import DXLinkStreamer, Reconnected
from adapters.tastytrade.errors import (
    ApiError,
    AuthError,
    ErrorDetail,
    ErrorStream,
    NotFound,
    ParseFailure,
    ParseWarning,
    PreflightFailed,
    RateLimited,
    StreamDisconnected,
    StreamError,
    TastytradeError,
    TransportError,
    Unrecoverable,
    is_retriable,
)
from adapters.tastytrade.events import (
    EVENT_CLASSES,
    Candle,
    Greeks,
    MarketEvent,
    Profile,
    Quote,
    Summary,
    TheoPrice,
    TimeAndSale,
    Trade,
    TradeETH,
    Underlying,
)
from adapters.tastytrade.fanout import Listener, StreamState
from adapters.tastytrade.http import ConnectFailed, HttpSession, Params, encode_path_symbol
from adapters.tastytrade.quote_token import ApiQuoteTokens, QuoteToken, StaticQuoteToken
from adapters.tastytrade.symbols import (
    CandleSymbol,
    FutureOptionSymbol,
    OptionSymbol,
    SymbolError,
    candle_symbol,
    crypto_to_streamer,
    future_option_to_streamer,
    future_to_streamer,
    occ_to_streamer,
    streamer_to_crypto,
    streamer_to_future,
    streamer_to_occ,
)

__all__ = [
    "API_VERSION",
    "EVENT_CLASSES",
    "AccountEvent",
    "AccountStreamer",
    "ApiError",
    "ApiQuoteTokens",
    "AuthError",
    "Backoff",
    "Candle",
    "CandleSymbol",
    "Client",
    "ConnectFailed",
    "DXLinkStreamer",
    "Environment",
    "ErrorDetail",
    "ErrorStream",
    "FutureOptionSymbol",
    "Greeks",
    "HttpSession",
    "Listener",
    "MarketEvent",
    "NotFound",
    "Notification",
    "OAuth2Auth",
    "OptionSymbol",
    "Params",
    "ParseFailure",
    "ParseWarning",
    "PreflightFailed",
    "Profile",
    "Quote",
    "QuoteToken",
    "RateLimited",
    "Reconciliation",
    "ReconnectSchedule",
    "Reconnected",
    "RetryPolicy",
    "StaticQuoteToken",
    "StreamDisconnected",
    "StreamError",
    "StreamState",
    "Summary",
    "SymbolError",
    "TastytradeError",
    "TheoPrice",
    "TimeAndSale",
    "Trade",
    "TradeETH",
    "TransportError",
    "Underlying",
    "Unrecoverable",
    "candle_symbol",
    "crypto_to_streamer",
    "encode_path_symbol",
    "future_option_to_streamer",
    "future_to_streamer",
    "is_retriable",
    "occ_to_streamer",
    "rest_reconciler",
    "retry",
    "streamer_to_crypto",
    "streamer_to_future",
    "streamer_to_occ",
]
