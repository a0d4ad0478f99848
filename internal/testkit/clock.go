// Package testkit holds what tests of several packages share: a settable
// clock, cheap hash settings, a silent go-redis logger, a log buffer safe for
// concurrent writers, and the real-service settings of the environment.
package testkit

import (
	"sync"
	"time"
)

// Start is where every Clock begins unless told otherwise: a fixed instant,
// so failures reproduce.
var Start = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// Clock is a clock tests move by hand. Safe for concurrent use.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock standing at Start.
func NewClock() *Clock { return &Clock{t: Start} }

// Now is the clock's time; pass the method value as a service's clock.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock forward by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// Set puts the clock at t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = t
}
