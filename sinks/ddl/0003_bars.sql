-- OHLCV bars from trades at 1m / 5m / 1h / 1d.
--
-- Each width: an AggregatingMergeTree table `bars_<w>_agg` holding partial states, fed by a
-- materialized view `bars_<w>_mv` on every insert into `trades`, and a plain view `bars_<w>`
-- that finalizes the states (query the view). open/close are argMin/argMax over (ts, sequence),
-- so they are exact whatever order trades arrive in; trades without a finite price are ignored,
-- sizes that are NaN (indices) count as 0 volume. The agg tables keep a deduplication window so
-- a re-inserted block (same insert_deduplication_token) is not counted twice.

-- 1m bars
CREATE TABLE IF NOT EXISTS ${database}.bars_1m_agg
(
    `symbol` LowCardinality(String),
    `bucket` DateTime('UTC') CODEC(DoubleDelta, ZSTD(1)),
    `open_state` AggregateFunction(argMin, Float64, Tuple(DateTime64(6, 'UTC'), Int32)),
    `high_max` SimpleAggregateFunction(max, Float64),
    `low_min` SimpleAggregateFunction(min, Float64),
    `close_state` AggregateFunction(argMax, Float64, Tuple(DateTime64(6, 'UTC'), Int32)),
    `volume_sum` SimpleAggregateFunction(sum, Float64),
    `turnover_sum` SimpleAggregateFunction(sum, Float64),
    `trade_count` SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (symbol, bucket)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Partial OHLCV states per symbol and 1m bucket; query the view bars_1m.';

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.bars_1m_mv TO ${database}.bars_1m_agg AS
SELECT
    symbol,
    toStartOfMinute(ts) AS bucket,
    argMinState(price, (ts, sequence)) AS open_state,
    max(price) AS high_max,
    min(price) AS low_min,
    argMaxState(price, (ts, sequence)) AS close_state,
    sum(if(isFinite(size), size, 0)) AS volume_sum,
    sum(if(isFinite(size), price * size, 0)) AS turnover_sum,
    toUInt64(count()) AS trade_count
FROM ${database}.trades
WHERE isFinite(price)
GROUP BY symbol, bucket;

CREATE VIEW IF NOT EXISTS ${database}.bars_1m
(
    `symbol` LowCardinality(String),
    `bucket` DateTime('UTC'),
    `open` Float64,
    `high` Float64,
    `low` Float64,
    `close` Float64,
    `volume` Float64,
    `vwap` Float64,
    `trades` UInt64
)
AS SELECT
    symbol,
    bucket,
    argMinMerge(open_state) AS open,
    max(high_max) AS high,
    min(low_min) AS low,
    argMaxMerge(close_state) AS close,
    sum(volume_sum) AS volume,
    if(sum(volume_sum) > 0, sum(turnover_sum) / sum(volume_sum), nan) AS vwap,
    sum(trade_count) AS trades
FROM ${database}.bars_1m_agg
GROUP BY symbol, bucket;

-- 5m bars
CREATE TABLE IF NOT EXISTS ${database}.bars_5m_agg
(
    `symbol` LowCardinality(String),
    `bucket` DateTime('UTC') CODEC(DoubleDelta, ZSTD(1)),
    `open_state` AggregateFunction(argMin, Float64, Tuple(DateTime64(6, 'UTC'), Int32)),
    `high_max` SimpleAggregateFunction(max, Float64),
    `low_min` SimpleAggregateFunction(min, Float64),
    `close_state` AggregateFunction(argMax, Float64, Tuple(DateTime64(6, 'UTC'), Int32)),
    `volume_sum` SimpleAggregateFunction(sum, Float64),
    `turnover_sum` SimpleAggregateFunction(sum, Float64),
    `trade_count` SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(bucket)
ORDER BY (symbol, bucket)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Partial OHLCV states per symbol and 5m bucket; query the view bars_5m.';

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.bars_5m_mv TO ${database}.bars_5m_agg AS
SELECT
    symbol,
    toStartOfFiveMinutes(ts) AS bucket,
    argMinState(price, (ts, sequence)) AS open_state,
    max(price) AS high_max,
    min(price) AS low_min,
    argMaxState(price, (ts, sequence)) AS close_state,
    sum(if(isFinite(size), size, 0)) AS volume_sum,
    sum(if(isFinite(size), price * size, 0)) AS turnover_sum,
    toUInt64(count()) AS trade_count
FROM ${database}.trades
WHERE isFinite(price)
GROUP BY symbol, bucket;

CREATE VIEW IF NOT EXISTS ${database}.bars_5m
(
    `symbol` LowCardinality(String),
    `bucket` DateTime('UTC'),
    `open` Float64,
    `high` Float64,
    `low` Float64,
    `close` Float64,
    `volume` Float64,
    `vwap` Float64,
    `trades` UInt64
)
AS SELECT
    symbol,
    bucket,
    argMinMerge(open_state) AS open,
    max(high_max) AS high,
    min(low_min) AS low,
    argMaxMerge(close_state) AS close,
    sum(volume_sum) AS volume,
    if(sum(volume_sum) > 0, sum(turnover_sum) / sum(volume_sum), nan) AS vwap,
    sum(trade_count) AS trades
FROM ${database}.bars_5m_agg
GROUP BY symbol, bucket;

-- 1h bars
CREATE TABLE IF NOT EXISTS ${database}.bars_1h_agg
(
    `symbol` LowCardinality(String),
    `bucket` DateTime('UTC') CODEC(DoubleDelta, ZSTD(1)),
    `open_state` AggregateFunction(argMin, Float64, Tuple(DateTime64(6, 'UTC'), Int32)),
    `high_max` SimpleAggregateFunction(max, Float64),
    `low_min` SimpleAggregateFunction(min, Float64),
    `close_state` AggregateFunction(argMax, Float64, Tuple(DateTime64(6, 'UTC'), Int32)),
    `volume_sum` SimpleAggregateFunction(sum, Float64),
    `turnover_sum` SimpleAggregateFunction(sum, Float64),
    `trade_count` SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYear(bucket)
ORDER BY (symbol, bucket)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Partial OHLCV states per symbol and 1h bucket; query the view bars_1h.';

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.bars_1h_mv TO ${database}.bars_1h_agg AS
SELECT
    symbol,
    toStartOfHour(ts) AS bucket,
    argMinState(price, (ts, sequence)) AS open_state,
    max(price) AS high_max,
    min(price) AS low_min,
    argMaxState(price, (ts, sequence)) AS close_state,
    sum(if(isFinite(size), size, 0)) AS volume_sum,
    sum(if(isFinite(size), price * size, 0)) AS turnover_sum,
    toUInt64(count()) AS trade_count
FROM ${database}.trades
WHERE isFinite(price)
GROUP BY symbol, bucket;

CREATE VIEW IF NOT EXISTS ${database}.bars_1h
(
    `symbol` LowCardinality(String),
    `bucket` DateTime('UTC'),
    `open` Float64,
    `high` Float64,
    `low` Float64,
    `close` Float64,
    `volume` Float64,
    `vwap` Float64,
    `trades` UInt64
)
AS SELECT
    symbol,
    bucket,
    argMinMerge(open_state) AS open,
    max(high_max) AS high,
    min(low_min) AS low,
    argMaxMerge(close_state) AS close,
    sum(volume_sum) AS volume,
    if(sum(volume_sum) > 0, sum(turnover_sum) / sum(volume_sum), nan) AS vwap,
    sum(trade_count) AS trades
FROM ${database}.bars_1h_agg
GROUP BY symbol, bucket;

-- 1d bars
CREATE TABLE IF NOT EXISTS ${database}.bars_1d_agg
(
    `symbol` LowCardinality(String),
    `bucket` DateTime('UTC') CODEC(DoubleDelta, ZSTD(1)),
    `open_state` AggregateFunction(argMin, Float64, Tuple(DateTime64(6, 'UTC'), Int32)),
    `high_max` SimpleAggregateFunction(max, Float64),
    `low_min` SimpleAggregateFunction(min, Float64),
    `close_state` AggregateFunction(argMax, Float64, Tuple(DateTime64(6, 'UTC'), Int32)),
    `volume_sum` SimpleAggregateFunction(sum, Float64),
    `turnover_sum` SimpleAggregateFunction(sum, Float64),
    `trade_count` SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYear(bucket)
ORDER BY (symbol, bucket)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Partial OHLCV states per symbol and 1d bucket; query the view bars_1d.';

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.bars_1d_mv TO ${database}.bars_1d_agg AS
SELECT
    symbol,
    toStartOfDay(ts) AS bucket,
    argMinState(price, (ts, sequence)) AS open_state,
    max(price) AS high_max,
    min(price) AS low_min,
    argMaxState(price, (ts, sequence)) AS close_state,
    sum(if(isFinite(size), size, 0)) AS volume_sum,
    sum(if(isFinite(size), price * size, 0)) AS turnover_sum,
    toUInt64(count()) AS trade_count
FROM ${database}.trades
WHERE isFinite(price)
GROUP BY symbol, bucket;

CREATE VIEW IF NOT EXISTS ${database}.bars_1d
(
    `symbol` LowCardinality(String),
    `bucket` DateTime('UTC'),
    `open` Float64,
    `high` Float64,
    `low` Float64,
    `close` Float64,
    `volume` Float64,
    `vwap` Float64,
    `trades` UInt64
)
AS SELECT
    symbol,
    bucket,
    argMinMerge(open_state) AS open,
    max(high_max) AS high,
    min(low_min) AS low,
    argMaxMerge(close_state) AS close,
    sum(volume_sum) AS volume,
    if(sum(volume_sum) > 0, sum(turnover_sum) / sum(volume_sum), nan) AS vwap,
    sum(trade_count) AS trades
FROM ${database}.bars_1d_agg
GROUP BY symbol, bucket;
