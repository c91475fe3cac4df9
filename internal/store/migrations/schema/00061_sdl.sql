-- +goose Up
CREATE TABLE release_checklist (
    release_id BIGINT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    activity   TEXT NOT NULL,
    done       INTEGER NOT NULL,
    evidence   TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (release_id, activity)
);

CREATE TABLE samm_assessments (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    answers    TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT ''
);
CREATE INDEX samm_assessments_product ON samm_assessments (product_id, id);

-- +goose Down
DROP TABLE samm_assessments;
DROP TABLE release_checklist;
