-- +goose Up
CREATE TABLE threat_models (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    version    INTEGER NOT NULL,
    source     TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    UNIQUE (product_id, version)
);

CREATE TABLE threat_tracking (
    product_id BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    threat_id  TEXT NOT NULL,
    status     TEXT NOT NULL DEFAULT '',
    owner      TEXT NOT NULL DEFAULT '',
    task       TEXT NOT NULL DEFAULT '',
    note       TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL,
    updated_by TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (product_id, threat_id)
);

-- +goose Down
DROP TABLE threat_tracking;
DROP TABLE threat_models;
