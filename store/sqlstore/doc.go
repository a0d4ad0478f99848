// Package sqlstore keeps xtraauth's durable state (users, dev_keys, the audit
// trail, tenants, OAuth2 clients and a few settings) in SQL: an SQLite file
// in the data directory when no database URL is given, or PostgreSQL when
// one is. The schema is created and upgraded by embedded goose migrations
// when the store is opened, one directory per dialect; queries are written
// once with '?' placeholders and rebound for PostgreSQL. Times are stored
// as UTC with millisecond precision. Invariants that span rows, such as "at
// least one enabled super admin", are checked inside the transaction that
// could break them.
package sqlstore
