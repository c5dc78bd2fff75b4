-- Event-time watermarks: per consumer and partition, the event time up to which everything
-- on that partition has been consumed (see rapport_events.watermarks). '-infinity' marks a
-- partition assigned but not yet read, so it holds the consumer's watermark back.

CREATE TABLE IF NOT EXISTS consumer_watermarks (
    consumer        text        NOT NULL,
    topic           text        NOT NULL,
    partition       integer     NOT NULL,
    watermark       timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, topic, partition)
);
