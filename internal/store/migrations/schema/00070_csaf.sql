-- +goose Up
CREATE TABLE csaf_advisories (
    id                   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id           BIGINT REFERENCES products(id) ON DELETE SET NULL,
    tracking_id          TEXT NOT NULL UNIQUE,
    title                TEXT NOT NULL DEFAULT '',
    tlp                  TEXT NOT NULL,
    status               TEXT NOT NULL,
    require_review       INTEGER NOT NULL DEFAULT 1,
    author               TEXT NOT NULL DEFAULT '',
    reviewer             TEXT NOT NULL DEFAULT '',
    document             TEXT NOT NULL,
    created_at           TEXT NOT NULL,
    updated_at           TEXT NOT NULL,
    published            TEXT,
    published_version    TEXT NOT NULL DEFAULT '',
    published_tlp        TEXT NOT NULL DEFAULT '',
    published_year       INTEGER NOT NULL DEFAULT 0,
    published_file       TEXT NOT NULL DEFAULT '',
    initial_release_date TEXT NOT NULL DEFAULT '',
    current_release_date TEXT NOT NULL DEFAULT '',
    sha256               TEXT NOT NULL DEFAULT '',
    sha512               TEXT NOT NULL DEFAULT '',
    signature            TEXT NOT NULL DEFAULT '',
    signed_by            TEXT NOT NULL DEFAULT ''
);
CREATE INDEX csaf_advisories_feed ON csaf_advisories(published_tlp, current_release_date);
CREATE INDEX csaf_advisories_file ON csaf_advisories(published_tlp, published_year, published_file);

CREATE TABLE csaf_signing_keys (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    fingerprint TEXT NOT NULL UNIQUE,
    public_key  TEXT NOT NULL,
    private_key TEXT NOT NULL,
    created_at  TEXT NOT NULL
);

-- +goose Down
DROP TABLE csaf_signing_keys;
DROP TABLE csaf_advisories;
