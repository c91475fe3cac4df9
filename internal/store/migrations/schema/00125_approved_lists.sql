-- +goose Up
-- Approved components and licences (the YAML of `rampart gate --approved`),
-- versioned like policies: product_id 0 is the global list.
CREATE TABLE approved_lists (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id BIGINT NOT NULL,
    version    INTEGER NOT NULL,
    source     TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    note       TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    created_by TEXT NOT NULL DEFAULT '',
    UNIQUE (product_id, version)
);

-- +goose Down
DROP TABLE approved_lists;
