-- +goose Up
-- Manual answers of a release's conformity self-assessment (ETSI EN 303 645,
-- CRA Annex I). Append-only: every change is a new version of the item's
-- answer, so the history of who answered what, and who reviewed it, stays.
CREATE TABLE conformity_answers (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    release_id    BIGINT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    catalog       TEXT NOT NULL,
    item          TEXT NOT NULL,
    version       INTEGER NOT NULL,
    status        TEXT NOT NULL,
    justification TEXT NOT NULL,
    owner         TEXT NOT NULL DEFAULT '',
    evidence_url  TEXT NOT NULL DEFAULT '',
    author        TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    reviewer      TEXT NOT NULL DEFAULT '',
    reviewed_at   TEXT,
    UNIQUE (release_id, catalog, item, version)
);

-- +goose Down
DROP TABLE conformity_answers;
