// Package conformance holds the test suites every store implementation
// passes: RunDurable and RunDurableConcurrency for the SQL state,
// RunEphemeral and RunEphemeralConcurrency for the Redis state. Each
// backend's tests call them in a few lines with a constructor of a fresh,
// empty store, so SQLite and PostgreSQL, miniredis, the embedded server,
// real Redis and a Redis Cluster are held to the same promises.
package conformance
