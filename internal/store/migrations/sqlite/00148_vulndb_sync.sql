-- +goose Up
-- The state of each vulnerability-data source the server keeps current
-- (serve --vulndb-sync) or was given (an uploaded offline bundle): how many
-- records its last download held, when it was last tried and last
-- succeeded, and the error of the last failed attempt.
CREATE TABLE vulndb_sources (
    source       TEXT PRIMARY KEY,
    url          TEXT NOT NULL DEFAULT '',
    records      BIGINT NOT NULL DEFAULT 0,
    last_attempt TEXT NOT NULL DEFAULT '',
    last_success TEXT NOT NULL DEFAULT '',
    error        TEXT NOT NULL DEFAULT ''
);
-- One row (id 1): the last "Update now" request and the update that runs (holder set)
-- or ran last, with its progress, so every server shows the same state.
-- A request is pending while requests > served (counters, not clocks:
-- servers' clocks may differ).
CREATE TABLE vulndb_sync (
    id           INTEGER PRIMARY KEY,
    requested_at TEXT NOT NULL DEFAULT '',
    requested_by TEXT NOT NULL DEFAULT '',
    requests     BIGINT NOT NULL DEFAULT 0,
    served       BIGINT NOT NULL DEFAULT 0,
    holder       TEXT NOT NULL DEFAULT '',
    started_at   TEXT NOT NULL DEFAULT '',
    finished_at  TEXT NOT NULL DEFAULT '',
    progress     TEXT NOT NULL DEFAULT '',
    result       TEXT NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE vulndb_sync;
DROP TABLE vulndb_sources;
