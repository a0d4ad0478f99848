-- OAuth2 clients of the client-credentials grant, and the tenants whose
-- users each may act as. Only the SHA-256 of a client's secret is kept.
-- As in 0001, times are INTEGER unix milliseconds and booleans INTEGER 0/1.
--
-- Emails become unique and matched case-insensitively, as store.UserFinder
-- promises: the unique index moves from email to lower(email), which the
-- lookup compares with (SQLite's lower() folds ASCII letters only). It
-- refuses to build while two users share an email in different cases;
-- give one of them another email first.

-- +goose Up
CREATE TABLE oauth_clients (
    id          TEXT    PRIMARY KEY NOT NULL,
    secret_hash TEXT    NOT NULL,
    may_sudo    INTEGER NOT NULL DEFAULT 0,
    created_at  INTEGER NOT NULL
);

CREATE TABLE oauth_client_tenants (
    client_id TEXT    NOT NULL REFERENCES oauth_clients (id) ON DELETE CASCADE,
    tenant_id INTEGER NOT NULL REFERENCES tenants (id),
    PRIMARY KEY (client_id, tenant_id)
);
CREATE INDEX oauth_client_tenants_tenant_id_idx ON oauth_client_tenants (tenant_id);

CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email)) WHERE email <> '';
DROP INDEX users_email_key;

-- +goose Down
CREATE UNIQUE INDEX users_email_key ON users (email) WHERE email <> '';
DROP INDEX users_email_lower_key;
DROP TABLE oauth_client_tenants;
DROP TABLE oauth_clients;
