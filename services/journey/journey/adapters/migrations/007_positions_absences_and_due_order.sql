-- When each inactivity trigger last fired for her on a map: an absence already answered
-- (a welcome-back sent) is not answered again by a late visit's re-armed timer.
ALTER TABLE map_positions ADD COLUMN absences_fired jsonb NOT NULL DEFAULT '{}';

-- The timer worker takes due timers in (due_at, timer_id) order; many due at one instant
-- (birthdays at 10:00) must not be sorted again on every batch.
CREATE INDEX timers_due_in_order ON timers (due_at, timer_id)
    WHERE fired_at IS NULL AND cancelled_at IS NULL;
DROP INDEX IF EXISTS timers_due;
