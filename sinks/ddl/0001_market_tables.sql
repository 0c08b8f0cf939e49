-- One replay-safe table per market topic. Columns mirror the topic's Avro fields one to one
-- (in order), except the envelope's ts_event, stored as `ts`. Timestamps are DateTime64(6, 'UTC')
-- (the Avro timestamp-micros integers insert as ticks); NaN prices stay NaN.
--
-- Replay safety, two layers: (1) every table keeps a block-deduplication window (the last 10000
-- inserted blocks, as replicated tables do by default), so a batch
-- re-inserted with the same insert_deduplication_token (topic/partition/offset range) is dropped,
-- and so are its materialized-view blocks; (2) ReplacingMergeTree keyed on the natural key
-- including the deterministic event_id, so rows replayed in differently cut batches collapse on
-- merge (read with FINAL for exact counts).

-- quotes: topic tt.md.quote.v1
CREATE TABLE IF NOT EXISTS ${database}.quotes
(
    `event_id` UUID CODEC(ZSTD(1)) COMMENT 'Deterministic id of the source event (UUID, see schemas.envelope.event_id): the same source event always gets the same id, so every consumer dedupes on it.',
    `ts` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Source time of the event, UTC microseconds since the epoch (the feed\'s event or field time; the ingest time when the feed gives none).',
    `ts_ingest` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'When the ingestor received the event, UTC microseconds since the epoch.',
    `source` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Upstream and producer that emitted the event, e.g. `dxlink:tastytrade`, `dxlink:sandbox`, `backfill:sandbox`.',
    `symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Our symbol: the Tastytrade order symbol, e.g. `SPY`, `/ESZ24`, `BTC/USD`, `SPY   250117C00500000`.',
    `streamer_symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'The DXLink streamer symbol, e.g. `SPY`, `/ESZ24:XCME`, `BTC/USD:CXTALP`, `.SPY250117C500`, `SPY{=1m}`; the Kafka record key.',
    `instrument_type` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tastytrade instrument type: `Equity`, `Equity Option`, `Future`, `Future Option`, `Cryptocurrency`, `Index`, or `Unknown`. A string (not an enum) so new types never break readers.',
    `sequence` Int32 CODEC(ZSTD(1)) COMMENT 'Sequence number distinguishing events with the same time.',
    `time_nano_part` Int32 CODEC(ZSTD(1)) COMMENT 'Nanoseconds within the microsecond-truncated time, as sent by the feed (0 when unknown).',
    `bid_time` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Time of the last bid change (UTC microseconds; 0 when unknown).',
    `bid_exchange_code` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Exchange code of the bid (one character).',
    `bid_price` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Bid price. NaN when the feed has none.',
    `bid_size` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Bid size (decimal for crypto). NaN when the feed has none.',
    `ask_time` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Time of the last ask change (UTC microseconds; 0 when unknown).',
    `ask_exchange_code` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Exchange code of the ask (one character).',
    `ask_price` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Ask price. NaN when the feed has none.',
    `ask_size` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Ask size (decimal for crypto). NaN when the feed has none.'
)
ENGINE = ReplacingMergeTree
PARTITION BY toDate(ts)
ORDER BY (symbol, ts, event_id)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Best bid and offer (DXLink `Quote`). Topic tt.md.quote.v1.';

-- trades: topic tt.md.trade.v1
CREATE TABLE IF NOT EXISTS ${database}.trades
(
    `event_id` UUID CODEC(ZSTD(1)) COMMENT 'Deterministic id of the source event (UUID, see schemas.envelope.event_id): the same source event always gets the same id, so every consumer dedupes on it.',
    `ts` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Source time of the event, UTC microseconds since the epoch (the feed\'s event or field time; the ingest time when the feed gives none).',
    `ts_ingest` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'When the ingestor received the event, UTC microseconds since the epoch.',
    `source` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Upstream and producer that emitted the event, e.g. `dxlink:tastytrade`, `dxlink:sandbox`, `backfill:sandbox`.',
    `symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Our symbol: the Tastytrade order symbol, e.g. `SPY`, `/ESZ24`, `BTC/USD`, `SPY   250117C00500000`.',
    `streamer_symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'The DXLink streamer symbol, e.g. `SPY`, `/ESZ24:XCME`, `BTC/USD:CXTALP`, `.SPY250117C500`, `SPY{=1m}`; the Kafka record key.',
    `instrument_type` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tastytrade instrument type: `Equity`, `Equity Option`, `Future`, `Future Option`, `Cryptocurrency`, `Index`, or `Unknown`. A string (not an enum) so new types never break readers.',
    `time` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Time of the last trade (UTC microseconds; 0 when unknown).',
    `time_nano_part` Int32 CODEC(ZSTD(1)) COMMENT 'Nanoseconds within the microsecond-truncated time, as sent by the feed (0 when unknown).',
    `sequence` Int32 CODEC(ZSTD(1)) COMMENT 'Sequence number distinguishing events with the same time.',
    `exchange_code` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Exchange code of the last trade (one character; `\u0000` for composite/indices).',
    `price` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Price of the last trade. NaN when the feed has none.',
    `change` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Change of the last trade price from the previous day close. NaN when the feed has none.',
    `size` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Size of the last trade (decimal for crypto). NaN when the feed has none.',
    `day_id` Int32 CODEC(T64, ZSTD(1)) COMMENT 'Identifier of the trading day: days since the Unix epoch.',
    `day_volume` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Total volume traded for the day. NaN when the feed has none.',
    `day_turnover` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Total turnover (price × size) traded for the day. NaN when the feed has none.',
    `tick_direction` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Direction of the last trade price move: `UP`, `DOWN`, `ZERO_UP`, `ZERO_DOWN`, `ZERO`, `UNDEFINED`.',
    `extended_trading_hours` Bool CODEC(ZSTD(1)) COMMENT 'True when the last trade happened in extended trading hours.'
)
ENGINE = ReplacingMergeTree
PARTITION BY toDate(ts)
ORDER BY (symbol, ts, event_id)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Last trade of the regular session (DXLink `Trade`). Topic tt.md.trade.v1.';

-- trades_eth: topic tt.md.trade_eth.v1
CREATE TABLE IF NOT EXISTS ${database}.trades_eth
(
    `event_id` UUID CODEC(ZSTD(1)) COMMENT 'Deterministic id of the source event (UUID, see schemas.envelope.event_id): the same source event always gets the same id, so every consumer dedupes on it.',
    `ts` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Source time of the event, UTC microseconds since the epoch (the feed\'s event or field time; the ingest time when the feed gives none).',
    `ts_ingest` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'When the ingestor received the event, UTC microseconds since the epoch.',
    `source` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Upstream and producer that emitted the event, e.g. `dxlink:tastytrade`, `dxlink:sandbox`, `backfill:sandbox`.',
    `symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Our symbol: the Tastytrade order symbol, e.g. `SPY`, `/ESZ24`, `BTC/USD`, `SPY   250117C00500000`.',
    `streamer_symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'The DXLink streamer symbol, e.g. `SPY`, `/ESZ24:XCME`, `BTC/USD:CXTALP`, `.SPY250117C500`, `SPY{=1m}`; the Kafka record key.',
    `instrument_type` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tastytrade instrument type: `Equity`, `Equity Option`, `Future`, `Future Option`, `Cryptocurrency`, `Index`, or `Unknown`. A string (not an enum) so new types never break readers.',
    `time` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Time of the last trade (UTC microseconds; 0 when unknown).',
    `time_nano_part` Int32 CODEC(ZSTD(1)) COMMENT 'Nanoseconds within the microsecond-truncated time, as sent by the feed (0 when unknown).',
    `sequence` Int32 CODEC(ZSTD(1)) COMMENT 'Sequence number distinguishing events with the same time.',
    `exchange_code` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Exchange code of the last trade (one character; `\u0000` for composite/indices).',
    `price` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Price of the last trade. NaN when the feed has none.',
    `change` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Change of the last trade price from the previous day close. NaN when the feed has none.',
    `size` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Size of the last trade (decimal for crypto). NaN when the feed has none.',
    `day_id` Int32 CODEC(T64, ZSTD(1)) COMMENT 'Identifier of the trading day: days since the Unix epoch.',
    `day_volume` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Total volume traded for the day. NaN when the feed has none.',
    `day_turnover` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Total turnover (price × size) traded for the day. NaN when the feed has none.',
    `tick_direction` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Direction of the last trade price move: `UP`, `DOWN`, `ZERO_UP`, `ZERO_DOWN`, `ZERO`, `UNDEFINED`.',
    `extended_trading_hours` Bool CODEC(ZSTD(1)) COMMENT 'True when the last trade happened in extended trading hours. (Always meaningful here: TradeETH carries the extended-hours session.)'
)
ENGINE = ReplacingMergeTree
PARTITION BY toDate(ts)
ORDER BY (symbol, ts, event_id)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Last trade of the extended-hours session (DXLink `TradeETH`). Topic tt.md.trade_eth.v1.';

-- summaries: topic tt.md.summary.v1
CREATE TABLE IF NOT EXISTS ${database}.summaries
(
    `event_id` UUID CODEC(ZSTD(1)) COMMENT 'Deterministic id of the source event (UUID, see schemas.envelope.event_id): the same source event always gets the same id, so every consumer dedupes on it.',
    `ts` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Source time of the event, UTC microseconds since the epoch (the feed\'s event or field time; the ingest time when the feed gives none).',
    `ts_ingest` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'When the ingestor received the event, UTC microseconds since the epoch.',
    `source` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Upstream and producer that emitted the event, e.g. `dxlink:tastytrade`, `dxlink:sandbox`, `backfill:sandbox`.',
    `symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Our symbol: the Tastytrade order symbol, e.g. `SPY`, `/ESZ24`, `BTC/USD`, `SPY   250117C00500000`.',
    `streamer_symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'The DXLink streamer symbol, e.g. `SPY`, `/ESZ24:XCME`, `BTC/USD:CXTALP`, `.SPY250117C500`, `SPY{=1m}`; the Kafka record key.',
    `instrument_type` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tastytrade instrument type: `Equity`, `Equity Option`, `Future`, `Future Option`, `Cryptocurrency`, `Index`, or `Unknown`. A string (not an enum) so new types never break readers.',
    `day_id` Int32 CODEC(T64, ZSTD(1)) COMMENT 'Identifier of the day of this summary: days since the Unix epoch.',
    `day_open_price` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'First (open) price of the day. NaN when the feed has none.',
    `day_high_price` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Maximal (high) price of the day. NaN when the feed has none.',
    `day_low_price` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Minimal (low) price of the day. NaN when the feed has none.',
    `day_close_price` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Last (close) price of the day. NaN when the feed has none.',
    `day_close_price_type` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Type of the day close price: `REGULAR`, `INDICATIVE`, `PRELIMINARY`, `FINAL`.',
    `prev_day_id` Int32 CODEC(T64, ZSTD(1)) COMMENT 'Identifier of the previous day: days since the Unix epoch.',
    `prev_day_close_price` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Last (close) price of the previous day. NaN when the feed has none.',
    `prev_day_close_price_type` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Type of the previous day close price: `REGULAR`, `INDICATIVE`, `PRELIMINARY`, `FINAL`.',
    `prev_day_volume` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Total volume traded on the previous day. NaN when the feed has none.',
    `open_interest` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Open interest of the instrument (options and futures). NaN when the feed has none.'
)
ENGINE = ReplacingMergeTree
PARTITION BY toDate(ts)
ORDER BY (symbol, ts, event_id)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Daily summary: open/high/low/close, previous close, open interest (DXLink `Summary`). Topic tt.md.summary.v1.';

-- profiles: topic tt.md.profile.v1
CREATE TABLE IF NOT EXISTS ${database}.profiles
(
    `event_id` UUID CODEC(ZSTD(1)) COMMENT 'Deterministic id of the source event (UUID, see schemas.envelope.event_id): the same source event always gets the same id, so every consumer dedupes on it.',
    `ts` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Source time of the event, UTC microseconds since the epoch (the feed\'s event or field time; the ingest time when the feed gives none).',
    `ts_ingest` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'When the ingestor received the event, UTC microseconds since the epoch.',
    `source` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Upstream and producer that emitted the event, e.g. `dxlink:tastytrade`, `dxlink:sandbox`, `backfill:sandbox`.',
    `symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Our symbol: the Tastytrade order symbol, e.g. `SPY`, `/ESZ24`, `BTC/USD`, `SPY   250117C00500000`.',
    `streamer_symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'The DXLink streamer symbol, e.g. `SPY`, `/ESZ24:XCME`, `BTC/USD:CXTALP`, `.SPY250117C500`, `SPY{=1m}`; the Kafka record key.',
    `instrument_type` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tastytrade instrument type: `Equity`, `Equity Option`, `Future`, `Future Option`, `Cryptocurrency`, `Index`, or `Unknown`. A string (not an enum) so new types never break readers.',
    `description` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Description of the instrument.',
    `short_sale_restriction` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Short sale restriction: `ACTIVE`, `INACTIVE`, `UNDEFINED`.',
    `trading_status` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Trading status: `ACTIVE`, `HALTED`, `UNDEFINED`.',
    `status_reason` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Free-form reason for the trading status (empty when none).',
    `halt_start_time` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Start of the trading halt (UTC microseconds; 0 when not halted).',
    `halt_end_time` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'End of the trading halt (UTC microseconds; 0 when not halted).',
    `high_limit_price` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Maximal (high) allowed price (limit-up). NaN when the feed has none.',
    `low_limit_price` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Minimal (low) allowed price (limit-down). NaN when the feed has none.',
    `high_52_week_price` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Maximal (high) price in the last 52 weeks. NaN when the feed has none.',
    `low_52_week_price` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Minimal (low) price in the last 52 weeks. NaN when the feed has none.',
    `beta` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Correlation coefficient of the instrument with the S&P 500. NaN when the feed has none.',
    `earnings_per_share` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Earnings per share. NaN when the feed has none.',
    `dividend_frequency` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Frequency of cash dividend payments per year. NaN when the feed has none.',
    `ex_dividend_amount` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Amount of the last paid dividend. NaN when the feed has none.',
    `ex_dividend_day_id` Int32 CODEC(T64, ZSTD(1)) COMMENT 'Day of the last dividend payment: days since the Unix epoch (0 when unknown).',
    `shares` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Number of shares outstanding. NaN when the feed has none.',
    `free_float` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Free-float: shares available for trading. NaN when the feed has none.'
)
ENGINE = ReplacingMergeTree
PARTITION BY toDate(ts)
ORDER BY (symbol, ts, event_id)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Instrument profile: description, trading status, limits, fundamentals (DXLink `Profile`). Topic tt.md.profile.v1.';

-- greeks: topic tt.md.greeks.v1
CREATE TABLE IF NOT EXISTS ${database}.greeks
(
    `event_id` UUID CODEC(ZSTD(1)) COMMENT 'Deterministic id of the source event (UUID, see schemas.envelope.event_id): the same source event always gets the same id, so every consumer dedupes on it.',
    `ts` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Source time of the event, UTC microseconds since the epoch (the feed\'s event or field time; the ingest time when the feed gives none).',
    `ts_ingest` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'When the ingestor received the event, UTC microseconds since the epoch.',
    `source` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Upstream and producer that emitted the event, e.g. `dxlink:tastytrade`, `dxlink:sandbox`, `backfill:sandbox`.',
    `symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Our symbol: the Tastytrade order symbol, e.g. `SPY`, `/ESZ24`, `BTC/USD`, `SPY   250117C00500000`.',
    `streamer_symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'The DXLink streamer symbol, e.g. `SPY`, `/ESZ24:XCME`, `BTC/USD:CXTALP`, `.SPY250117C500`, `SPY{=1m}`; the Kafka record key.',
    `instrument_type` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tastytrade instrument type: `Equity`, `Equity Option`, `Future`, `Future Option`, `Cryptocurrency`, `Index`, or `Unknown`. A string (not an enum) so new types never break readers.',
    `event_flags` Int32 CODEC(T64, ZSTD(1)) COMMENT 'dxFeed indexed-event flags: 0x1 TX_PENDING, 0x2 REMOVE_EVENT, 0x4 SNAPSHOT_BEGIN, 0x8 SNAPSHOT_END, 0x10 SNAPSHOT_SNIP, 0x40 SNAPSHOT_MODE.',
    `index` Int64 CODEC(Delta, ZSTD(1)) COMMENT 'dxFeed event index: unique per symbol (and source), derived from time and sequence.',
    `time` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Event time (UTC microseconds; 0 when unknown).',
    `sequence` Int32 CODEC(ZSTD(1)) COMMENT 'Sequence number distinguishing events with the same time.',
    `price` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Option market price used for the greeks. NaN when the feed has none.',
    `volatility` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Black-Scholes implied volatility, as a fraction (0.397 = 39.7%). NaN when the feed has none.',
    `delta` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Option delta. NaN when the feed has none.',
    `gamma` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Option gamma. NaN when the feed has none.',
    `theta` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Option theta. NaN when the feed has none.',
    `rho` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Option rho. NaN when the feed has none.',
    `vega` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Option vega. NaN when the feed has none.'
)
ENGINE = ReplacingMergeTree
PARTITION BY toDate(ts)
ORDER BY (symbol, ts, event_id)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Option greeks and implied volatility (DXLink `Greeks`). Topic tt.md.greeks.v1.';

-- candles: topic tt.md.candle.v1
-- Candles: the live candle is re-sent as it updates, so the latest ingested version of each
-- (symbol, period, tho, candle start) wins. Partitioned by year of the candle start: a backfill
-- of years of daily candles must not touch thousands of partitions in one insert.
CREATE TABLE IF NOT EXISTS ${database}.candles
(
    `event_id` UUID CODEC(ZSTD(1)) COMMENT 'Deterministic id of the source event (UUID, see schemas.envelope.event_id): the same source event always gets the same id, so every consumer dedupes on it.',
    `ts` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Source time of the event, UTC microseconds since the epoch (the feed\'s event or field time; the ingest time when the feed gives none).',
    `ts_ingest` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'When the ingestor received the event, UTC microseconds since the epoch.',
    `source` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Upstream and producer that emitted the event, e.g. `dxlink:tastytrade`, `dxlink:sandbox`, `backfill:sandbox`.',
    `symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Our symbol: the Tastytrade order symbol, e.g. `SPY`, `/ESZ24`, `BTC/USD`, `SPY   250117C00500000`.',
    `streamer_symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'The DXLink streamer symbol, e.g. `SPY`, `/ESZ24:XCME`, `BTC/USD:CXTALP`, `.SPY250117C500`, `SPY{=1m}`; the Kafka record key.',
    `instrument_type` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tastytrade instrument type: `Equity`, `Equity Option`, `Future`, `Future Option`, `Cryptocurrency`, `Index`, or `Unknown`. A string (not an enum) so new types never break readers.',
    `event_flags` Int32 CODEC(T64, ZSTD(1)) COMMENT 'dxFeed indexed-event flags: 0x1 TX_PENDING, 0x2 REMOVE_EVENT, 0x4 SNAPSHOT_BEGIN, 0x8 SNAPSHOT_END, 0x10 SNAPSHOT_SNIP, 0x40 SNAPSHOT_MODE.',
    `index` Int64 CODEC(Delta, ZSTD(1)) COMMENT 'dxFeed event index: unique per symbol (and source), derived from time and sequence.',
    `time` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Event time (UTC microseconds; 0 when unknown).',
    `sequence` Int32 CODEC(ZSTD(1)) COMMENT 'Sequence number distinguishing events with the same time.',
    `count` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Number of trades (ticks) in the candle. NaN when the feed has none.',
    `open` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'First (open) price of the candle. NaN when the feed has none.',
    `high` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Maximal (high) price of the candle. NaN when the feed has none.',
    `low` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Minimal (low) price of the candle. NaN when the feed has none.',
    `close` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Last (close) price of the candle. NaN when the feed has none.',
    `volume` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Total volume in the candle. NaN when the feed has none.',
    `vwap` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Volume-weighted average price of the candle. NaN when the feed has none.',
    `bid_volume` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Bid volume in the candle. NaN when the feed has none.',
    `ask_volume` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Ask volume in the candle. NaN when the feed has none.',
    `imp_volatility` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Implied volatility at the candle. NaN when the feed has none.',
    `open_interest` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Open interest at the candle. NaN when the feed has none.',
    `period` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Candle period parsed from the candle symbol, e.g. `1m`, `5m`, `1h`, `1d`, `1w`, `1mo`, `100t`.',
    `trading_hours_only` Bool CODEC(ZSTD(1)) COMMENT 'True when the candle symbol asks for regular trading hours only (`tho=true`).'
)
ENGINE = ReplacingMergeTree(ts_ingest)
PARTITION BY toYear(time)
ORDER BY (symbol, period, trading_hours_only, time)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'OHLCV candle of one period (DXLink `Candle`); the live candle of the current period updates until it closes. Topic tt.md.candle.v1.';

-- theo_prices: topic tt.md.theo_price.v1
CREATE TABLE IF NOT EXISTS ${database}.theo_prices
(
    `event_id` UUID CODEC(ZSTD(1)) COMMENT 'Deterministic id of the source event (UUID, see schemas.envelope.event_id): the same source event always gets the same id, so every consumer dedupes on it.',
    `ts` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Source time of the event, UTC microseconds since the epoch (the feed\'s event or field time; the ingest time when the feed gives none).',
    `ts_ingest` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'When the ingestor received the event, UTC microseconds since the epoch.',
    `source` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Upstream and producer that emitted the event, e.g. `dxlink:tastytrade`, `dxlink:sandbox`, `backfill:sandbox`.',
    `symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Our symbol: the Tastytrade order symbol, e.g. `SPY`, `/ESZ24`, `BTC/USD`, `SPY   250117C00500000`.',
    `streamer_symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'The DXLink streamer symbol, e.g. `SPY`, `/ESZ24:XCME`, `BTC/USD:CXTALP`, `.SPY250117C500`, `SPY{=1m}`; the Kafka record key.',
    `instrument_type` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tastytrade instrument type: `Equity`, `Equity Option`, `Future`, `Future Option`, `Cryptocurrency`, `Index`, or `Unknown`. A string (not an enum) so new types never break readers.',
    `event_flags` Int32 CODEC(T64, ZSTD(1)) COMMENT 'dxFeed indexed-event flags: 0x1 TX_PENDING, 0x2 REMOVE_EVENT, 0x4 SNAPSHOT_BEGIN, 0x8 SNAPSHOT_END, 0x10 SNAPSHOT_SNIP, 0x40 SNAPSHOT_MODE.',
    `index` Int64 CODEC(Delta, ZSTD(1)) COMMENT 'dxFeed event index: unique per symbol (and source), derived from time and sequence.',
    `time` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Event time (UTC microseconds; 0 when unknown).',
    `sequence` Int32 CODEC(ZSTD(1)) COMMENT 'Sequence number distinguishing events with the same time.',
    `price` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Theoretical price. NaN when the feed has none.',
    `underlying_price` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Underlying price at the time of the theoretical price computation. NaN when the feed has none.',
    `delta` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Delta of the theoretical price. NaN when the feed has none.',
    `gamma` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Gamma of the theoretical price. NaN when the feed has none.',
    `dividend` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Implied simple dividend return of the option. NaN when the feed has none.',
    `interest` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Implied simple interest return of the option. NaN when the feed has none.'
)
ENGINE = ReplacingMergeTree
PARTITION BY toDate(ts)
ORDER BY (symbol, ts, event_id)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Theoretical option price from a pricing model (DXLink `TheoPrice`). Topic tt.md.theo_price.v1.';

-- time_and_sales: topic tt.md.time_and_sale.v1
CREATE TABLE IF NOT EXISTS ${database}.time_and_sales
(
    `event_id` UUID CODEC(ZSTD(1)) COMMENT 'Deterministic id of the source event (UUID, see schemas.envelope.event_id): the same source event always gets the same id, so every consumer dedupes on it.',
    `ts` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Source time of the event, UTC microseconds since the epoch (the feed\'s event or field time; the ingest time when the feed gives none).',
    `ts_ingest` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'When the ingestor received the event, UTC microseconds since the epoch.',
    `source` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Upstream and producer that emitted the event, e.g. `dxlink:tastytrade`, `dxlink:sandbox`, `backfill:sandbox`.',
    `symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Our symbol: the Tastytrade order symbol, e.g. `SPY`, `/ESZ24`, `BTC/USD`, `SPY   250117C00500000`.',
    `streamer_symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'The DXLink streamer symbol, e.g. `SPY`, `/ESZ24:XCME`, `BTC/USD:CXTALP`, `.SPY250117C500`, `SPY{=1m}`; the Kafka record key.',
    `instrument_type` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tastytrade instrument type: `Equity`, `Equity Option`, `Future`, `Future Option`, `Cryptocurrency`, `Index`, or `Unknown`. A string (not an enum) so new types never break readers.',
    `event_flags` Int32 CODEC(T64, ZSTD(1)) COMMENT 'dxFeed indexed-event flags: 0x1 TX_PENDING, 0x2 REMOVE_EVENT, 0x4 SNAPSHOT_BEGIN, 0x8 SNAPSHOT_END, 0x10 SNAPSHOT_SNIP, 0x40 SNAPSHOT_MODE.',
    `index` Int64 CODEC(Delta, ZSTD(1)) COMMENT 'dxFeed event index: unique per symbol (and source), derived from time and sequence.',
    `time` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Event time (UTC microseconds; 0 when unknown).',
    `time_nano_part` Int32 CODEC(ZSTD(1)) COMMENT 'Nanoseconds within the microsecond-truncated time, as sent by the feed (0 when unknown).',
    `sequence` Int32 CODEC(ZSTD(1)) COMMENT 'Sequence number distinguishing events with the same time.',
    `exchange_code` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Exchange code of the trade (one character).',
    `price` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Price of the trade. NaN when the feed has none.',
    `size` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Size of the trade (decimal for crypto). NaN when the feed has none.',
    `bid_price` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Current bid price on the exchange when the trade happened. NaN when the feed has none.',
    `ask_price` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Current ask price on the exchange when the trade happened. NaN when the feed has none.',
    `exchange_sale_conditions` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Sale conditions provided for this trade by the exchange.',
    `trade_through_exempt` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'TradeThroughExempt flag (one character).',
    `aggressor_side` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Side of the initiator of the trade: `BUY`, `SELL`, `UNDEFINED`.',
    `spread_leg` Bool CODEC(ZSTD(1)) COMMENT 'True when the trade is a leg of a spread trade.',
    `extended_trading_hours` Bool CODEC(ZSTD(1)) COMMENT 'True when the trade happened in extended trading hours.',
    `valid_tick` Bool CODEC(ZSTD(1)) COMMENT 'True when the trade is a valid tick that updates last price and volume.',
    `type` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Type of the event: `NEW`, `CORRECTION`, `CANCEL`.',
    `buyer` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Buyer of the trade (empty when unknown).',
    `seller` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Seller of the trade (empty when unknown).'
)
ENGINE = ReplacingMergeTree
PARTITION BY toDate(ts)
ORDER BY (symbol, ts, event_id)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'One trade in the time-and-sales tape (DXLink `TimeAndSale`). Topic tt.md.time_and_sale.v1.';

-- underlyings: topic tt.md.underlying.v1
CREATE TABLE IF NOT EXISTS ${database}.underlyings
(
    `event_id` UUID CODEC(ZSTD(1)) COMMENT 'Deterministic id of the source event (UUID, see schemas.envelope.event_id): the same source event always gets the same id, so every consumer dedupes on it.',
    `ts` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Source time of the event, UTC microseconds since the epoch (the feed\'s event or field time; the ingest time when the feed gives none).',
    `ts_ingest` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'When the ingestor received the event, UTC microseconds since the epoch.',
    `source` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Upstream and producer that emitted the event, e.g. `dxlink:tastytrade`, `dxlink:sandbox`, `backfill:sandbox`.',
    `symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Our symbol: the Tastytrade order symbol, e.g. `SPY`, `/ESZ24`, `BTC/USD`, `SPY   250117C00500000`.',
    `streamer_symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'The DXLink streamer symbol, e.g. `SPY`, `/ESZ24:XCME`, `BTC/USD:CXTALP`, `.SPY250117C500`, `SPY{=1m}`; the Kafka record key.',
    `instrument_type` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tastytrade instrument type: `Equity`, `Equity Option`, `Future`, `Future Option`, `Cryptocurrency`, `Index`, or `Unknown`. A string (not an enum) so new types never break readers.',
    `event_flags` Int32 CODEC(T64, ZSTD(1)) COMMENT 'dxFeed indexed-event flags: 0x1 TX_PENDING, 0x2 REMOVE_EVENT, 0x4 SNAPSHOT_BEGIN, 0x8 SNAPSHOT_END, 0x10 SNAPSHOT_SNIP, 0x40 SNAPSHOT_MODE.',
    `index` Int64 CODEC(Delta, ZSTD(1)) COMMENT 'dxFeed event index: unique per symbol (and source), derived from time and sequence.',
    `time` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Event time (UTC microseconds; 0 when unknown).',
    `sequence` Int32 CODEC(ZSTD(1)) COMMENT 'Sequence number distinguishing events with the same time.',
    `volatility` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT '30-day implied volatility of the underlying\'s options. NaN when the feed has none.',
    `front_volatility` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Front-month implied volatility. NaN when the feed has none.',
    `back_volatility` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Back-month implied volatility. NaN when the feed has none.',
    `call_volume` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Call options traded volume for the day. NaN when the feed has none.',
    `put_volume` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Put options traded volume for the day. NaN when the feed has none.',
    `option_volume` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Options traded volume for the day (calls + puts). NaN when the feed has none.',
    `put_call_ratio` Float64 CODEC(Gorilla, ZSTD(1)) COMMENT 'Ratio of put volume to call volume for the day. NaN when the feed has none.'
)
ENGINE = ReplacingMergeTree
PARTITION BY toDate(ts)
ORDER BY (symbol, ts, event_id)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Option-market statistics of an underlying (DXLink `Underlying`). Topic tt.md.underlying.v1.';
