-- +goose Up
-- The fleet exposure query groups a product's devices by release.
CREATE INDEX update_devices_product_release ON update_devices(product_id, release_id);

-- +goose Down
DROP INDEX update_devices_product_release;
