-- +goose Up
-- Policy versions: product_id 0 is the global default policy.
CREATE TABLE policies (
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

CREATE TABLE policy_exceptions (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id      BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    rule            TEXT NOT NULL,
    match_id        TEXT NOT NULL DEFAULT '',
    match_component TEXT NOT NULL DEFAULT '',
    match_path      TEXT NOT NULL DEFAULT '',
    reason          TEXT NOT NULL,
    expires         TEXT NOT NULL,
    status          TEXT NOT NULL,
    requested_by    TEXT NOT NULL,
    requested_at    TEXT NOT NULL,
    decided_by      TEXT NOT NULL DEFAULT '',
    decided_at      TEXT NOT NULL DEFAULT ''
);
CREATE INDEX policy_exceptions_product ON policy_exceptions (product_id, status);

CREATE TABLE gate_results (
    release_id     BIGINT PRIMARY KEY REFERENCES releases(id) ON DELETE CASCADE,
    passed         INTEGER NOT NULL,
    failing        INTEGER NOT NULL,
    policy_scope   TEXT NOT NULL,
    policy_version INTEGER NOT NULL,
    trigger_kind   TEXT NOT NULL,
    result         TEXT NOT NULL,
    evaluated_at   TEXT NOT NULL
);

-- +goose Down
DROP TABLE gate_results;
DROP TABLE policy_exceptions;
DROP TABLE policies;
