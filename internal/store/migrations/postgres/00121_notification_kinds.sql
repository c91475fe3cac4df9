-- +goose Up
-- Notifications gain an audience: 'customer' (a product's subscribers; an
-- incident's or a published advisory's notice) or 'team' (the product's
-- alert addresses and the incident owner: a new incident, a report due).
-- Team mail has no subscriber, so subscriber_id becomes nullable.
ALTER TABLE notifications ALTER COLUMN subscriber_id DROP NOT NULL;
ALTER TABLE notifications ADD COLUMN recipient TEXT NOT NULL DEFAULT '';
ALTER TABLE notifications ADD COLUMN audience TEXT NOT NULL DEFAULT 'customer';
ALTER TABLE notifications ADD COLUMN advisory_id BIGINT REFERENCES csaf_advisories(id) ON DELETE CASCADE;
CREATE INDEX notifications_advisory ON notifications(advisory_id);

ALTER TABLE product_incident_settings ADD COLUMN alert_emails TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE product_incident_settings DROP COLUMN alert_emails;
DELETE FROM notifications WHERE subscriber_id IS NULL;
DROP INDEX notifications_advisory;
ALTER TABLE notifications DROP COLUMN advisory_id;
ALTER TABLE notifications DROP COLUMN audience;
ALTER TABLE notifications DROP COLUMN recipient;
ALTER TABLE notifications ALTER COLUMN subscriber_id SET NOT NULL;
