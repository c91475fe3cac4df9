-- +goose Up
CREATE TABLE update_repos (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id  INTEGER NOT NULL UNIQUE REFERENCES products(id) ON DELETE CASCADE,
    slug        TEXT NOT NULL UNIQUE,
    sealed_keys BLOB NOT NULL,
    created_at  TEXT NOT NULL
);

CREATE TABLE update_metadata (
    repo_id    INTEGER NOT NULL REFERENCES update_repos(id) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    version    INTEGER NOT NULL,
    expires_at TEXT NOT NULL,
    content    BLOB NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (repo_id, role, version)
);

CREATE TABLE update_targets (
    repo_id    INTEGER NOT NULL REFERENCES update_repos(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    length     INTEGER NOT NULL,
    hardware   TEXT NOT NULL DEFAULT '',
    version    TEXT NOT NULL DEFAULT '',
    release_id INTEGER REFERENCES releases(id) ON DELETE SET NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (repo_id, name)
);

-- +goose Down
DROP TABLE update_targets;
DROP TABLE update_metadata;
DROP TABLE update_repos;
