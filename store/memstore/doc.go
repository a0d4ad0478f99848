// Package memstore keeps every kind of xtraauth's state in memory: the
// durable tables of store/sqlstore and the ephemeral keys of
// store/redisstore, behind one Store that implements every interface of
// package store and passes every suite of store/conformance. It is for
// tests: a unit test gives a service a memstore.Store instead of a
// hand-written fake, and reads the outcome back through the same
// interfaces (the user row, the audit trail, the counters).
//
// Time comes only from the clock given to New. The durable side keeps
// times as the SQL stores do, in UTC to the millisecond, and stamps rows
// made without a time with the clock's now. The ephemeral side keeps
// lifetimes as Redis does: a session, access token, captcha, failure count,
// lock or rate-limit window ends a lifetime after the clock's now when it
// was written, and is gone once the clock reaches that instant. Nothing
// runs in the background; expired entries are dropped when next touched.
//
// One mutex guards all state, so every method is atomic. The updaters of
// UpdateUser, UpdateApproval and ClaimApproval run outside it, one at a
// time (as SQL transactions that take the write lock), so they may read
// the store but must not write to it.
package memstore
