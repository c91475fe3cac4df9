-- +goose Up
-- Security hardening (issue 11): single-sign-on accounts are linked by the
-- provider's (issuer, sub) pair only, never by a user name or email claim.
CREATE TABLE sso_identities (
    issuer  TEXT NOT NULL,
    subject TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    PRIMARY KEY (issuer, subject)
);
CREATE INDEX sso_identities_user ON sso_identities(user_id);

-- +goose Down
DROP TABLE sso_identities;
