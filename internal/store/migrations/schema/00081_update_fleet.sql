-- +goose Up
CREATE TABLE update_devices (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id   BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    device_id    TEXT NOT NULL,
    public_key   BYTEA NOT NULL,
    hardware     TEXT NOT NULL DEFAULT '',
    version      TEXT NOT NULL DEFAULT '',
    release_id   BIGINT REFERENCES releases(id) ON DELETE SET NULL,
    grp          TEXT NOT NULL DEFAULT '',
    country      TEXT NOT NULL DEFAULT '',
    last_target  TEXT NOT NULL DEFAULT '',
    last_result  TEXT NOT NULL DEFAULT '',
    last_message TEXT NOT NULL DEFAULT '',
    first_seen   TEXT NOT NULL,
    last_seen    TEXT NOT NULL,
    device_time  TEXT NOT NULL,
    UNIQUE (product_id, device_id)
);
CREATE INDEX update_devices_release ON update_devices(release_id);
CREATE INDEX update_devices_target ON update_devices(product_id, last_target, last_result);
CREATE INDEX update_devices_seen ON update_devices(product_id, last_seen, id);

CREATE TABLE update_rollouts (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id        BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    target            TEXT NOT NULL,
    percent           BIGINT NOT NULL DEFAULT 0,
    device_groups     TEXT NOT NULL DEFAULT '',
    state             TEXT NOT NULL,
    failure_threshold BIGINT NOT NULL DEFAULT 10,
    min_reports       BIGINT NOT NULL DEFAULT 5,
    reason            TEXT NOT NULL DEFAULT '',
    created_by        TEXT NOT NULL DEFAULT '',
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX update_rollouts_product ON update_rollouts(product_id, state);

-- +goose Down
DROP TABLE update_rollouts;
DROP TABLE update_devices;
