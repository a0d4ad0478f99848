// Package lease lets one process at a time do a job among all the
// processes that share a database: whoever holds the named lease row in
// SQL, renewed on every check, does it; when the holder stops renewing
// (it ended or hangs), another takes over once the lease runs out.
package lease

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"

	"xtraauth/store"
)

// Lease is one process's claim on a named job.
type Lease struct {
	leases store.Leases
	name   string
	holder string
	ttl    time.Duration
	now    func() time.Time
}

// New makes a claim on name with a random holder id; a lease taken lasts
// ttl from its last renewal.
func New(leases store.Leases, name string, ttl time.Duration, now func() time.Time) *Lease {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand never fails on supported systems
	return &Lease{leases: leases, name: name, holder: hex.EncodeToString(b), ttl: ttl, now: now}
}

// Held takes or renews the lease and reports whether this process holds
// it. Work done under it must take less than the ttl between checks.
func (l *Lease) Held(ctx context.Context) (bool, error) {
	now := l.now()
	return l.leases.TakeLease(ctx, l.name, l.holder, now, now.Add(l.ttl))
}

// Drop gives the lease up, so another process takes over at once.
func (l *Lease) Drop(ctx context.Context) error {
	return l.leases.DropLease(ctx, l.name, l.holder)
}
