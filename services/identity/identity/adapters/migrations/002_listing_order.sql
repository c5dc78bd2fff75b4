-- Stores and staff are listed by name with keyset cursors. Names are compared byte-wise
-- (COLLATE "C"), so the order and the cursor boundaries do not depend on the server's
-- locale, and these indexes serve those listings.

DROP INDEX stores_by_brand;
CREATE INDEX stores_by_brand ON stores (brand_id, name COLLATE "C", store_id COLLATE "C");

DROP INDEX staff_by_brand;
CREATE INDEX staff_by_brand ON staff (brand_id, display_name COLLATE "C", staff_id COLLATE "C");
CREATE INDEX staff_by_store ON staff (store_id, display_name COLLATE "C", staff_id COLLATE "C")
    WHERE store_id IS NOT NULL;
