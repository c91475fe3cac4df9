-- +goose Up
CREATE TABLE advisories (
    id       TEXT PRIMARY KEY,
    modified TEXT NOT NULL DEFAULT '',
    data     TEXT NOT NULL
);

CREATE TABLE advisory_ids (
    alias       TEXT COLLATE "C" NOT NULL,
    advisory_id TEXT NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,
    PRIMARY KEY (alias, advisory_id)
);
CREATE INDEX advisory_ids_advisory ON advisory_ids(advisory_id);

-- Index keys (pkg:<ecosystem>/<name>, cpe:<vendor>:<product>) so that a
-- release loads only the advisories that can match its components.
CREATE TABLE advisory_keys (
    key         TEXT COLLATE "C" NOT NULL,
    advisory_id TEXT NOT NULL REFERENCES advisories(id) ON DELETE CASCADE,
    PRIMARY KEY (key, advisory_id)
);
CREATE INDEX advisory_keys_advisory ON advisory_keys(advisory_id);

CREATE TABLE epss (
    cve        TEXT PRIMARY KEY,
    score      DOUBLE PRECISION NOT NULL,
    percentile DOUBLE PRECISION NOT NULL,
    day        TEXT NOT NULL DEFAULT ''
);

CREATE TABLE kev (
    cve  TEXT PRIMARY KEY,
    data TEXT NOT NULL
);

CREATE TABLE feed_imports (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL DEFAULT '',
    paths       TEXT NOT NULL DEFAULT '',
    files       TEXT NOT NULL DEFAULT '',
    advisories  INTEGER NOT NULL DEFAULT 0,
    epss        INTEGER NOT NULL DEFAULT 0,
    kev         INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE release_vulns (
    release_id    BIGINT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    component_ref TEXT NOT NULL,
    vuln_id       TEXT NOT NULL,
    severity_rank INTEGER NOT NULL,
    kev           BOOLEAN NOT NULL DEFAULT FALSE,
    suppressed    BOOLEAN NOT NULL DEFAULT FALSE,
    first_seen    TEXT NOT NULL,
    data          TEXT NOT NULL,
    PRIMARY KEY (release_id, component_ref, vuln_id)
);
CREATE INDEX release_vulns_vuln ON release_vulns(vuln_id);

CREATE TABLE vex_analysis (
    release_id    BIGINT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    component_ref TEXT NOT NULL,
    vuln_id       TEXT NOT NULL,
    status        TEXT NOT NULL,
    justification TEXT NOT NULL DEFAULT '',
    detail        TEXT NOT NULL DEFAULT '',
    updated_at    TEXT NOT NULL,
    updated_by    TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (release_id, component_ref, vuln_id)
);

CREATE TABLE events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    product_id BIGINT,
    release_id BIGINT,
    subject    TEXT NOT NULL DEFAULT '',
    title      TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX events_at ON events(id);

-- +goose Down
DROP TABLE events;
DROP TABLE vex_analysis;
DROP TABLE release_vulns;
DROP TABLE feed_imports;
DROP TABLE kev;
DROP TABLE epss;
DROP TABLE advisory_keys;
DROP TABLE advisory_ids;
DROP TABLE advisories;
