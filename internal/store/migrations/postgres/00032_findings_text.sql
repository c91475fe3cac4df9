-- +goose Up
-- Full-text (substring) search over a finding's title, rule, component and
-- vulnerability ids: a pg_trgm GIN index on the same text SQLite indexes
-- with FTS5 trigram, so q= on the findings API no longer scans the table.
-- pg_trgm is a trusted extension (PostgreSQL 13+); where the role may not
-- create it, the index is skipped and search falls back to a scan.
-- +goose StatementBegin
DO $$
BEGIN
    CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public;
EXCEPTION WHEN OTHERS THEN
    RAISE NOTICE 'pg_trgm unavailable (%): findings search will scan', SQLERRM;
END
$$;
-- +goose StatementEnd
-- +goose StatementBegin
DO $$
DECLARE
    ns text;
BEGIN
    SELECT n.nspname INTO ns FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
    IF ns IS NOT NULL THEN
        EXECUTE format('CREATE INDEX findings_text ON findings USING gin (lower(title || '' '' || rule_id || '' '' || component || '' '' || vuln_ids) %I.gin_trgm_ops)', ns);
    END IF;
END
$$;
-- +goose StatementEnd

-- +goose Down
DROP INDEX IF EXISTS findings_text;
