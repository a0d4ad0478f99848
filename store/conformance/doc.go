// Package conformance holds the test suites every store implementation
// passes: RunDurable and RunDurableConcurrency for the SQL state,
// RunIntegrations for approvals, the outbox and leases, RunEphemeral and
// RunEphemeralConcurrency for the Redis state. Each backend's tests call
// them in a few lines with a constructor of a fresh, empty store, so SQLite
// and PostgreSQL, miniredis, the embedded server, real Redis, a Redis
// Cluster and the in-memory store of unit tests (memstore) are held to the
// same promises.
package conformance
