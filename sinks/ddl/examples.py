"""The example queries the README shows; they run as written in database ``tastystream``.

Run them with ``tastystream sql "<query>"`` or any ClickHouse client whose default database is
``tastystream`` (``clickhouse client --database tastystream``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = [
    "ACCOUNT_EXAMPLES",
    "ASOF_TRADES_QUOTES",
    "BARS_5M_FOR_A_DAY",
    "DAY_NET_CASH",
    "EXAMPLES",
    "LATEST_QUOTES",
    "ORDER_AUDIT_TRAIL",
    "POSITIONS_AS_OF",
    "Example",
]


@dataclass(frozen=True, slots=True)
class Example:
    """One example: a title for humans and the SQL."""

    title: str
    sql: str


LATEST_QUOTES: Final = """\
SELECT symbol, ts, bid_price, ask_price, mid, spread
FROM latest_quotes
ORDER BY symbol"""

BARS_5M_FOR_A_DAY: Final = """\
SELECT bucket, open, high, low, close, volume, round(vwap, 4) AS vwap, trades
FROM bars_5m
WHERE symbol = 'SPY'
  AND toDate(bucket) = (SELECT max(toDate(bucket)) FROM bars_5m WHERE symbol = 'SPY')
ORDER BY bucket"""

ASOF_TRADES_QUOTES: Final = """\
SELECT t.ts, t.price, t.size, q.bid_price, q.ask_price,
       round(t.price - (q.bid_price + q.ask_price) / 2, 4) AS vs_mid
FROM trades AS t
ASOF JOIN (SELECT symbol, ts, bid_price, ask_price FROM quotes WHERE symbol = 'SPY') AS q
  ON t.symbol = q.symbol AND t.ts >= q.ts
WHERE t.symbol = 'SPY' AND isFinite(t.price)
ORDER BY t.ts DESC
LIMIT 20"""

EXAMPLES: Final[tuple[Example, ...]] = (
    Example("Latest quote per symbol", LATEST_QUOTES),
    Example("5-minute SPY bars for the latest day with trades", BARS_5M_FOR_A_DAY),
    Example("Last 20 SPY trades with the quote in force (ASOF join)", ASOF_TRADES_QUOTES),
)

POSITIONS_AS_OF: Final = """\
SELECT account_number, symbol, instrument_type, signed_quantity, average_open_price, ts, origin
FROM positions_as_of(at = '2026-01-02 15:30:00')
ORDER BY account_number, symbol"""

DAY_NET_CASH: Final = """\
SELECT account_number, transaction_date,
       sum(if(ifNull(net_value_effect, value_effect) = 'Debit', -1, 1)
           * ifNull(net_value, value)) AS net_cash,
       sum(if(commission_effect = 'Debit', -1, 1) * ifNull(commission, 0)
           + if(clearing_fees_effect = 'Debit', -1, 1) * ifNull(clearing_fees, 0)
           + if(regulatory_fees_effect = 'Debit', -1, 1) * ifNull(regulatory_fees, 0)) AS fees,
       count() AS transactions
FROM account_transactions FINAL
GROUP BY account_number, transaction_date
ORDER BY account_number, transaction_date"""

ORDER_AUDIT_TRAIL: Final = """\
SELECT ts, origin, status, size, price, price_effect, reject_reason, correlation_id
FROM account_orders FINAL
WHERE order_id = 1001
ORDER BY ts, ts_ingest"""

ACCOUNT_EXAMPLES: Final[tuple[Example, ...]] = (
    Example("Open positions per account as of a past time", POSITIONS_AS_OF),
    Example("Net cash flow (day P&L in cash) and fees per account and day", DAY_NET_CASH),
    Example("The audit trail of one order: every state it went through", ORDER_AUDIT_TRAIL),
)
