-- +goose Up
-- The longest a risk on the product may be accepted for, in days (issue 11):
-- 0 means the global default (findings.MaxAcceptanceDays, a year); a product
-- owner may only shorten it.
ALTER TABLE products ADD COLUMN max_acceptance_days INTEGER NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE products DROP COLUMN max_acceptance_days;
