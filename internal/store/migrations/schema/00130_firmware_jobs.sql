-- +goose Up
-- Firmware images waiting for (or under) analysis. An upload is queued
-- here with its bytes, so any server sharing the database can analyse it;
-- the worker that claims a job holds a lease that it renews with every
-- progress update, and a job whose lease ran out (its server died) is
-- claimed again. The image is dropped when the job ends; the result is a
-- firmware_analyses row.
CREATE TABLE firmware_jobs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    release_id   BIGINT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    file_name    TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size         BIGINT NOT NULL,
    image        BYTEA,
    status       TEXT NOT NULL DEFAULT 'queued',
    stage        TEXT NOT NULL DEFAULT 'queued',
    progress     INTEGER NOT NULL DEFAULT 0,
    error        TEXT NOT NULL DEFAULT '',
    summary      TEXT NOT NULL DEFAULT '',
    analysis_id  BIGINT REFERENCES firmware_analyses(id) ON DELETE SET NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    holder       TEXT NOT NULL DEFAULT '',
    lease_until  TEXT NOT NULL DEFAULT '',
    created_at   TEXT NOT NULL,
    created_by   TEXT NOT NULL DEFAULT '',
    started_at   TEXT NOT NULL DEFAULT '',
    finished_at  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX firmware_jobs_status ON firmware_jobs (status, id);
CREATE INDEX firmware_jobs_release ON firmware_jobs (release_id, id);

-- +goose Down
DROP TABLE firmware_jobs;
