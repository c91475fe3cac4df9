-- +goose Up
CREATE TABLE update_repos (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id  BIGINT NOT NULL UNIQUE REFERENCES products(id) ON DELETE CASCADE,
    slug        TEXT NOT NULL UNIQUE,
    sealed_keys BYTEA NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE update_metadata (
    repo_id    BIGINT NOT NULL REFERENCES update_repos(id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    version    BIGINT NOT NULL,
    expires_at TEXT NOT NULL,
    content    BYTEA NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (repo_id, role, version)
);

CREATE TABLE update_targets (
    repo_id    BIGINT NOT NULL REFERENCES update_repos(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    length     BIGINT NOT NULL,
    hardware   TEXT NOT NULL DEFAULT '',
    version    TEXT NOT NULL DEFAULT '',
    release_id BIGINT REFERENCES releases(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (repo_id, name)
);

-- +goose Down
DROP TABLE update_targets;
DROP TABLE update_metadata;
DROP TABLE update_repos;
