-- +goose Up
-- Security hardening (issue 11): a token created by another token records
-- its parent; a token is valid only while every ancestor is (revoking a
-- parent revokes its children, and a child never outlives its parent).
ALTER TABLE api_tokens ADD COLUMN parent_id BIGINT REFERENCES api_tokens(id) ON DELETE CASCADE;
CREATE INDEX api_tokens_parent ON api_tokens(parent_id);

-- +goose Down
DROP INDEX api_tokens_parent;
ALTER TABLE api_tokens DROP COLUMN parent_id;
