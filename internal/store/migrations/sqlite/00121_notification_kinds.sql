-- +goose Up
-- Notifications gain an audience: 'customer' (a product's subscribers; an
-- incident's or a published advisory's notice) or 'team' (the product's
-- alert addresses and the incident owner: a new incident, a report due).
-- Team mail has no subscriber, so subscriber_id becomes nullable; SQLite
-- changes that by rebuilding the table.
CREATE TABLE notifications_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id INTEGER REFERENCES subscribers(id) ON DELETE CASCADE,
    recipient     TEXT NOT NULL DEFAULT '',
    audience      TEXT NOT NULL DEFAULT 'customer',
    incident_id   INTEGER REFERENCES incidents(id) ON DELETE CASCADE,
    advisory_id   INTEGER REFERENCES csaf_advisories(id) ON DELETE CASCADE,
    subject       TEXT NOT NULL,
    body          TEXT NOT NULL,
    status        TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    sent_at       TEXT
);
INSERT INTO notifications_new (id, subscriber_id, incident_id, subject, body, status, attempts, error, created_at, sent_at)
    SELECT id, subscriber_id, incident_id, subject, body, status, attempts, error, created_at, sent_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_new RENAME TO notifications;
CREATE INDEX notifications_status ON notifications(status, id);
CREATE INDEX notifications_advisory ON notifications(advisory_id);

ALTER TABLE product_incident_settings ADD COLUMN alert_emails TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE product_incident_settings DROP COLUMN alert_emails;
DELETE FROM notifications WHERE subscriber_id IS NULL;
CREATE TABLE notifications_old (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id) ON DELETE CASCADE,
    incident_id   INTEGER REFERENCES incidents(id) ON DELETE CASCADE,
    subject       TEXT NOT NULL,
    body          TEXT NOT NULL,
    status        TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    error         TEXT NOT NULL DEFAULT '',
    created_at    TEXT NOT NULL,
    sent_at       TEXT
);
INSERT INTO notifications_old SELECT id, subscriber_id, incident_id, subject, body, status, attempts, error, created_at, sent_at FROM notifications;
DROP TABLE notifications;
ALTER TABLE notifications_old RENAME TO notifications;
CREATE INDEX notifications_status ON notifications(status, id);
