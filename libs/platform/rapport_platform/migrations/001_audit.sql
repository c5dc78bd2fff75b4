-- One row per HTTP request: who did what to which resource, and how it ended.
CREATE TABLE IF NOT EXISTS audit_log (
    id              bigserial   PRIMARY KEY,
    at              timestamptz NOT NULL,
    request_id      text        NOT NULL,
    correlation_id  text,
    subject         text,
    role            text,
    brand_id        text,
    method          text        NOT NULL,
    route           text,
    path            text        NOT NULL,
    status          integer     NOT NULL,
    resource_ids    jsonb       NOT NULL DEFAULT '{}'::jsonb,
    client_ip       text
);
CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
CREATE INDEX IF NOT EXISTS audit_log_subject_at ON audit_log (subject, at);
CREATE INDEX IF NOT EXISTS audit_log_brand_at ON audit_log (brand_id, at);
