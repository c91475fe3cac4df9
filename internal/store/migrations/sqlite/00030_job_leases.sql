-- +goose Up
-- One row per periodic job: the server whose lease is current runs it, so
-- several servers sharing a database run each job once per interval.
CREATE TABLE job_leases (
    name   TEXT PRIMARY KEY,
    holder TEXT NOT NULL,
    until  TEXT NOT NULL
);
-- Generations of vulnerability data: vulndb import bumps "advisories";
-- re-matching every release records the generation it completed in
-- "rematched". A server that starts with rematched < advisories finishes
-- the interrupted re-match.
CREATE TABLE generations (
    name  TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);

-- +goose Down
DROP TABLE generations;
DROP TABLE job_leases;
