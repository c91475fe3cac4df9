-- +goose Up
-- What the vulnerability database adds to a scanner finding (KEV, EPSS,
-- CVSS, fixed versions) as findings.Enrichment JSON, kept beside the
-- scanner's own data and recomputed when the feeds change; where its SLA
-- deadline came from ("sla:high", "kev"); and the SBOM match of the same
-- vulnerability and component in the release it is linked to.
ALTER TABLE findings ADD COLUMN enrichment TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN sla_source TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN match_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE findings ADD COLUMN match_vuln TEXT NOT NULL DEFAULT '';
CREATE INDEX findings_release_match ON findings(release_id, match_vuln);

-- +goose Down
DROP INDEX findings_release_match;
ALTER TABLE findings DROP COLUMN match_vuln;
ALTER TABLE findings DROP COLUMN match_ref;
ALTER TABLE findings DROP COLUMN sla_source;
ALTER TABLE findings DROP COLUMN enrichment;
