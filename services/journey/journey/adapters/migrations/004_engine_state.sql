-- What the map engine keeps per member: the events it consumed (for rebuilds and dry runs),
-- a snapshot of her facts, her position on each map, and the map that armed each timer.

CREATE TABLE member_events (
    event_id     text        PRIMARY KEY,
    brand_id     text        NOT NULL,
    member_id    text        NOT NULL,
    kind         text        NOT NULL,
    occurred_at  timestamptz NOT NULL,
    data         jsonb       NOT NULL DEFAULT '{}',
    recorded_at  timestamptz NOT NULL
);
-- Event-time order, with the id breaking ties, for a brand's replay and for one member's.
CREATE INDEX member_events_by_brand ON member_events (brand_id, occurred_at, event_id);
CREATE INDEX member_events_by_member ON member_events (member_id, occurred_at, event_id);

ALTER TABLE journeys ADD COLUMN facts jsonb;

CREATE TABLE map_positions (
    member_id    text        NOT NULL,
    brand_id     text        NOT NULL,
    map_key      text        NOT NULL,
    version      integer     NOT NULL,
    stage        text,
    stage_since  timestamptz,
    entered_at   timestamptz NOT NULL,
    exited_at    timestamptz,
    fired_once   text[]      NOT NULL DEFAULT '{}',
    open_goals   jsonb       NOT NULL DEFAULT '[]',
    PRIMARY KEY (member_id, map_key)
);
CREATE INDEX map_positions_by_brand_stage ON map_positions (brand_id, map_key, stage)
    WHERE exited_at IS NULL;

-- Timers armed by a map carry its key and version; the old rulebook's have neither. One
-- active timer per member, map, kind and slot: two maps may use the same trigger key.
ALTER TABLE timers
    ADD COLUMN map_key      text,
    ADD COLUMN map_version  integer;
DROP INDEX timers_one_active_per_slot;
CREATE UNIQUE INDEX timers_one_active_per_map_slot
    ON timers (member_id, coalesce(map_key, ''), kind, slot)
    WHERE fired_at IS NULL AND cancelled_at IS NULL;

ALTER TABLE stage_history ADD COLUMN map_key text;
CREATE INDEX stage_history_by_brand_time ON stage_history (brand_id, map_key, changed_at);
