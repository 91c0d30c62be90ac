-- The key signing anonymous visitors' CSRF tokens (src/session.rs): one row, written by the
-- first replica to start, read by all, so a form served by one replica is accepted by another
-- without a session row per visitor.
CREATE TABLE csrf_key (
    id  SMALLINT PRIMARY KEY CHECK (id = 1),
    key BYTEA NOT NULL CHECK (length(key) = 32)
);
