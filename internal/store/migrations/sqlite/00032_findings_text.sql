-- +goose Up
-- Full-text (substring) search over a finding's title, rule, component and
-- vulnerability ids: an FTS5 trigram index kept by triggers, so q= on the
-- findings API no longer scans the table.
CREATE VIRTUAL TABLE findings_text USING fts5(body, tokenize = 'trigram');
INSERT INTO findings_text (rowid, body)
    SELECT id, title || ' ' || rule_id || ' ' || component || ' ' || vuln_ids FROM findings;
-- +goose StatementBegin
CREATE TRIGGER findings_text_insert AFTER INSERT ON findings BEGIN
    INSERT INTO findings_text (rowid, body) VALUES (new.id, new.title || ' ' || new.rule_id || ' ' || new.component || ' ' || new.vuln_ids);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER findings_text_update AFTER UPDATE OF title, rule_id, component, vuln_ids ON findings BEGIN
    DELETE FROM findings_text WHERE rowid = old.id;
    INSERT INTO findings_text (rowid, body) VALUES (new.id, new.title || ' ' || new.rule_id || ' ' || new.component || ' ' || new.vuln_ids);
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER findings_text_delete AFTER DELETE ON findings BEGIN
    DELETE FROM findings_text WHERE rowid = old.id;
END;
-- +goose StatementEnd

-- +goose Down
DROP TRIGGER findings_text_delete;
DROP TRIGGER findings_text_update;
DROP TRIGGER findings_text_insert;
DROP TABLE findings_text;
