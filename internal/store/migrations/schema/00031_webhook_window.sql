-- +goose Up
-- Webhook queueing looks back over recent events by time (an event whose
-- transaction committed after a later id must still be queued).
CREATE INDEX events_time ON events(at);

-- +goose Down
DROP INDEX events_time;
