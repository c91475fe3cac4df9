-- +goose Up
-- Whether an import was of a partial scan (it closed nothing) and what the
-- report said about its scan not completing, so that the scan history shows
-- why a later full re-scan closed findings a partial one did not.
ALTER TABLE scans ADD COLUMN partial BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE scans ADD COLUMN partial_reason TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE scans DROP COLUMN partial_reason;
ALTER TABLE scans DROP COLUMN partial;
