// Package redisstore keeps xtraauth's ephemeral state (sessions, failure
// counters and locks, rate-limit windows, captchas) in Redis, so that every
// server process sees the same state and a restart loses nothing that
// matters. It runs against a single Redis, Redis Cluster, or an embedded
// miniredis (StartEmbedded) for single-binary installs.
//
// Key layout, every key starting with the Store's prefix P:
//
//	P sess:<digest>          JSON store.Session, expires with the session
//	P usess:<uid>            sorted set of the user's digests, scored by expiry
//	P {<subject>}:fails      failures counted for a subject (login or client)
//	P {<subject>}:lock       exists while the subject is locked
//	P hits:<key>             fixed-window counter
//	P captcha:<id>           JSON store.Captcha
//	P captcha-newest:<bind>  id of the newest captcha for a binding
//
// The two counter keys of a subject carry the subject as a hash tag ({...})
// so Redis Cluster puts them in one slot: the check-and-count of Attempt and
// the undo of Refund are Lua scripts over both keys, and a script may only
// touch keys of one slot. Braces and '%' inside a subject are %-escaped so a
// subject cannot end its hash tag early and split its keys across slots.
// Every other operation touches one key per script, or several keys through
// plain commands, so nothing else depends on slot placement. The prefix
// should not contain braces, or all subjects would share one slot.
package redisstore
