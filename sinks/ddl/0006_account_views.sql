-- Derived account state: fills flattened out of the order legs, and the latest state of orders,
-- positions and balances. Ties on `ts` are broken by the later ingest.
--
-- Snapshots: after every (re)connect the account ingestor writes a reconciliation snapshot (all
-- records share its `ts` and `snapshot_id`), and last its manifest, an origin='snapshot' row of
-- account_status. A snapshot replaces what it covers: a position whose newest row is older than
-- the account's newest snapshot was not in it, so it is closed; a position row with quantity 0
-- is a close too.

-- Every fill of every order leg, once (the fills repeat in each later order state).
CREATE TABLE IF NOT EXISTS ${database}.account_order_fills
(
    `account_number` LowCardinality(String) COMMENT 'Tastytrade account number.',
    `order_id` Int64 COMMENT 'Tastytrade order id.',
    `leg` UInt32 COMMENT 'Leg of the order, from 1.',
    `instrument_type` LowCardinality(String) COMMENT 'Instrument type of the leg.',
    `symbol` LowCardinality(String) COMMENT 'Symbol of the leg.',
    `action` LowCardinality(String) COMMENT 'Action of the leg, e.g. `Buy to Open`.',
    `fill_id` String COMMENT 'Fill id.',
    `quantity` Decimal(38, 10) COMMENT 'Filled quantity.',
    `fill_price` Decimal(38, 10) COMMENT 'Fill price.',
    `filled_at` DateTime64(6, 'UTC') CODEC(DoubleDelta, ZSTD(1)) COMMENT 'When it filled.',
    `destination_venue` Nullable(String) COMMENT 'Venue.',
    `ext_exec_id` Nullable(String) COMMENT 'Venue execution id.',
    `ext_group_fill_id` Nullable(String) COMMENT 'Venue group fill id.'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(filled_at)
ORDER BY (account_number, order_id, leg, fill_id)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Fills of the order legs of account_orders, one row per fill (read with FINAL).';

CREATE MATERIALIZED VIEW IF NOT EXISTS ${database}.account_order_fills_mv TO ${database}.account_order_fills AS
SELECT
    account_number,
    assumeNotNull(order_id) AS order_id,
    toUInt32(leg_number) AS leg,
    tupleElement(leg_row, 'instrument_type') AS instrument_type,
    tupleElement(leg_row, 'symbol') AS symbol,
    tupleElement(leg_row, 'action') AS action,
    tupleElement(fill, 'fill_id') AS fill_id,
    tupleElement(fill, 'quantity') AS quantity,
    tupleElement(fill, 'fill_price') AS fill_price,
    tupleElement(fill, 'filled_at') AS filled_at,
    tupleElement(fill, 'destination_venue') AS destination_venue,
    tupleElement(fill, 'ext_exec_id') AS ext_exec_id,
    tupleElement(fill, 'ext_group_fill_id') AS ext_group_fill_id
FROM ${database}.account_orders
ARRAY JOIN legs AS leg_row, arrayEnumerate(legs) AS leg_number
ARRAY JOIN tupleElement(leg_row, 'fills') AS fill
WHERE order_id IS NOT NULL;

-- The newest snapshot time per account.
CREATE VIEW IF NOT EXISTS ${database}.account_snapshots AS
SELECT account_number, snapshot_id, ts, source, snapshot_positions, snapshot_orders, snapshot_balances
FROM ${database}.account_status FINAL
WHERE origin = 'snapshot';

-- The latest state of every order. `stale`: the order was not live in the account's newest
-- snapshot although its latest state here is not terminal (it ended while the stream was down;
-- its final state is not known yet).
CREATE VIEW IF NOT EXISTS ${database}.latest_orders AS
SELECT
    o.*,
    o.ts < s.since AND o.status NOT IN ('Filled', 'Cancelled', 'Rejected', 'Expired', 'Removed', 'Partially Removed') AS stale
FROM
(
    SELECT *
    FROM ${database}.account_orders FINAL
    WHERE order_id IS NOT NULL
    ORDER BY ts DESC, ts_ingest DESC, event_id DESC
    LIMIT 1 BY account_number, order_id
) AS o
LEFT JOIN
(
    SELECT account_number, max(ts) AS since FROM ${database}.account_snapshots GROUP BY account_number
) AS s ON o.account_number = s.account_number;

-- Open positions as of a time: SELECT * FROM positions_as_of(at = '2026-01-02 15:30:00').
-- Per account the newest snapshot at or before `at`, then the newest row per position since it.
CREATE VIEW IF NOT EXISTS ${database}.positions_as_of AS
SELECT p.*
FROM
(
    SELECT *
    FROM ${database}.account_positions FINAL
    WHERE ts <= {at:DateTime64(6, 'UTC')}
    ORDER BY ts DESC, ts_ingest DESC, event_id DESC
    LIMIT 1 BY account_number, instrument_type, symbol
) AS p
LEFT JOIN
(
    SELECT account_number, max(ts) AS since
    FROM ${database}.account_snapshots
    WHERE ts <= {at:DateTime64(6, 'UTC')}
    GROUP BY account_number
) AS s ON p.account_number = s.account_number
WHERE p.ts >= s.since AND p.quantity != 0;

-- Open positions now.
CREATE VIEW IF NOT EXISTS ${database}.latest_positions AS
SELECT * FROM ${database}.positions_as_of(at = '2299-12-31 23:59:59.999999');

-- The latest balance per account and currency.
CREATE VIEW IF NOT EXISTS ${database}.latest_balances AS
SELECT *
FROM ${database}.account_balances FINAL
ORDER BY ts DESC, ts_ingest DESC, event_id DESC
LIMIT 1 BY account_number, currency;
