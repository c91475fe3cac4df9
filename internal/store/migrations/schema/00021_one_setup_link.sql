-- +goose Up
-- Security hardening (issue 11): at most one first-start setup link exists
-- at a time (a new one replaces the old); links issued before this
-- migration are void.
DELETE FROM setup_tokens WHERE purpose = 'setup';
CREATE UNIQUE INDEX setup_tokens_one_setup ON setup_tokens(purpose) WHERE purpose = 'setup';

-- +goose Down
DROP INDEX setup_tokens_one_setup;
