-- +goose Up
-- The findings list's other orders (issue 12): by severity and by first
-- seen, over all findings and over the active ones, and the active
-- findings by SLA due date. Without them each page of these views sorted
-- every matching row of a 1M-finding table (7-14 s on SQLite, 1-1.4 s on
-- PostgreSQL); with them a page is read from the index in order, ties
-- broken by id as the keyset cursor expects.
CREATE INDEX findings_sevrank ON findings(severity_rank, id);
CREATE INDEX findings_first_seen ON findings(first_seen, id);
CREATE INDEX findings_active_sevrank ON findings(active, severity_rank, id);
CREATE INDEX findings_active_first_seen ON findings(active, first_seen, id);
CREATE INDEX findings_active_due ON findings(active, (COALESCE(sla_due, '9999')), id);

-- +goose Down
DROP INDEX findings_active_due;
DROP INDEX findings_active_first_seen;
DROP INDEX findings_active_sevrank;
DROP INDEX findings_first_seen;
DROP INDEX findings_sevrank;
