package store_test

import (
	"testing"
	"time"

	"xtraauth/store"
	"xtraauth/store/conformance"
)

// TestDecide checks the rule on the table every store is checked on.
func TestDecide(t *testing.T) {
	for _, c := range conformance.DecideCases {
		var lockedFor time.Duration
		if c.Locked {
			lockedFor = c.Policy.LockFor
		}
		if got := store.Decide(c.Failures, lockedFor, c.Policy, c.Solved); !conformance.SameResult(got, c.Want) {
			t.Errorf("%s: got %+v, want %+v", c.Name, got, c.Want)
		}
	}
}
