-- Journey maps: each brand's drafts and published versions. A version is immutable once
-- written (nothing updates or deletes journey_map_versions); publishing locks the map row,
-- so two concurrent publications of one map get consecutive numbers, never the same one
-- and never a gap.

CREATE TABLE journey_maps (
    brand_id        text        NOT NULL,
    key             text        NOT NULL,
    title           text        NOT NULL,
    draft           jsonb,
    draft_saved_at  timestamptz,
    draft_saved_by  text,
    active_version  integer,
    PRIMARY KEY (brand_id, key)
);

CREATE TABLE journey_map_versions (
    brand_id          text        NOT NULL,
    key               text        NOT NULL,
    version           integer     NOT NULL CHECK (version >= 1),
    title             text        NOT NULL,
    document          jsonb       NOT NULL,
    published_at      timestamptz NOT NULL,
    published_by      text        NOT NULL,
    republished_from  integer,
    PRIMARY KEY (brand_id, key, version),
    FOREIGN KEY (brand_id, key) REFERENCES journey_maps (brand_id, key)
);
