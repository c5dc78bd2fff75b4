-- Lists run newest first with ties broken by id, and page on (time, id): the indexes carry
-- the id so that a page is read straight off them, with or without a member or store filter.

DROP INDEX appointments_by_member;
DROP INDEX appointments_by_store;
DROP INDEX purchases_by_member;
DROP INDEX purchases_by_store;

CREATE INDEX appointments_by_brand
    ON appointments (brand_id, scheduled_at DESC, appointment_id DESC);
CREATE INDEX appointments_by_member
    ON appointments (brand_id, member_id, scheduled_at DESC, appointment_id DESC);
CREATE INDEX appointments_by_store
    ON appointments (brand_id, store_id, scheduled_at DESC, appointment_id DESC);

CREATE INDEX purchases_by_brand
    ON purchases (brand_id, purchased_at DESC, purchase_id DESC);
CREATE INDEX purchases_by_member
    ON purchases (brand_id, member_id, purchased_at DESC, purchase_id DESC);
CREATE INDEX purchases_by_store
    ON purchases (brand_id, store_id, purchased_at DESC, purchase_id DESC);
