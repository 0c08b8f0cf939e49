"""The example queries the README shows; they run as written in database ``tastystream``.

Run them with ``tastystream sql "<query>"`` or any ClickHouse client whose default database is
``tastystream`` (``clickhouse client --database tastystream``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["ASOF_TRADES_QUOTES", "BARS_5M_FOR_A_DAY", "EXAMPLES", "LATEST_QUOTES", "Example"]


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
