-- Each member's place on the lifecycle map, its history, durable timers and touchpoints.

CREATE TABLE journeys (
    member_id          text        PRIMARY KEY,
    brand_id           text        NOT NULL,
    store_id           text,
    surname            text,
    gender             text        NOT NULL DEFAULT 'unspecified',
    preferred_channel  text        NOT NULL DEFAULT 'sms',
    associate_id       text,
    stage              text,
    visit_count        integer     NOT NULL DEFAULT 0,
    first_visit_at     timestamptz,
    last_visit_at      timestamptz,
    registered_at      timestamptz
);
CREATE INDEX journeys_by_brand_stage ON journeys (brand_id, stage, store_id);

CREATE TABLE stage_history (
    id          bigserial   PRIMARY KEY,
    member_id   text        NOT NULL,
    brand_id    text        NOT NULL,
    from_stage  text,
    to_stage    text        NOT NULL,
    reason      text        NOT NULL,
    changed_at  timestamptz NOT NULL
);
CREATE INDEX stage_history_by_member ON stage_history (member_id, id);

CREATE TABLE timers (
    timer_id           text        PRIMARY KEY,
    member_id          text        NOT NULL,
    brand_id           text        NOT NULL,
    kind               text        NOT NULL,
    due_at             timestamptz NOT NULL,
    armed_for          timestamptz NOT NULL,
    armed_by_event_id  text,
    traceparent        text,
    tracestate         text,
    correlation_id     text,
    created_at         timestamptz NOT NULL DEFAULT now(),
    fired_at           timestamptz,
    cancelled_at       timestamptz
);
-- One active timer of a kind per member; re-arming cancels the previous one.
CREATE UNIQUE INDEX timers_one_active_per_kind ON timers (member_id, kind)
    WHERE fired_at IS NULL AND cancelled_at IS NULL;
CREATE INDEX timers_due ON timers (due_at) WHERE fired_at IS NULL AND cancelled_at IS NULL;

CREATE TABLE touchpoints (
    touchpoint_id  text        PRIMARY KEY,
    member_id      text        NOT NULL,
    brand_id       text        NOT NULL,
    template       text        NOT NULL,
    channel        text        NOT NULL,
    status         text        NOT NULL CHECK (status IN ('requested', 'delivered', 'failed')),
    reason         text,
    requested_at   timestamptz NOT NULL,
    resolved_at    timestamptz
);
CREATE INDEX touchpoints_by_member ON touchpoints (member_id, requested_at);
