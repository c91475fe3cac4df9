-- +goose Up
-- A release's components in id order (AllComponents, and EachComponents'
-- keyset pages for the batched re-match): without it each page of a
-- 200,000-component release sorted the whole release again.
CREATE INDEX components_release_id ON components(release_id, id);

-- +goose Down
DROP INDEX components_release_id;
