-- One replay-safe table per account topic (tt.acct.*), columns mirroring the topic's Avro fields
-- one to one (in order; the envelope's ts_event is `ts`), as the market tables do. Money and
-- quantities are the Avro decimal (bytes, precision 38, scale 10) as Decimal(38, 10): exact, never
-- Float. Order legs and their fills stay nested (Array(Tuple(...))); account_order_fills flattens
-- them. Same two replay layers as the market tables: the block-deduplication window for a batch
-- re-inserted under its token, and ReplacingMergeTree keyed on the natural key so differently cut
-- replays collapse on merge (read with FINAL for exact counts). Account tables are small:
-- monthly partitions.

-- account_orders: topic tt.acct.order.v1
CREATE TABLE IF NOT EXISTS ${database}.account_orders
(
    `event_id` UUID CODEC(ZSTD(1)) COMMENT 'Deterministic id of the source event (UUID, see schemas.envelope.event_id): the same source event always gets the same id, so every consumer dedupes on it.',
    `ts` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Source time of the event, UTC microseconds since the epoch (the feed\'s event or field time; the ingest time when the feed gives none).',
    `ts_ingest` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'When the ingestor received the event, UTC microseconds since the epoch.',
    `source` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Upstream and producer that emitted the event, e.g. `dxlink:tastytrade`, `dxlink:sandbox`, `backfill:sandbox`.',
    `correlation_id` Nullable(String) CODEC(ZSTD(1)) COMMENT 'Id of the command this event is an effect of (its `external-identifier`); null for events nobody commanded.',
    `causation_id` Nullable(String) CODEC(ZSTD(1)) COMMENT '`event_id` of the event that directly caused this one, when known.',
    `account_number` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tastytrade account number; the Kafka record key.',
    `origin` LowCardinality(String) CODEC(ZSTD(1)) COMMENT '`stream` (pushed by the account streamer), `snapshot` (REST reconciliation after a (re)connect: together with the other records of its `snapshot_id` the whole truth as of `ts_event`) or `rest` (fetched from REST to close a gap, e.g. transactions missed while disconnected).',
    `snapshot_id` Nullable(String) CODEC(ZSTD(1)) COMMENT 'Id of the reconciliation snapshot (new for every reconcile); null unless `origin` is `snapshot`.',
    `snapshot_size` Int32 CODEC(ZSTD(1)) COMMENT 'How many records of this topic the snapshot holds (0 unless `origin` is `snapshot`); an empty set is announced by the snapshot\'s `tt.acct.status.v1` record.',
    `snapshot_index` Int32 CODEC(ZSTD(1)) COMMENT 'Place of this record among the snapshot\'s records of this topic, from 0.',
    `order_id` Nullable(Int64) CODEC(ZSTD(1)) COMMENT 'Tastytrade order id.',
    `status` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Order status, e.g. `Received`, `Routed`, `Live`, `Filled`, `Cancelled`, `Rejected`.',
    `order_type` LowCardinality(String) CODEC(ZSTD(1)) COMMENT '`Limit`, `Market`, `Stop`, `Stop Limit`, `Notional Market`, ...',
    `time_in_force` LowCardinality(String) CODEC(ZSTD(1)) COMMENT '`Day`, `GTC`, `GTD`, `Ext`, `IOC`, ...',
    `underlying_symbol` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT 'Underlying symbol.',
    `underlying_instrument_type` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT 'Instrument type of the underlying.',
    `size` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Order size. Exact decimal (precision 38, scale 10).',
    `price` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Limit price (unsigned; see `price_effect`). Exact decimal (precision 38, scale 10).',
    `price_effect` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT '`Credit`, `Debit` or `None`: the sign of `price`.',
    `value` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Notional value (notional orders). Exact decimal (precision 38, scale 10).',
    `value_effect` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT '`Credit`, `Debit` or `None`: the sign of `value`.',
    `stop_trigger` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Stop trigger price. Exact decimal (precision 38, scale 10).',
    `cancellable` Nullable(Bool) CODEC(ZSTD(1)) COMMENT 'Whether it can be cancelled now.',
    `editable` Nullable(Bool) CODEC(ZSTD(1)) COMMENT 'Whether it can be replaced now.',
    `edited` Nullable(Bool) CODEC(ZSTD(1)) COMMENT 'Whether it was replaced.',
    `received_at` Nullable(DateTime64(6, 'UTC')) CODEC(ZSTD(1)) COMMENT 'When Tastytrade received it. UTC microseconds.',
    `updated_at` Nullable(DateTime64(6, 'UTC')) CODEC(ZSTD(1)) COMMENT 'Last change. UTC microseconds.',
    `live_at` Nullable(DateTime64(6, 'UTC')) CODEC(ZSTD(1)) COMMENT 'When it went live. UTC microseconds.',
    `terminal_at` Nullable(DateTime64(6, 'UTC')) CODEC(ZSTD(1)) COMMENT 'When it reached a terminal status. UTC microseconds.',
    `cancelled_at` Nullable(DateTime64(6, 'UTC')) CODEC(ZSTD(1)) COMMENT 'When it was cancelled. UTC microseconds.',
    `reject_reason` Nullable(String) CODEC(ZSTD(1)) COMMENT 'Why it was rejected.',
    `external_identifier` Nullable(String) CODEC(ZSTD(1)) COMMENT 'Caller\'s id (`external-identifier`): the command id of our executor.',
    `complex_order_id` Nullable(Int64) CODEC(ZSTD(1)) COMMENT 'Complex order (OTO/OCO/OTOCO) it belongs to.',
    `replaces_order_id` Nullable(Int64) CODEC(ZSTD(1)) COMMENT 'Order this one replaces.',
    `replacing_order_id` Nullable(Int64) CODEC(ZSTD(1)) COMMENT 'Order that replaces this one.',
    `legs` Array(Tuple(instrument_type String, symbol String, action String, quantity Nullable(Decimal(38, 10)), remaining_quantity Nullable(Decimal(38, 10)), fills Array(Tuple(fill_id String, quantity Decimal(38, 10), fill_price Decimal(38, 10), filled_at DateTime64(6, 'UTC'), destination_venue Nullable(String), ext_exec_id Nullable(String), ext_group_fill_id Nullable(String))))) CODEC(ZSTD(1)) COMMENT 'The legs, with their fills.'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (account_number, ifNull(order_id, -1), ts, event_id)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Every state of every order (stream updates, snapshot copies), by account and order id; read latest_orders for the current one, account_order_fills for the fills. Topic tt.acct.order.v1.';

-- account_positions: topic tt.acct.position.v1
CREATE TABLE IF NOT EXISTS ${database}.account_positions
(
    `event_id` UUID CODEC(ZSTD(1)) COMMENT 'Deterministic id of the source event (UUID, see schemas.envelope.event_id): the same source event always gets the same id, so every consumer dedupes on it.',
    `ts` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Source time of the event, UTC microseconds since the epoch (the feed\'s event or field time; the ingest time when the feed gives none).',
    `ts_ingest` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'When the ingestor received the event, UTC microseconds since the epoch.',
    `source` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Upstream and producer that emitted the event, e.g. `dxlink:tastytrade`, `dxlink:sandbox`, `backfill:sandbox`.',
    `correlation_id` Nullable(String) CODEC(ZSTD(1)) COMMENT 'Id of the command this event is an effect of (its `external-identifier`); null for events nobody commanded.',
    `causation_id` Nullable(String) CODEC(ZSTD(1)) COMMENT '`event_id` of the event that directly caused this one, when known.',
    `account_number` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tastytrade account number; the Kafka record key.',
    `origin` LowCardinality(String) CODEC(ZSTD(1)) COMMENT '`stream` (pushed by the account streamer), `snapshot` (REST reconciliation after a (re)connect: together with the other records of its `snapshot_id` the whole truth as of `ts_event`) or `rest` (fetched from REST to close a gap, e.g. transactions missed while disconnected).',
    `snapshot_id` Nullable(String) CODEC(ZSTD(1)) COMMENT 'Id of the reconciliation snapshot (new for every reconcile); null unless `origin` is `snapshot`.',
    `snapshot_size` Int32 CODEC(ZSTD(1)) COMMENT 'How many records of this topic the snapshot holds (0 unless `origin` is `snapshot`); an empty set is announced by the snapshot\'s `tt.acct.status.v1` record.',
    `snapshot_index` Int32 CODEC(ZSTD(1)) COMMENT 'Place of this record among the snapshot\'s records of this topic, from 0.',
    `symbol` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Order symbol.',
    `instrument_type` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tastytrade instrument type.',
    `underlying_symbol` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT 'Underlying symbol.',
    `streamer_symbol` Nullable(String) CODEC(ZSTD(1)) COMMENT 'DXLink streamer symbol.',
    `quantity` Decimal(38, 10) CODEC(ZSTD(1)) COMMENT 'Quantity as the API reports it (never negative; side in `quantity_direction`). Exact decimal (precision 38, scale 10).',
    `quantity_direction` LowCardinality(String) CODEC(ZSTD(1)) COMMENT '`Long`, `Short` or `Zero`.',
    `signed_quantity` Decimal(38, 10) CODEC(ZSTD(1)) COMMENT '`quantity` with the direction applied: short positions negative. Exact decimal (precision 38, scale 10).',
    `average_open_price` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Average open price. Decimal (precision 38, scale 10). Derived by the API: more than 10 fraction digits are rounded half-even to 10 (reported as a warning); every other decimal field refuses such values.',
    `close_price` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Previous close price (null when the API sends NaN). Decimal (precision 38, scale 10). Derived by the API: more than 10 fraction digits are rounded half-even to 10 (reported as a warning); every other decimal field refuses such values.',
    `mark` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Mark value (null when the API sends NaN). Decimal (precision 38, scale 10). Derived by the API: more than 10 fraction digits are rounded half-even to 10 (reported as a warning); every other decimal field refuses such values.',
    `mark_price` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Mark price (null when the API sends NaN). Decimal (precision 38, scale 10). Derived by the API: more than 10 fraction digits are rounded half-even to 10 (reported as a warning); every other decimal field refuses such values.',
    `multiplier` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Contract multiplier. Exact decimal (precision 38, scale 10).',
    `cost_effect` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT '`Credit`, `Debit` or `None`: the sign of `the position cost`.',
    `realized_day_gain` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Realized gain today (unsigned). Exact decimal (precision 38, scale 10).',
    `realized_day_gain_effect` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT '`Credit`, `Debit` or `None`: the sign of `realized_day_gain`.',
    `realized_today` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Realized today (unsigned). Exact decimal (precision 38, scale 10).',
    `realized_today_effect` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT '`Credit`, `Debit` or `None`: the sign of `realized_today`.',
    `created_at` Nullable(DateTime64(6, 'UTC')) CODEC(ZSTD(1)) COMMENT 'When it was opened. UTC microseconds.',
    `updated_at` Nullable(DateTime64(6, 'UTC')) CODEC(ZSTD(1)) COMMENT 'Last change. UTC microseconds.',
    `expires_at` Nullable(DateTime64(6, 'UTC')) CODEC(ZSTD(1)) COMMENT 'Expiry of derivatives. UTC microseconds.'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (account_number, symbol, instrument_type, ts, event_id)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Every position update and snapshot copy; read latest_positions / positions_as_of. Topic tt.acct.position.v1.';

-- account_balances: topic tt.acct.balance.v1
CREATE TABLE IF NOT EXISTS ${database}.account_balances
(
    `event_id` UUID CODEC(ZSTD(1)) COMMENT 'Deterministic id of the source event (UUID, see schemas.envelope.event_id): the same source event always gets the same id, so every consumer dedupes on it.',
    `ts` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Source time of the event, UTC microseconds since the epoch (the feed\'s event or field time; the ingest time when the feed gives none).',
    `ts_ingest` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'When the ingestor received the event, UTC microseconds since the epoch.',
    `source` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Upstream and producer that emitted the event, e.g. `dxlink:tastytrade`, `dxlink:sandbox`, `backfill:sandbox`.',
    `correlation_id` Nullable(String) CODEC(ZSTD(1)) COMMENT 'Id of the command this event is an effect of (its `external-identifier`); null for events nobody commanded.',
    `causation_id` Nullable(String) CODEC(ZSTD(1)) COMMENT '`event_id` of the event that directly caused this one, when known.',
    `account_number` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tastytrade account number; the Kafka record key.',
    `origin` LowCardinality(String) CODEC(ZSTD(1)) COMMENT '`stream` (pushed by the account streamer), `snapshot` (REST reconciliation after a (re)connect: together with the other records of its `snapshot_id` the whole truth as of `ts_event`) or `rest` (fetched from REST to close a gap, e.g. transactions missed while disconnected).',
    `snapshot_id` Nullable(String) CODEC(ZSTD(1)) COMMENT 'Id of the reconciliation snapshot (new for every reconcile); null unless `origin` is `snapshot`.',
    `snapshot_size` Int32 CODEC(ZSTD(1)) COMMENT 'How many records of this topic the snapshot holds (0 unless `origin` is `snapshot`); an empty set is announced by the snapshot\'s `tt.acct.status.v1` record.',
    `snapshot_index` Int32 CODEC(ZSTD(1)) COMMENT 'Place of this record among the snapshot\'s records of this topic, from 0.',
    `currency` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Currency, e.g. `USD`.',
    `cash_balance` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Cash balance. Exact decimal (precision 38, scale 10).',
    `net_liquidating_value` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Net liquidating value. Exact decimal (precision 38, scale 10).',
    `equity_buying_power` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Equity buying power. Exact decimal (precision 38, scale 10).',
    `derivative_buying_power` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Derivative buying power. Exact decimal (precision 38, scale 10).',
    `day_trading_buying_power` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Day-trading buying power. Exact decimal (precision 38, scale 10).',
    `available_trading_funds` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Available trading funds. Exact decimal (precision 38, scale 10).',
    `cash_available_to_withdraw` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Cash available to withdraw. Exact decimal (precision 38, scale 10).',
    `margin_equity` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Margin equity. Exact decimal (precision 38, scale 10).',
    `maintenance_requirement` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Maintenance requirement. Exact decimal (precision 38, scale 10).',
    `maintenance_excess` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Maintenance excess. Exact decimal (precision 38, scale 10).',
    `long_equity_value` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Long equity value. Exact decimal (precision 38, scale 10).',
    `short_equity_value` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Short equity value. Exact decimal (precision 38, scale 10).',
    `long_derivative_value` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Long derivative value. Exact decimal (precision 38, scale 10).',
    `short_derivative_value` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Short derivative value. Exact decimal (precision 38, scale 10).',
    `long_futures_value` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Long futures value. Exact decimal (precision 38, scale 10).',
    `short_futures_value` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Short futures value. Exact decimal (precision 38, scale 10).',
    `long_cryptocurrency_value` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Long cryptocurrency value. Exact decimal (precision 38, scale 10).',
    `short_cryptocurrency_value` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Short cryptocurrency value. Exact decimal (precision 38, scale 10).',
    `pending_cash` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Pending cash (unsigned). Exact decimal (precision 38, scale 10).',
    `pending_cash_effect` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT '`Credit`, `Debit` or `None`: the sign of `pending_cash`.',
    `updated_at` Nullable(DateTime64(6, 'UTC')) CODEC(ZSTD(1)) COMMENT 'Last change. UTC microseconds.'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (account_number, currency, ts, event_id)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Every balance update and snapshot copy; read latest_balances. Topic tt.acct.balance.v1.';

-- account_transactions: topic tt.acct.transaction.v1
CREATE TABLE IF NOT EXISTS ${database}.account_transactions
(
    `event_id` UUID CODEC(ZSTD(1)) COMMENT 'Deterministic id of the source event (UUID, see schemas.envelope.event_id): the same source event always gets the same id, so every consumer dedupes on it.',
    `ts` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Source time of the event, UTC microseconds since the epoch (the feed\'s event or field time; the ingest time when the feed gives none).',
    `ts_ingest` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'When the ingestor received the event, UTC microseconds since the epoch.',
    `source` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Upstream and producer that emitted the event, e.g. `dxlink:tastytrade`, `dxlink:sandbox`, `backfill:sandbox`.',
    `correlation_id` Nullable(String) CODEC(ZSTD(1)) COMMENT 'Id of the command this event is an effect of (its `external-identifier`); null for events nobody commanded.',
    `causation_id` Nullable(String) CODEC(ZSTD(1)) COMMENT '`event_id` of the event that directly caused this one, when known.',
    `account_number` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tastytrade account number; the Kafka record key.',
    `origin` LowCardinality(String) CODEC(ZSTD(1)) COMMENT '`stream` (pushed by the account streamer), `snapshot` (REST reconciliation after a (re)connect: together with the other records of its `snapshot_id` the whole truth as of `ts_event`) or `rest` (fetched from REST to close a gap, e.g. transactions missed while disconnected).',
    `snapshot_id` Nullable(String) CODEC(ZSTD(1)) COMMENT 'Id of the reconciliation snapshot (new for every reconcile); null unless `origin` is `snapshot`.',
    `snapshot_size` Int32 CODEC(ZSTD(1)) COMMENT 'How many records of this topic the snapshot holds (0 unless `origin` is `snapshot`); an empty set is announced by the snapshot\'s `tt.acct.status.v1` record.',
    `snapshot_index` Int32 CODEC(ZSTD(1)) COMMENT 'Place of this record among the snapshot\'s records of this topic, from 0.',
    `transaction_id` Int64 CODEC(ZSTD(1)) COMMENT 'Tastytrade transaction id.',
    `transaction_type` LowCardinality(String) CODEC(ZSTD(1)) COMMENT '`Trade`, `Money Movement`, `Receive Deliver`, `Fee`, ...',
    `transaction_sub_type` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT 'e.g. `Buy to Open`, `Dividend`, `Deposit`.',
    `description` Nullable(String) CODEC(ZSTD(1)) COMMENT 'Human-readable description.',
    `executed_at` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'When it was executed. UTC microseconds.',
    `transaction_date` Date32 CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Trade date.',
    `symbol` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT 'Order symbol.',
    `instrument_type` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT 'Tastytrade instrument type.',
    `underlying_symbol` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT 'Underlying symbol.',
    `action` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT 'Order action of a trade.',
    `quantity` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Quantity. Exact decimal (precision 38, scale 10).',
    `price` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Price. Exact decimal (precision 38, scale 10).',
    `value` Decimal(38, 10) CODEC(ZSTD(1)) COMMENT 'Value (unsigned; see `value_effect`). Exact decimal (precision 38, scale 10).',
    `value_effect` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT '`Credit`, `Debit` or `None`: the sign of `value`.',
    `net_value` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Value net of fees (unsigned). Exact decimal (precision 38, scale 10).',
    `net_value_effect` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT '`Credit`, `Debit` or `None`: the sign of `net_value`.',
    `commission` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Commission (unsigned). Exact decimal (precision 38, scale 10).',
    `commission_effect` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT '`Credit`, `Debit` or `None`: the sign of `commission`.',
    `clearing_fees` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Clearing fees (unsigned). Exact decimal (precision 38, scale 10).',
    `clearing_fees_effect` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT '`Credit`, `Debit` or `None`: the sign of `clearing_fees`.',
    `regulatory_fees` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Regulatory fees (unsigned). Exact decimal (precision 38, scale 10).',
    `regulatory_fees_effect` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT '`Credit`, `Debit` or `None`: the sign of `regulatory_fees`.',
    `proprietary_index_option_fees` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Proprietary index option fees (unsigned). Exact decimal (precision 38, scale 10).',
    `proprietary_index_option_fees_effect` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT '`Credit`, `Debit` or `None`: the sign of `proprietary_index_option_fees`.',
    `other_charge` Nullable(Decimal(38, 10)) CODEC(ZSTD(1)) COMMENT 'Other charge (unsigned). Exact decimal (precision 38, scale 10).',
    `other_charge_effect` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT '`Credit`, `Debit` or `None`: the sign of `other_charge`.',
    `is_estimated_fee` Nullable(Bool) CODEC(ZSTD(1)) COMMENT 'Whether the fees are estimates.',
    `order_id` Nullable(Int64) CODEC(ZSTD(1)) COMMENT 'Order that caused it.',
    `exec_id` Nullable(String) CODEC(ZSTD(1)) COMMENT 'Execution id.',
    `ext_exec_id` Nullable(String) CODEC(ZSTD(1)) COMMENT 'Venue execution id.',
    `currency` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT 'Currency.'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (account_number, transaction_id)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'The ledger: one row per transaction id however often it was delivered (stream, REST gap fill; read with FINAL). Topic tt.acct.transaction.v1.';

-- account_status: topic tt.acct.status.v1
CREATE TABLE IF NOT EXISTS ${database}.account_status
(
    `event_id` UUID CODEC(ZSTD(1)) COMMENT 'Deterministic id of the source event (UUID, see schemas.envelope.event_id): the same source event always gets the same id, so every consumer dedupes on it.',
    `ts` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'Source time of the event, UTC microseconds since the epoch (the feed\'s event or field time; the ingest time when the feed gives none).',
    `ts_ingest` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'When the ingestor received the event, UTC microseconds since the epoch.',
    `source` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Upstream and producer that emitted the event, e.g. `dxlink:tastytrade`, `dxlink:sandbox`, `backfill:sandbox`.',
    `correlation_id` Nullable(String) CODEC(ZSTD(1)) COMMENT 'Id of the command this event is an effect of (its `external-identifier`); null for events nobody commanded.',
    `causation_id` Nullable(String) CODEC(ZSTD(1)) COMMENT '`event_id` of the event that directly caused this one, when known.',
    `account_number` LowCardinality(String) CODEC(ZSTD(1)) COMMENT 'Tastytrade account number; the Kafka record key.',
    `origin` LowCardinality(String) CODEC(ZSTD(1)) COMMENT '`stream` (pushed by the account streamer), `snapshot` (REST reconciliation after a (re)connect: together with the other records of its `snapshot_id` the whole truth as of `ts_event`) or `rest` (fetched from REST to close a gap, e.g. transactions missed while disconnected).',
    `snapshot_id` Nullable(String) CODEC(ZSTD(1)) COMMENT 'Id of the reconciliation snapshot (new for every reconcile); null unless `origin` is `snapshot`.',
    `snapshot_size` Int32 CODEC(ZSTD(1)) COMMENT 'How many records of this topic the snapshot holds (0 unless `origin` is `snapshot`); an empty set is announced by the snapshot\'s `tt.acct.status.v1` record.',
    `snapshot_index` Int32 CODEC(ZSTD(1)) COMMENT 'Place of this record among the snapshot\'s records of this topic, from 0.',
    `is_closed` Nullable(Bool) CODEC(ZSTD(1)) COMMENT 'Account closed.',
    `is_closing_only` Nullable(Bool) CODEC(ZSTD(1)) COMMENT 'Only closing orders allowed.',
    `is_frozen` Nullable(Bool) CODEC(ZSTD(1)) COMMENT 'Account frozen.',
    `is_in_margin_call` Nullable(Bool) CODEC(ZSTD(1)) COMMENT 'In a margin call.',
    `is_pattern_day_trader` Nullable(Bool) CODEC(ZSTD(1)) COMMENT 'Flagged as pattern day trader.',
    `is_futures_enabled` Nullable(Bool) CODEC(ZSTD(1)) COMMENT 'Futures trading enabled.',
    `is_cryptocurrency_enabled` Nullable(Bool) CODEC(ZSTD(1)) COMMENT 'Cryptocurrency trading enabled.',
    `options_level` LowCardinality(Nullable(String)) CODEC(ZSTD(1)) COMMENT 'Options level.',
    `day_trade_count` Nullable(Int32) CODEC(ZSTD(1)) COMMENT 'Day trades counted.',
    `updated_at` Nullable(DateTime64(6, 'UTC')) CODEC(ZSTD(1)) COMMENT 'Last change of the status. UTC microseconds.',
    `snapshot_positions` Nullable(Int32) CODEC(ZSTD(1)) COMMENT 'Snapshots only: how many position records the snapshot holds (null otherwise).',
    `snapshot_orders` Nullable(Int32) CODEC(ZSTD(1)) COMMENT 'Snapshots only: how many order records (live orders) the snapshot holds.',
    `snapshot_balances` Nullable(Int32) CODEC(ZSTD(1)) COMMENT 'Snapshots only: how many balance records the snapshot holds.',
    `status_error` Nullable(String) CODEC(ZSTD(1)) COMMENT 'Snapshots only: why the trading status could not be fetched (its fields are null then).'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(ts)
ORDER BY (account_number, ts, event_id)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Trading status updates; an origin=snapshot row is the manifest of a reconciliation snapshot (its counts, its time). Topic tt.acct.status.v1.';
