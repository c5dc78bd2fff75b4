-- Appointments may also be missed (a no-show) and carry why they were cancelled; purchases
-- say what was bought, line by line; members review visits, once each.

ALTER TABLE appointments DROP CONSTRAINT appointments_status_check;
ALTER TABLE appointments
    ADD CONSTRAINT appointments_status_check
        CHECK (status IN ('booked', 'completed', 'cancelled', 'missed')),
    ADD COLUMN cancellation_reason text NOT NULL DEFAULT ''
        CHECK (char_length(cancellation_reason) <= 200),
    ADD COLUMN missed_at timestamptz,
    ADD CONSTRAINT appointments_missed_at_iff_missed
        CHECK ((status = 'missed') = (missed_at IS NOT NULL));

-- Each line: {"product_code": ..., "category": ..., "quantity": n}; older purchases have none.
ALTER TABLE purchases ADD COLUMN items jsonb NOT NULL DEFAULT '[]'::jsonb
    CHECK (jsonb_typeof(items) = 'array');

CREATE TABLE reviews (
    review_id       text        PRIMARY KEY,
    visit_id        text        NOT NULL UNIQUE REFERENCES appointments (visit_id),
    brand_id        text        NOT NULL,
    store_id        text        NOT NULL,
    member_id       text        NOT NULL,
    recommendation  smallint    NOT NULL CHECK (recommendation BETWEEN 0 AND 10),
    satisfaction    smallint    NOT NULL CHECK (satisfaction BETWEEN 0 AND 100),
    comment         text        NOT NULL DEFAULT '' CHECK (char_length(comment) <= 500),
    submitted_by    text        NOT NULL,
    submitted_at    timestamptz NOT NULL
);

CREATE INDEX reviews_by_member ON reviews (brand_id, member_id, submitted_at DESC);
