-- +goose Up
CREATE TABLE feed_state (
    url           TEXT PRIMARY KEY,
    etag          TEXT NOT NULL DEFAULT '',
    last_modified TEXT NOT NULL DEFAULT '',
    synced_until  TEXT NOT NULL DEFAULT '',
    checked_at    TEXT NOT NULL,
    changed_at    TEXT NOT NULL DEFAULT ''
);

-- +goose Down
DROP TABLE feed_state;
