-- +goose Up
-- EPSS scores by day (one row per CVE and score date), for trends.
CREATE TABLE epss_history (
    cve        TEXT NOT NULL,
    day        TEXT NOT NULL,
    score      DOUBLE PRECISION NOT NULL,
    percentile DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (cve, day)
);

-- +goose Down
DROP TABLE epss_history;
