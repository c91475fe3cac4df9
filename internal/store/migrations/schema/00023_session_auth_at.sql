-- +goose Up
-- Security hardening (issue 11): when the session last proved who it is
-- (sign-in, or re-entering the password or a code): changing second
-- factors needs this within the last five minutes.
ALTER TABLE sessions ADD COLUMN auth_at TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE sessions DROP COLUMN auth_at;
