-- Derived quote and trade series: mid prices per second and the latest values per symbol.

-- Mid price per symbol and second: the last two-sided quote in each second.
CREATE TABLE IF NOT EXISTS ${database}.quote_mids_1s_agg
(
    `symbol` LowCardinality(String),
    `bucket` DateTime('UTC') CODEC(DoubleDelta, ZSTD(1)),
    `bid_state` AggregateFunction(argMax, Float64, Tuple(DateTime64(6, 'UTC'), Int32)),
    `ask_state` AggregateFunction(argMax, Float64, Tuple(DateTime64(6, 'UTC'), Int32)),
    `updates` SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toDate(bucket)
ORDER BY (symbol, bucket)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Last bid/ask states per symbol and second; query the view quote_mids.';

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.quote_mids_1s_mv TO ${database}.quote_mids_1s_agg AS
SELECT
    symbol,
    toStartOfSecond(ts) AS bucket,
    argMaxState(bid_price, (ts, sequence)) AS bid_state,
    argMaxState(ask_price, (ts, sequence)) AS ask_state,
    toUInt64(count()) AS updates
FROM ${database}.quotes
WHERE isFinite(bid_price) AND isFinite(ask_price) AND bid_price >= 0 AND ask_price > 0
GROUP BY symbol, bucket;

CREATE VIEW IF NOT EXISTS ${database}.quote_mids
(
    `symbol` LowCardinality(String),
    `ts` DateTime('UTC'),
    `bid` Float64,
    `ask` Float64,
    `mid` Float64,
    `spread` Float64,
    `updates` UInt64
)
AS SELECT
    symbol,
    bucket AS ts,
    argMaxMerge(bid_state) AS bid,
    argMaxMerge(ask_state) AS ask,
    (bid + ask) / 2 AS mid,
    ask - bid AS spread,
    sum(updates) AS updates
FROM ${database}.quote_mids_1s_agg
GROUP BY symbol, bucket;

-- Latest quote per symbol (argMax over (ts, sequence)): one small row per symbol.
CREATE TABLE IF NOT EXISTS ${database}.latest_quotes_agg
(
    `symbol` LowCardinality(String),
    `ts_max` SimpleAggregateFunction(max, DateTime64(6, 'UTC')),
    `streamer_symbol_state` AggregateFunction(argMax, String, Tuple(DateTime64(6, 'UTC'), Int32)),
    `bid_price_state` AggregateFunction(argMax, Float64, Tuple(DateTime64(6, 'UTC'), Int32)),
    `bid_size_state` AggregateFunction(argMax, Float64, Tuple(DateTime64(6, 'UTC'), Int32)),
    `ask_price_state` AggregateFunction(argMax, Float64, Tuple(DateTime64(6, 'UTC'), Int32)),
    `ask_size_state` AggregateFunction(argMax, Float64, Tuple(DateTime64(6, 'UTC'), Int32))
)
ENGINE = AggregatingMergeTree
ORDER BY symbol
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Latest quote states per symbol; query the view latest_quotes.';

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.latest_quotes_mv TO ${database}.latest_quotes_agg AS
SELECT
    symbol,
    max(ts) AS ts_max,
    argMaxState(toString(streamer_symbol), (ts, sequence)) AS streamer_symbol_state,
    argMaxState(bid_price, (ts, sequence)) AS bid_price_state,
    argMaxState(bid_size, (ts, sequence)) AS bid_size_state,
    argMaxState(ask_price, (ts, sequence)) AS ask_price_state,
    argMaxState(ask_size, (ts, sequence)) AS ask_size_state
FROM ${database}.quotes
GROUP BY symbol;

CREATE VIEW IF NOT EXISTS ${database}.latest_quotes
(
    `symbol` LowCardinality(String),
    `streamer_symbol` String,
    `ts` DateTime64(6, 'UTC'),
    `bid_price` Float64,
    `bid_size` Float64,
    `ask_price` Float64,
    `ask_size` Float64,
    `mid` Float64,
    `spread` Float64
)
AS SELECT
    symbol,
    argMaxMerge(streamer_symbol_state) AS streamer_symbol,
    max(ts_max) AS ts,
    argMaxMerge(bid_price_state) AS bid_price,
    argMaxMerge(bid_size_state) AS bid_size,
    argMaxMerge(ask_price_state) AS ask_price,
    argMaxMerge(ask_size_state) AS ask_size,
    (bid_price + ask_price) / 2 AS mid,
    ask_price - bid_price AS spread
FROM ${database}.latest_quotes_agg
GROUP BY symbol;

-- Latest trade per symbol: last price, size and day volume.
CREATE TABLE IF NOT EXISTS ${database}.latest_trades_agg
(
    `symbol` LowCardinality(String),
    `ts_max` SimpleAggregateFunction(max, DateTime64(6, 'UTC')),
    `price_state` AggregateFunction(argMax, Float64, Tuple(DateTime64(6, 'UTC'), Int32)),
    `size_state` AggregateFunction(argMax, Float64, Tuple(DateTime64(6, 'UTC'), Int32)),
    `change_state` AggregateFunction(argMax, Float64, Tuple(DateTime64(6, 'UTC'), Int32)),
    `day_volume_state` AggregateFunction(argMax, Float64, Tuple(DateTime64(6, 'UTC'), Int32))
)
ENGINE = AggregatingMergeTree
ORDER BY symbol
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Latest trade states per symbol; query the view latest_trades.';

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.latest_trades_mv TO ${database}.latest_trades_agg AS
SELECT
    symbol,
    max(ts) AS ts_max,
    argMaxState(price, (ts, sequence)) AS price_state,
    argMaxState(size, (ts, sequence)) AS size_state,
    argMaxState(change, (ts, sequence)) AS change_state,
    argMaxState(day_volume, (ts, sequence)) AS day_volume_state
FROM ${database}.trades
WHERE isFinite(price)
GROUP BY symbol;

CREATE VIEW IF NOT EXISTS ${database}.latest_trades
(
    `symbol` LowCardinality(String),
    `ts` DateTime64(6, 'UTC'),
    `price` Float64,
    `size` Float64,
    `change` Float64,
    `day_volume` Float64
)
AS SELECT
    symbol,
    max(ts_max) AS ts,
    argMaxMerge(price_state) AS price,
    argMaxMerge(size_state) AS size,
    argMaxMerge(change_state) AS change,
    argMaxMerge(day_volume_state) AS day_volume
FROM ${database}.latest_trades_agg
GROUP BY symbol;
