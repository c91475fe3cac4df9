-- +goose Up
CREATE TABLE users (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('admin','editor','viewer')),
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    TEXT NOT NULL
);

CREATE TABLE sessions (
    id_hash    TEXT PRIMARY KEY,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    csrf       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    last_seen  TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    source     TEXT NOT NULL DEFAULT '',
    user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions(user_id);

CREATE TABLE api_tokens (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    hash         TEXT NOT NULL UNIQUE,
    prefix       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    expires_at   TEXT,
    last_used_at TEXT,
    revoked      BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX api_tokens_user ON api_tokens(user_id);

CREATE TABLE setup_tokens (
    hash       TEXT PRIMARY KEY,
    purpose    TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used       BOOLEAN NOT NULL DEFAULT FALSE
);

CREATE TABLE blobs (
    sha256     TEXT PRIMARY KEY,
    size       BIGINT NOT NULL,
    media_type TEXT NOT NULL,
    name       TEXT NOT NULL DEFAULT '',
    content    BYTEA NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE products (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    owner       TEXT NOT NULL DEFAULT '',
    criticality INTEGER NOT NULL DEFAULT 3 CHECK (criticality BETWEEN 1 AND 5),
    exposure    TEXT NOT NULL DEFAULT 'local-network',
    created_at  TEXT NOT NULL
);

CREATE TABLE releases (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id   BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    version      TEXT NOT NULL,
    release_date TEXT,
    support_end  TEXT,
    status       TEXT NOT NULL DEFAULT 'development',
    sbom_sha256  TEXT NOT NULL DEFAULT '',
    components   INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    UNIQUE (product_id, version)
);

CREATE TABLE components (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    release_id BIGINT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    ref        TEXT NOT NULL,
    type       TEXT NOT NULL,
    grp        TEXT NOT NULL DEFAULT '',
    name       TEXT NOT NULL,
    name_key   TEXT COLLATE "C" NOT NULL,
    version    TEXT NOT NULL DEFAULT '',
    purl       TEXT COLLATE "C" NOT NULL DEFAULT '',
    cpes       TEXT NOT NULL DEFAULT '',
    hashes     TEXT NOT NULL DEFAULT '',
    licenses   TEXT NOT NULL DEFAULT '',
    supplier   TEXT NOT NULL DEFAULT '',
    depends_on TEXT NOT NULL DEFAULT ''
);
CREATE INDEX components_release ON components(release_id, name_key);
CREATE UNIQUE INDEX components_ref ON components(release_id, ref);
CREATE INDEX components_name ON components(name_key, id);
CREATE INDEX components_purl ON components(purl, id);

CREATE TABLE component_cpes (
    release_id   BIGINT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    ref          TEXT NOT NULL,
    cpe          TEXT COLLATE "C" NOT NULL
);
CREATE INDEX component_cpes_cpe ON component_cpes(cpe);
CREATE INDEX component_cpes_ref ON component_cpes(release_id, ref);

-- +goose Down
DROP TABLE component_cpes;
DROP TABLE components;
DROP TABLE releases;
DROP TABLE products;
DROP TABLE blobs;
DROP TABLE setup_tokens;
DROP TABLE api_tokens;
DROP TABLE sessions;
DROP TABLE users;
