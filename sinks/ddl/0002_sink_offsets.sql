-- Offsets the ClickHouse sink may store next to the data (per consumer group, topic, partition):
-- the next offset to read. The latest `updated` row wins; read with FINAL or argMax.
CREATE TABLE IF NOT EXISTS ${database}.sink_offsets
(
    `consumer_group` LowCardinality(String) COMMENT 'Kafka consumer group of the sink.',
    `topic` LowCardinality(String) COMMENT 'Kafka topic.',
    `partition` Int32 COMMENT 'Kafka partition.',
    `next_offset` Int64 COMMENT 'Next offset to consume: every record below it is in ClickHouse.',
    `updated` DateTime64(6, 'UTC') DEFAULT now64(6) COMMENT 'When this offset was written.'
)
ENGINE = ReplacingMergeTree(updated)
ORDER BY (consumer_group, topic, partition)
SETTINGS non_replicated_deduplication_window = 10000
COMMENT 'Kafka offsets committed by the ClickHouse sink.';
