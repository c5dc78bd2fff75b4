-- Journey's replica of the templates brands saved in the notifier (TemplateSaved), so a
-- map naming a brand's own template is accepted, and one naming a template it lacks is not.
CREATE TABLE notifier_templates (
    brand_id  text        NOT NULL,
    key       text        NOT NULL,
    is_task   boolean     NOT NULL,
    saved_at  timestamptz NOT NULL,
    PRIMARY KEY (brand_id, key)
);
