-- The sink never wrote `sink_offsets` (0002): its intents (`sink_intents`, 0900) are the source
-- of truth for where each partition resumes, and Kafka's committed offsets mirror them for lag
-- monitoring. Dropped so nobody reads an always-empty table as the sink's progress.
DROP TABLE IF EXISTS ${database}.sink_offsets;
