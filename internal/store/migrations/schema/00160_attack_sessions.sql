-- +goose Up
-- Timed "attack your own product" sessions on a product's threat model
-- (internal/attacksession).
CREATE TABLE attack_sessions (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id    BIGINT NOT NULL REFERENCES products(id) ON DELETE CASCADE,
    model_version INTEGER NOT NULL,
    title         TEXT NOT NULL,
    facilitator   TEXT NOT NULL,
    started_at    TEXT NOT NULL,
    ends_at       TEXT NOT NULL,
    ended_at      TEXT
);
CREATE INDEX attack_sessions_product ON attack_sessions(product_id, id);

-- One-time join links for people without an account: only the SHA-256 of
-- the secret is kept; used_at is set when the link is spent.
CREATE TABLE attack_links (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES attack_sessions(id) ON DELETE CASCADE,
    hash       TEXT NOT NULL UNIQUE,
    label      TEXT NOT NULL DEFAULT '',
    created_by TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX attack_links_session ON attack_links(session_id);

-- Participants: signed-in users (user_name) or guests who joined with a
-- link (token_hash: the SHA-256 of their participant cookie).
CREATE TABLE attack_participants (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES attack_sessions(id) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    user_name  TEXT NOT NULL DEFAULT '',
    guest      BOOLEAN NOT NULL DEFAULT FALSE,
    link_id    BIGINT REFERENCES attack_links(id) ON DELETE SET NULL,
    token_hash TEXT UNIQUE,
    joined_at  TEXT NOT NULL
);
CREATE UNIQUE INDEX attack_participants_user ON attack_participants(session_id, user_name) WHERE user_name <> '';

CREATE TABLE attack_ideas (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id     BIGINT NOT NULL REFERENCES attack_sessions(id) ON DELETE CASCADE,
    participant_id BIGINT NOT NULL REFERENCES attack_participants(id) ON DELETE CASCADE,
    author         TEXT NOT NULL,
    target         TEXT NOT NULL,
    text           TEXT NOT NULL,
    stride         TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    state          TEXT NOT NULL DEFAULT 'open',
    threat_id      TEXT NOT NULL DEFAULT '',
    reason         TEXT NOT NULL DEFAULT '',
    decided_by     TEXT NOT NULL DEFAULT '',
    decided_at     TEXT
);
CREATE INDEX attack_ideas_session ON attack_ideas(session_id, id);

CREATE TABLE attack_votes (
    idea_id        BIGINT NOT NULL REFERENCES attack_ideas(id) ON DELETE CASCADE,
    participant_id BIGINT NOT NULL REFERENCES attack_participants(id) ON DELETE CASCADE,
    voted_at       TEXT NOT NULL,
    PRIMARY KEY (idea_id, participant_id)
);

CREATE TABLE attack_events (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES attack_sessions(id) ON DELETE CASCADE,
    at         TEXT NOT NULL,
    kind       TEXT NOT NULL,
    actor      TEXT NOT NULL,
    detail     TEXT NOT NULL DEFAULT ''
);
CREATE INDEX attack_events_session ON attack_events(session_id, id);

-- +goose Down
DROP TABLE attack_events;
DROP TABLE attack_votes;
DROP TABLE attack_ideas;
DROP TABLE attack_participants;
DROP TABLE attack_links;
DROP TABLE attack_sessions;
