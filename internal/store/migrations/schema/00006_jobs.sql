-- +goose Up
CREATE TABLE webhook_deliveries (
    event_id     BIGINT NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    url          TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_at      TEXT NOT NULL,
    delivered_at TEXT,
    last_error   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (event_id, url)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(delivered_at, next_at);

-- +goose Down
DROP TABLE webhook_deliveries;
