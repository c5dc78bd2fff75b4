-- One row per touchpoint, sent or refused: the local channel's record of what it sent and
-- the reason for everything it did not send.
CREATE TABLE deliveries (
    seq            BIGINT GENERATED ALWAYS AS IDENTITY,
    delivery_id    TEXT PRIMARY KEY,
    touchpoint_id  TEXT NOT NULL UNIQUE,
    brand_id       TEXT NOT NULL,
    store_id       TEXT,
    member_id      TEXT NOT NULL,
    recipient_id   TEXT NOT NULL,
    audience       TEXT NOT NULL,
    channel        TEXT NOT NULL,
    template       TEXT NOT NULL,
    marketing      BOOLEAN NOT NULL,
    text           TEXT,
    status         TEXT NOT NULL CHECK (status IN ('delivered', 'failed')),
    reason         TEXT,
    trace_id       TEXT,
    correlation_id TEXT,
    created_at     TIMESTAMPTZ NOT NULL,
    CHECK ((status = 'failed') = (reason IS NOT NULL))
);

CREATE INDEX deliveries_brand_recent ON deliveries (brand_id, created_at DESC, seq DESC);
CREATE INDEX deliveries_member_recent ON deliveries (brand_id, member_id, created_at DESC);
-- The weekly marketing cap counts only these rows.
CREATE INDEX deliveries_marketing_sent ON deliveries (brand_id, member_id, created_at)
    WHERE marketing AND status = 'delivered';

-- A brand's own version of a template; keys without a row use the built-in default.
CREATE TABLE templates (
    brand_id   TEXT NOT NULL,
    key        TEXT NOT NULL,
    channel    TEXT NOT NULL CHECK (channel IN ('sms', 'wechat', 'app', 'task')),
    body       TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by TEXT NOT NULL,
    PRIMARY KEY (brand_id, key)
);
