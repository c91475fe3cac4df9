-- +goose Up
-- Identity hardening (issue 4): product roles, scoped tokens, MFA,
-- persistent sign-in throttling, settings and the hash-chained audit log.

-- all_products: the user's global role applies to every product (the
-- fallback mapping); 0 means access only through product_members.
ALTER TABLE users ADD COLUMN all_products BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE users ADD COLUMN totp_secret TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_pending TEXT NOT NULL DEFAULT '';
ALTER TABLE users ADD COLUMN totp_last_step BIGINT NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN password_changed_at TEXT NOT NULL DEFAULT '';

-- mfa: the session was established with more than one factor (password
-- and TOTP or recovery code, a user-verified passkey, or an identity
-- provider that says so); require_mfa checks this, not the account.
ALTER TABLE sessions ADD COLUMN mfa BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE product_members (
    product_id BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    user_id    BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role       TEXT NOT NULL CHECK (role IN ('owner','editor','viewer','auditor')),
    PRIMARY KEY (product_id, user_id)
);
CREATE INDEX product_members_user ON product_members(user_id);

-- scopes: space-separated scope names, '*' for all of the owner's rights.
ALTER TABLE api_tokens ADD COLUMN scopes TEXT NOT NULL DEFAULT '*';
ALTER TABLE api_tokens ADD COLUMN product_id BIGINT REFERENCES products(id) ON DELETE CASCADE;

ALTER TABLE setup_tokens ADD COLUMN role TEXT NOT NULL DEFAULT '';
ALTER TABLE setup_tokens ADD COLUMN created_by TEXT NOT NULL DEFAULT '';

CREATE TABLE recovery_codes (
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    hash    TEXT NOT NULL,
    used    BOOLEAN NOT NULL DEFAULT FALSE,
    PRIMARY KEY (user_id, hash)
);

CREATE TABLE passkeys (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id      BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    credential   TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    data         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT
);
CREATE INDEX passkeys_user ON passkeys(user_id);

-- WebAuthn ceremonies in progress (challenge state), shared by every
-- server; each row is used once and expires after five minutes.
CREATE TABLE webauthn_challenges (
    id         TEXT PRIMARY KEY,
    user_id    BIGINT,
    data       TEXT NOT NULL,
    expires_at TEXT NOT NULL
);

-- Failed sign-ins per key (user:NAME, ip:ADDR), shared by every server.
CREATE TABLE auth_failures (
    key      TEXT PRIMARY KEY,
    failures INTEGER NOT NULL,
    until    TEXT NOT NULL
);

CREATE TABLE settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- seq is assigned by the writer (last seq + 1 under a lock), never by a
-- sequence, so a gap means a deleted row.
CREATE TABLE audit_log (
    seq        BIGINT PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    source     TEXT NOT NULL,
    action     TEXT NOT NULL,
    object     TEXT NOT NULL,
    product_id BIGINT,
    outcome    TEXT NOT NULL,
    detail     TEXT NOT NULL,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE INDEX audit_log_product ON audit_log(product_id, seq);
CREATE INDEX audit_log_action ON audit_log(action, seq);

-- +goose Down
DROP TABLE audit_log;
DROP TABLE settings;
DROP TABLE auth_failures;
DROP TABLE webauthn_challenges;
DROP TABLE passkeys;
DROP TABLE recovery_codes;
ALTER TABLE setup_tokens DROP COLUMN created_by;
ALTER TABLE setup_tokens DROP COLUMN role;
ALTER TABLE api_tokens DROP COLUMN product_id;
ALTER TABLE api_tokens DROP COLUMN scopes;
DROP TABLE product_members;
ALTER TABLE sessions DROP COLUMN mfa;
ALTER TABLE users DROP COLUMN password_changed_at;
ALTER TABLE users DROP COLUMN totp_last_step;
ALTER TABLE users DROP COLUMN totp_pending;
ALTER TABLE users DROP COLUMN totp_secret;
ALTER TABLE users DROP COLUMN all_products;
