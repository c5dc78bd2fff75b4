-- The local replica of identity's directory (rapport_events.directory), fed by identity's
-- events: only what reference checks need, no personal data.

CREATE TABLE IF NOT EXISTS directory_members (
    member_id     text PRIMARY KEY,
    brand_id      text NOT NULL,
    store_id      text NOT NULL,
    associate_id  text
);

CREATE TABLE IF NOT EXISTS directory_stores (
    store_id  text PRIMARY KEY,
    brand_id  text NOT NULL
);

CREATE TABLE IF NOT EXISTS directory_staff (
    staff_id  text PRIMARY KEY,
    brand_id  text NOT NULL,
    role      text NOT NULL,
    store_id  text
);
