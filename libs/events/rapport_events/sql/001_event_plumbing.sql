-- Plumbing every service database has: event store, outbox, relay checkpoints, inbox.
-- Rows of the append-only tables carry the id of the transaction that wrote them (xid8), so
-- readers can follow commit order without skipping rows of slow transactions.

CREATE TABLE IF NOT EXISTS event_store (
    position        bigserial   PRIMARY KEY,
    transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
    stream_id       text        NOT NULL,
    stream_version  integer     NOT NULL CHECK (stream_version >= 1),
    event_id        text        NOT NULL UNIQUE,
    event_type      text        NOT NULL,
    envelope        jsonb       NOT NULL,
    recorded_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (stream_id, stream_version)
);
CREATE INDEX IF NOT EXISTS event_store_commit_order ON event_store (transaction_id, position);

CREATE TABLE IF NOT EXISTS outbox (
    position        bigserial   PRIMARY KEY,
    transaction_id  xid8        NOT NULL DEFAULT pg_current_xact_id(),
    topic           text        NOT NULL,
    event_id        text        NOT NULL,
    envelope        jsonb       NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS outbox_commit_order ON outbox (transaction_id, position);

CREATE TABLE IF NOT EXISTS relay_checkpoints (
    name            text        PRIMARY KEY,
    transaction_id  xid8        NOT NULL,
    position        bigint      NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS processed_events (
    consumer        text        NOT NULL,
    event_id        text        NOT NULL,
    processed_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);
