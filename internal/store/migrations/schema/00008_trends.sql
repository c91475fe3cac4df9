-- +goose Up
-- Daily counts of active findings per product and severity, for trend charts.
CREATE TABLE finding_snapshots (
    day        TEXT NOT NULL,
    product_id BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    severity   TEXT NOT NULL,
    active     INTEGER NOT NULL,
    PRIMARY KEY (day, product_id, severity)
);

-- +goose Down
DROP TABLE finding_snapshots;
