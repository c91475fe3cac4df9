-- +goose Up
ALTER TABLE products ADD COLUMN sla TEXT NOT NULL DEFAULT '';

CREATE TABLE scans (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    release_id  BIGINT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    tool        TEXT NOT NULL,
    scope       TEXT NOT NULL,
    file_name   TEXT NOT NULL DEFAULT '',
    blob_sha256 TEXT NOT NULL DEFAULT '',
    imported_at TEXT NOT NULL,
    imported_by TEXT NOT NULL DEFAULT '',
    findings    INTEGER NOT NULL DEFAULT 0,
    new         INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    reopened    INTEGER NOT NULL DEFAULT 0,
    closed      INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX scans_release ON scans(release_id, id);

CREATE TABLE findings (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id     BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    release_id     BIGINT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    scope          TEXT NOT NULL,
    tool           TEXT NOT NULL,
    fingerprint    TEXT NOT NULL,
    title          TEXT NOT NULL,
    severity       TEXT NOT NULL,
    severity_rank  INTEGER NOT NULL,
    rule_id        TEXT NOT NULL DEFAULT '',
    vuln_ids       TEXT NOT NULL DEFAULT '',
    component      TEXT NOT NULL DEFAULT '',
    component_version TEXT NOT NULL DEFAULT '',
    kev            BOOLEAN NOT NULL DEFAULT FALSE,
    epss           DOUBLE PRECISION,
    cvss           DOUBLE PRECISION,
    risk_score     DOUBLE PRECISION NOT NULL DEFAULT 0,
    priority       TEXT NOT NULL DEFAULT '',
    status         TEXT NOT NULL,
    status_reason  TEXT NOT NULL DEFAULT '',
    active         BOOLEAN GENERATED ALWAYS AS (status IN ('open', 'confirmed', 'in_progress')) STORED,
    accepted_until TEXT,
    accepted_by    TEXT NOT NULL DEFAULT '',
    assignee       TEXT NOT NULL DEFAULT '',
    duplicate_of   BIGINT,
    sla_due        TEXT,
    first_seen     TEXT NOT NULL,
    last_seen      TEXT NOT NULL,
    closed_at      TEXT,
    data           TEXT NOT NULL
);
CREATE UNIQUE INDEX findings_scope_fp ON findings(release_id, scope, fingerprint);
CREATE INDEX findings_risk ON findings(risk_score, id);
CREATE INDEX findings_status_risk ON findings(status, risk_score, id);
-- The default views: active findings worst first, and by SLA due date.
CREATE INDEX findings_active_risk ON findings(active, risk_score, id);
CREATE INDEX findings_active_sev_risk ON findings(active, severity, risk_score, id);
CREATE INDEX findings_sev_risk ON findings(severity, risk_score, id);
CREATE INDEX findings_product_risk ON findings(product_id, active, risk_score, id);
CREATE INDEX findings_due ON findings((COALESCE(sla_due, '9999')), id);
CREATE INDEX findings_release_risk ON findings(release_id, risk_score, id);

CREATE TABLE finding_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    finding_id  BIGINT NOT NULL REFERENCES findings(id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    from_status TEXT NOT NULL DEFAULT '',
    to_status   TEXT NOT NULL DEFAULT '',
    detail      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX finding_events_finding ON finding_events(finding_id, id);

-- +goose Down
DROP TABLE finding_events;
DROP TABLE findings;
DROP TABLE scans;
ALTER TABLE products DROP COLUMN sla;
