-- What staff and HQ see of the engine: each member's timeline, staff tasks, goal outcomes,
-- and touchpoints that did not go out (capped, held, skipped) with why.

CREATE TABLE timeline (
    id            bigserial   PRIMARY KEY,
    brand_id      text        NOT NULL,
    member_id     text        NOT NULL,
    store_id      text,
    associate_id  text,
    at            timestamptz NOT NULL,
    kind          text        NOT NULL,
    map_key       text,
    version       integer,
    rule          text        NOT NULL,
    reason        text        NOT NULL,
    detail        jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX timeline_by_member ON timeline (member_id, at, id);

CREATE TABLE tasks (
    task_id          text        PRIMARY KEY,
    brand_id         text        NOT NULL,
    member_id        text        NOT NULL,
    store_id         text,
    assignee_id      text        NOT NULL,
    audience         text        NOT NULL CHECK (audience IN ('associate', 'store_manager')),
    template         text        NOT NULL,
    map_key          text        NOT NULL,
    version          integer     NOT NULL,
    trigger          text        NOT NULL,
    priority         text        NOT NULL CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    status           text        NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
    due_at           timestamptz NOT NULL,
    postponed_until  timestamptz,
    outcome          text,
    suggestion       jsonb,
    created_at       timestamptz NOT NULL,
    closed_at        timestamptz,
    -- Urgency, as the lists sort it: the earliest due (most overdue) first, then the highest
    -- priority. Stored so that one index serves each list in its order.
    due_by           timestamptz GENERATED ALWAYS AS (coalesce(postponed_until, due_at)) STORED,
    priority_order   smallint    GENERATED ALWAYS AS (
        CASE priority WHEN 'urgent' THEN 0 WHEN 'high' THEN 1 WHEN 'normal' THEN 2 ELSE 3 END
    ) STORED
);
CREATE INDEX tasks_by_assignee ON tasks (assignee_id, status, due_by, priority_order, task_id);
CREATE INDEX tasks_by_store ON tasks (store_id, status, due_by, priority_order, task_id);
CREATE INDEX tasks_by_brand ON tasks (brand_id, status, due_by, priority_order, task_id);
CREATE INDEX tasks_open_by_member ON tasks (member_id) WHERE status = 'open';

CREATE TABLE goal_outcomes (
    touchpoint_id  text        PRIMARY KEY,
    brand_id       text        NOT NULL,
    map_key        text        NOT NULL,
    version        integer     NOT NULL,
    trigger        text        NOT NULL,
    member_id      text        NOT NULL,
    store_id       text,
    associate_id   text,
    opened_at      timestamptz NOT NULL,
    deadline       timestamptz NOT NULL,
    reached_at     timestamptz
);
CREATE INDEX goal_outcomes_by_brand ON goal_outcomes (brand_id, opened_at);

ALTER TABLE touchpoints DROP CONSTRAINT touchpoints_status_check;
ALTER TABLE touchpoints
    ADD CONSTRAINT touchpoints_status_check CHECK (
        status IN ('requested', 'delivered', 'failed', 'capped', 'held', 'skipped')
    ),
    ADD COLUMN map_key  text,
    ADD COLUMN trigger  text;
