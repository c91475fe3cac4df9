-- +goose Up
-- The analysis result of every firmware image uploaded to a release (the
-- firmware.Result that "rampart firmware analyze --format json" prints), so
-- the release's firmware page, the diff to the previous release and the
-- conformity evidence read it back without unpacking the image again.
CREATE TABLE firmware_analyses (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    release_id  BIGINT NOT NULL REFERENCES releases(id) ON DELETE CASCADE,
    sha256      TEXT NOT NULL,
    file_name   TEXT NOT NULL,
    result      TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL DEFAULT ''
);
CREATE INDEX firmware_analyses_release ON firmware_analyses (release_id, id);

-- +goose Down
DROP TABLE firmware_analyses;
