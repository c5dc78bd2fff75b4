-- The balances projection: one row per points account, written in the same transaction as
-- the account's events. stream_version is the number of events the row reflects; an update
-- never replaces a row with an older version.
CREATE TABLE IF NOT EXISTS points_balances (
    member_id        text        PRIMARY KEY,
    brand_id         text        NOT NULL,
    balance          bigint      NOT NULL CHECK (balance >= 0),
    lifetime_earned  bigint      NOT NULL CHECK (lifetime_earned >= 0),
    stream_version   integer     NOT NULL CHECK (stream_version >= 1),
    updated_at       timestamptz NOT NULL
);

-- Brand listings, biggest balances first.
CREATE INDEX IF NOT EXISTS points_balances_by_brand
    ON points_balances (brand_id, balance DESC, member_id);
