-- +goose Up
CREATE TABLE incidents (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind                  TEXT NOT NULL,
    title                 TEXT NOT NULL,
    severity              TEXT NOT NULL,
    vulnerability         TEXT NOT NULL DEFAULT '',
    owner                 TEXT NOT NULL DEFAULT '',
    phase                 TEXT NOT NULL,
    drill                 BOOLEAN NOT NULL DEFAULT FALSE,
    scenario              TEXT NOT NULL DEFAULT '',
    aware_at              TEXT NOT NULL,
    aware_signal          TEXT NOT NULL DEFAULT '',
    corrective_measure_at TEXT,
    data                  TEXT NOT NULL DEFAULT '{}',
    created_at            TEXT NOT NULL,
    updated_at            TEXT NOT NULL
);
CREATE INDEX incidents_vuln ON incidents(vulnerability, phase);

CREATE TABLE incident_products (
    incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    product_id  BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    PRIMARY KEY (incident_id, product_id)
);
CREATE INDEX incident_products_product ON incident_products(product_id);

CREATE TABLE incident_releases (
    incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    release_id  BIGINT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    PRIMARY KEY (incident_id, release_id)
);

CREATE TABLE incident_reports (
    incident_id  BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    kind         TEXT NOT NULL,
    submitted_at TEXT NOT NULL,
    reference    TEXT NOT NULL DEFAULT '',
    submitted_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (incident_id, kind)
);

CREATE TABLE incident_tasks (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    title       TEXT NOT NULL,
    owner       TEXT NOT NULL DEFAULT '',
    due         TEXT,
    done_at     TEXT
);
CREATE INDEX incident_tasks_incident ON incident_tasks(incident_id);

CREATE TABLE incident_timeline (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    audit_seq   BIGINT NOT NULL
);
CREATE INDEX incident_timeline_incident ON incident_timeline(incident_id, id);

-- An exploitation signal acted on once: re-running a feed finds it here.
CREATE TABLE incident_signals (
    source      TEXT NOT NULL,
    subject     TEXT NOT NULL,
    release_id  BIGINT NOT NULL,
    incident_id BIGINT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    detail      TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (source, subject, release_id)
);

CREATE TABLE product_incident_settings (
    product_id    BIGINT PRIMARY KEY REFERENCES products(id) ON DELETE CASCADE,
    manufacturer  TEXT NOT NULL DEFAULT '',
    contact       TEXT NOT NULL DEFAULT '',
    member_states TEXT NOT NULL DEFAULT ''
);

CREATE TABLE intake_reports (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tracking_id     TEXT NOT NULL UNIQUE,
    token_hash      TEXT NOT NULL,
    title           TEXT NOT NULL,
    description     TEXT NOT NULL,
    product_id      BIGINT REFERENCES products(id) ON DELETE SET NULL,
    contact         TEXT NOT NULL DEFAULT '',
    exploited       BOOLEAN NOT NULL DEFAULT FALSE,
    status          TEXT NOT NULL,
    incident_id     BIGINT REFERENCES incidents(id) ON DELETE SET NULL,
    source          TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    attachment_name TEXT NOT NULL DEFAULT '',
    attachment      BYTEA
);
CREATE INDEX intake_reports_source ON intake_reports(source, created_at);

CREATE TABLE subscribers (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    email      TEXT NOT NULL DEFAULT '',
    webhook    TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    UNIQUE (product_id, email, webhook)
);

CREATE TABLE notifications (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    subscriber_id BIGINT NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    incident_id   BIGINT REFERENCES incidents(id) ON DELETE CASCADE,
    subject       TEXT NOT NULL,
    body          TEXT NOT NULL,
    status        TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    sent_at       TEXT
);
CREATE INDEX notifications_status ON notifications(status, id);

-- +goose Down
DROP TABLE notifications;
DROP TABLE subscribers;
DROP TABLE intake_reports;
DROP TABLE product_incident_settings;
DROP TABLE incident_signals;
DROP TABLE incident_timeline;
DROP TABLE incident_tasks;
DROP TABLE incident_reports;
DROP TABLE incident_releases;
DROP TABLE incident_products;
DROP TABLE incidents;
