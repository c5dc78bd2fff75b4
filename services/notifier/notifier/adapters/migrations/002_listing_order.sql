-- Deliveries are listed newest first with keyset cursors (created_at, delivery_id), and
-- templates by key. Ids and keys are compared byte-wise (COLLATE "C"), so the order and the
-- cursor boundaries do not depend on the server's locale; these indexes serve those listings.

DROP INDEX deliveries_brand_recent;
CREATE INDEX deliveries_brand_recent
    ON deliveries (brand_id, created_at DESC, delivery_id COLLATE "C" DESC);

DROP INDEX deliveries_member_recent;
CREATE INDEX deliveries_member_recent
    ON deliveries (brand_id, member_id, created_at DESC, delivery_id COLLATE "C" DESC);

-- An associate's task list.
CREATE INDEX deliveries_recipient_recent
    ON deliveries (brand_id, recipient_id, created_at DESC, delivery_id COLLATE "C" DESC);

CREATE INDEX templates_by_key ON templates (brand_id, key COLLATE "C");

-- Tasks address staff: they never count against a member's weekly marketing cap.
DROP INDEX deliveries_marketing_sent;
CREATE INDEX deliveries_marketing_sent ON deliveries (brand_id, member_id, created_at)
    WHERE marketing AND status = 'delivered' AND channel <> 'task';
