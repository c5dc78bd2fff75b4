-- Facts later rules decide on (birthday reminders, spend-based stages), and timers that
-- rules other than dormancy can use: several of one kind per member, each in its own slot
-- (a care guide per visit), with the data the rule needs when the timer comes due.

ALTER TABLE journeys
    ADD COLUMN birthday     date,
    ADD COLUMN total_spent  numeric(14,2) NOT NULL DEFAULT 0;

ALTER TABLE timers
    ADD COLUMN slot     text  NOT NULL DEFAULT '',
    ADD COLUMN payload  jsonb NOT NULL DEFAULT '{}';

-- One active timer per member, kind and slot: still one active dormancy timer per member,
-- since dormancy always uses the empty slot.
DROP INDEX timers_one_active_per_kind;
CREATE UNIQUE INDEX timers_one_active_per_slot ON timers (member_id, kind, slot)
    WHERE fired_at IS NULL AND cancelled_at IS NULL;
