-- Contact policy per brand (marketing cap and quiet hours); brands without a row use the
-- built-in default (2 marketing pushes per 7 days, quiet 21:00-08:00 in Asia/Shanghai).
CREATE TABLE contact_policies (
    brand_id              TEXT PRIMARY KEY,
    marketing_limit       INTEGER NOT NULL CHECK (marketing_limit >= 0),
    marketing_window_days INTEGER NOT NULL CHECK (marketing_window_days >= 1),
    quiet_hours_enabled   BOOLEAN NOT NULL,
    quiet_start           TIME NOT NULL,
    quiet_end             TIME NOT NULL,
    time_zone             TEXT NOT NULL,
    updated_at            TIMESTAMPTZ NOT NULL,
    updated_by            TEXT NOT NULL,
    CHECK (quiet_start <> quiet_end)
);

-- A capped touchpoint has its own status now, and a touchpoint arriving in quiet hours is
-- held: its rendered message waits in its delivery row, with the trace it belongs to, until
-- held_until; released, the same row becomes delivered, capped or failed.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_check;
ALTER TABLE deliveries
    ADD COLUMN held_until  TIMESTAMPTZ,
    ADD COLUMN traceparent TEXT,
    ADD COLUMN tracestate  TEXT,
    ADD CONSTRAINT deliveries_status_check
        CHECK (status IN ('delivered', 'failed', 'capped', 'held')),
    ADD CONSTRAINT deliveries_reason_check CHECK ((status = 'delivered') = (reason IS NULL)),
    ADD CONSTRAINT deliveries_held_check CHECK ((status = 'held') = (held_until IS NOT NULL)),
    ADD CONSTRAINT deliveries_held_text_check CHECK (status <> 'held' OR text IS NOT NULL);

-- The release worker's queue: held rows by the end of their quiet hours, then in the order
-- they were held (the first held is the first sent when the cap has room for one only).
CREATE INDEX deliveries_held_due ON deliveries (held_until, created_at, delivery_id COLLATE "C")
    WHERE status = 'held';
