package account

import (
	"context"
	"sync"
	"time"
)

// evenCost makes every refused password cost the same time, whatever hash
// the login has stored. Unknown logins pay a decoy hash of today's
// parameters, while stored hashes may be imported bcrypt ones or argon2id
// ones of older parameters, which cost more or less: without this, time
// would tell unknown logins from imported or older users. It keeps, per
// kind of stored hash, a running average of what verifying one costs, and
// pads a refusal (by waiting, not computing) up to the dearest kind seen.
type evenCost struct {
	mu   sync.Mutex
	cost map[string]time.Duration
}

// costWeight is how much a new measurement moves a kind's average: 1/8.
const costWeight = 8

func newEvenCost() *evenCost { return &evenCost{cost: map[string]time.Duration{}} }

// observe adds the time one verification of a kind of hash took.
func (e *evenCost) observe(kind string, took time.Duration) {
	if kind == "" || took <= 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	old, ok := e.cost[kind]
	if !ok {
		e.cost[kind] = took
		return
	}
	e.cost[kind] = old + (took-old)/costWeight
}

// dearest is the average cost of the dearest kind seen.
func (e *evenCost) dearest() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	var most time.Duration
	for _, c := range e.cost {
		most = max(most, c)
	}
	return most
}

// pad waits until a refusal whose hash took took has cost as much as the
// dearest kind, or ctx ends.
func (e *evenCost) pad(ctx context.Context, took time.Duration) {
	wait := e.dearest() - took
	if wait <= 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
