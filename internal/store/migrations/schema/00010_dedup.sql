-- +goose Up
-- Per-product definition of a duplicate (JSON list of fields; empty: the
-- fingerprint rules) and each finding's key under it.
ALTER TABLE products ADD COLUMN dedup TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN dedup_key TEXT NOT NULL DEFAULT '';
UPDATE findings SET dedup_key = fingerprint;
CREATE INDEX findings_release_dedup ON findings(release_id, dedup_key);

-- +goose Down
DROP INDEX findings_release_dedup;
ALTER TABLE findings DROP COLUMN dedup_key;
ALTER TABLE products DROP COLUMN dedup;
