-- Times are INTEGER unix milliseconds, UTC. Booleans are INTEGER 0/1.
-- AUTOINCREMENT keeps ids of deleted users and keys from being handed out
-- again, so a stale session or log line never points at someone else.

-- +goose Up
CREATE TABLE tenants (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    code       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
INSERT INTO tenants (id, code, name, created_at)
VALUES (1, 'default', 'Default', CAST(unixepoch('subsec') * 1000 AS INTEGER));

CREATE TABLE users (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    login         TEXT    NOT NULL,
    login_key     TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL DEFAULT '',
    email         TEXT    NOT NULL DEFAULT '',
    mobile        TEXT    NOT NULL DEFAULT '',
    tel           TEXT    NOT NULL DEFAULT '',
    extn_id       TEXT    NOT NULL DEFAULT '',
    type          TEXT    NOT NULL DEFAULT 'NORMAL',
    domain        TEXT    NOT NULL DEFAULT '',
    context       TEXT    NOT NULL DEFAULT '',
    password_hash TEXT    NOT NULL DEFAULT '',
    is_super      INTEGER NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    tenant_id     INTEGER NOT NULL DEFAULT 1 REFERENCES tenants (id),
    last_login_at INTEGER,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE UNIQUE INDEX users_email_key ON users (email) WHERE email <> '';
CREATE UNIQUE INDEX users_mobile_key ON users (mobile) WHERE mobile <> '';
CREATE INDEX users_tenant_id_idx ON users (tenant_id);

CREATE TABLE dev_keys (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    label        TEXT    NOT NULL DEFAULT '',
    prefix       TEXT    NOT NULL DEFAULT '',
    hash         TEXT    NOT NULL UNIQUE,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER
);
CREATE INDEX dev_keys_user_id_idx ON dev_keys (user_id);

CREATE TABLE audit_events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    subject TEXT    NOT NULL,
    address TEXT    NOT NULL DEFAULT '',
    kind    TEXT    NOT NULL DEFAULT '',
    outcome TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_events_subject_at_idx ON audit_events (subject, at);
CREATE INDEX audit_events_at_idx ON audit_events (at);

CREATE TABLE settings (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- +goose Down
DROP TABLE settings;
DROP TABLE audit_events;
DROP TABLE dev_keys;
DROP TABLE users;
DROP TABLE tenants;
