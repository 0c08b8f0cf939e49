-- Batch intents of the exactly-once ClickHouse sink (sinks/checkpoint.py), one row per state change.
-- Per (topic, partition) the row with the highest `version` is the state: `pending` (the batch
-- start_offset..end_offset may or may not be in its table; replay it with the same `token`) or
-- `done` (it is; resume at end_offset + 1). version = 2 * end_offset (+ 1 when done), so it only
-- grows along a partition. The checkpoint table is the source of truth for resuming; Kafka's
-- committed offsets only mirror it for lag monitoring.
CREATE TABLE IF NOT EXISTS ${database}.sink_intents
(
    `topic` LowCardinality(String) COMMENT 'Kafka topic.',
    `partition` Int32 COMMENT 'Kafka partition.',
    `start_offset` Int64 COMMENT 'First offset of the batch.',
    `end_offset` Int64 COMMENT 'Last offset of the batch (inclusive).',
    `state` Enum8('pending' = 1, 'done' = 2) COMMENT 'pending: written before the insert; done: after it succeeded.',
    `version` UInt64 COMMENT '2 * end_offset, + 1 when done: the latest state of a partition has the highest version.',
    `token` String COMMENT 'insert_deduplication_token of the batch: topic/partition/start-end.',
    `table_name` LowCardinality(String) COMMENT 'Target table of the batch.',
    `rows` UInt32 COMMENT 'Rows inserted (0 while pending).',
    `dead_letters` UInt32 COMMENT 'Records of the batch sent to the dead-letter topic (0 while pending).',
    `consumer_group` LowCardinality(String) COMMENT 'Consumer group of the sink that wrote the row.',
    `written` DateTime64(6, 'UTC') DEFAULT now64(6) COMMENT 'When the row was written.'
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (topic, partition)
COMMENT 'Batch intents of the exactly-once ClickHouse sink (pending/done per topic partition).';
