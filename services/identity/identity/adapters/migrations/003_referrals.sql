-- Who referred a member, when she named someone registering. A referrer stays a member
-- (members are not deleted), so the reference is kept as a foreign key.
ALTER TABLE members ADD COLUMN referred_by text REFERENCES members (member_id);
CREATE INDEX members_by_referrer ON members (referred_by) WHERE referred_by IS NOT NULL;
