-- Approvals (self-service unlocks, dev_keys that need an admin), the outbox
-- of notifications fed from the audit trail, the cursor over that trail,
-- leases that let one process at a time send, and how the last calls to
-- each platform went. As in 0001, times are INTEGER unix milliseconds and
-- booleans INTEGER 0/1.

-- +goose Up
CREATE TABLE approvals (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    kind         TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    login        TEXT    NOT NULL,
    label        TEXT    NOT NULL DEFAULT '',
    reason       TEXT    NOT NULL DEFAULT '',
    platform     TEXT    NOT NULL,
    instance_id  TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    decided_at   INTEGER,
    decided_by   TEXT    NOT NULL DEFAULT '',
    remark       TEXT    NOT NULL DEFAULT '',
    needs_mirror INTEGER NOT NULL DEFAULT 0,
    needs_unlock INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX approvals_user_id_idx ON approvals (user_id);
CREATE INDEX approvals_state_idx ON approvals (state);
-- One pending unlock request per user, however many arrive at once.
CREATE UNIQUE INDEX approvals_pending_unlock_key ON approvals (user_id)
    WHERE kind = 'unlock' AND state = 'pending';

CREATE TABLE deliveries (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id   INTEGER NOT NULL,
    channel    TEXT    NOT NULL,
    recipient  TEXT    NOT NULL DEFAULT '',
    title      TEXT    NOT NULL,
    text       TEXT    NOT NULL,
    priority   TEXT    NOT NULL DEFAULT '',
    state      TEXT    NOT NULL DEFAULT 'pending',
    attempts   INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    next_at    INTEGER NOT NULL,
    sent_at    INTEGER,
    last_error TEXT    NOT NULL DEFAULT '',
    UNIQUE (event_id, channel, recipient)
);
CREATE INDEX deliveries_state_next_at_idx ON deliveries (state, next_at);

CREATE TABLE cursors (
    name     TEXT PRIMARY KEY NOT NULL,
    position INTEGER NOT NULL
);

CREATE TABLE leases (
    name       TEXT PRIMARY KEY NOT NULL,
    holder     TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
);

CREATE TABLE integrations (
    name            TEXT PRIMARY KEY NOT NULL,
    last_error      TEXT NOT NULL DEFAULT '',
    last_error_at   INTEGER,
    last_success_at INTEGER
);

-- +goose Down
DROP TABLE integrations;
DROP TABLE leases;
DROP TABLE cursors;
DROP TABLE deliveries;
DROP TABLE approvals;
