-- Brands, stores, staff and members. Members' names and phones are stored encrypted
-- (AES-GCM, bound to column and row); phone_index is a keyed digest of the normalised
-- phone that enforces one member per phone and brand without storing the number in clear.

CREATE TABLE brands (
    brand_id    text PRIMARY KEY,
    code        text NOT NULL,
    name        text NOT NULL,
    CONSTRAINT brands_code_unique UNIQUE (code)
);

CREATE TABLE stores (
    store_id    text PRIMARY KEY,
    brand_id    text NOT NULL REFERENCES brands (brand_id),
    name        text NOT NULL,
    city        text NOT NULL
);
CREATE INDEX stores_by_brand ON stores (brand_id, name, store_id);

CREATE TABLE staff (
    staff_id      text PRIMARY KEY,
    brand_id      text NOT NULL REFERENCES brands (brand_id),
    store_id      text REFERENCES stores (store_id),
    role          text NOT NULL CHECK (role IN ('hq', 'store_manager', 'associate')),
    display_name  text NOT NULL,
    username      text NOT NULL,
    password_hash text NOT NULL,
    invite_code   text,
    CONSTRAINT staff_username_unique UNIQUE (brand_id, username),
    CONSTRAINT staff_invite_code_unique UNIQUE (brand_id, invite_code),
    CONSTRAINT staff_store_by_role CHECK ((role = 'hq') = (store_id IS NULL)),
    CONSTRAINT staff_invite_code_by_role CHECK ((role = 'associate') = (invite_code IS NOT NULL))
);
CREATE INDEX staff_by_brand ON staff (brand_id, display_name, staff_id);

CREATE TABLE members (
    member_id          text PRIMARY KEY,
    brand_id           text NOT NULL REFERENCES brands (brand_id),
    store_id           text NOT NULL REFERENCES stores (store_id),
    name_encrypted     text NOT NULL,
    surname            text NOT NULL,
    phone_encrypted    text NOT NULL,
    phone_index        text NOT NULL,
    gender             text NOT NULL CHECK (gender IN ('female', 'male', 'unspecified')),
    birthday           date,
    preferred_channel  text NOT NULL CHECK (preferred_channel IN ('sms', 'wechat', 'app')),
    associate_id       text REFERENCES staff (staff_id),
    bound_at           timestamptz,
    registered_at      timestamptz NOT NULL,
    CONSTRAINT members_phone_unique UNIQUE (brand_id, phone_index)
);
-- Listings run newest first with keyset pagination on (registered_at, member_id).
CREATE INDEX members_by_brand ON members (brand_id, registered_at DESC, member_id DESC);
CREATE INDEX members_by_store ON members (store_id, registered_at DESC, member_id DESC);
CREATE INDEX members_by_associate ON members (associate_id, registered_at DESC, member_id DESC)
    WHERE associate_id IS NOT NULL;
