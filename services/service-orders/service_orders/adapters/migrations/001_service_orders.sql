-- Appointments with the visit that completed them, purchases, and the idempotency keys
-- clients sent with their writes.

CREATE TABLE appointments (
    appointment_id  text          PRIMARY KEY,
    brand_id        text          NOT NULL,
    store_id        text          NOT NULL,
    member_id       text          NOT NULL,
    service_code    text          NOT NULL,
    scheduled_at    timestamptz   NOT NULL,
    status          text          NOT NULL CHECK (status IN ('booked', 'completed', 'cancelled')),
    booked_by       text          NOT NULL,
    booked_at       timestamptz   NOT NULL,
    visit_id        text          UNIQUE,
    amount          numeric(12,2) CHECK (amount >= 0),
    served_by       text,
    completed_at    timestamptz,
    cancelled_by    text,
    cancelled_at    timestamptz,
    -- A completed appointment has exactly one visit, a cancelled one a cancellation.
    CONSTRAINT appointments_visit_iff_completed CHECK (
        (status = 'completed') = (visit_id IS NOT NULL AND amount IS NOT NULL
                                  AND completed_at IS NOT NULL)
    ),
    CONSTRAINT appointments_cancellation_iff_cancelled CHECK (
        (status = 'cancelled') = (cancelled_by IS NOT NULL AND cancelled_at IS NOT NULL)
    )
);

CREATE INDEX appointments_by_member ON appointments (brand_id, member_id, scheduled_at DESC);
CREATE INDEX appointments_by_store ON appointments (brand_id, store_id, scheduled_at DESC);

CREATE TABLE purchases (
    purchase_id   text          PRIMARY KEY,
    brand_id      text          NOT NULL,
    store_id      text          NOT NULL,
    member_id     text          NOT NULL,
    amount        numeric(12,2) NOT NULL CHECK (amount > 0),
    description   text          NOT NULL DEFAULT '' CHECK (char_length(description) <= 200),
    recorded_by   text          NOT NULL,
    purchased_at  timestamptz   NOT NULL
);

CREATE INDEX purchases_by_member ON purchases (brand_id, member_id, purchased_at DESC);
CREATE INDEX purchases_by_store ON purchases (brand_id, store_id, purchased_at DESC);

-- Keys are scoped per brand: two brands' clients may well pick the same key.
CREATE TABLE idempotency_keys (
    brand_id         text        NOT NULL,
    idempotency_key  text        NOT NULL,
    operation        text        NOT NULL,
    fingerprint      text        NOT NULL,
    resource_id      text        NOT NULL,
    created_at       timestamptz NOT NULL,
    PRIMARY KEY (brand_id, idempotency_key)
);
