package memstore_test

import (
	"testing"
	"time"

	"xtraauth/internal/testkit"
	"xtraauth/store/conformance"
	"xtraauth/store/memstore"
)

// The durable suites hand each store the clock it is to stamp rows with.
func newDurable(_ *testing.T, now func() time.Time) conformance.Durable { return memstore.New(now) }

func newIntegrations(_ *testing.T, now func() time.Time) conformance.Integrations {
	return memstore.New(now)
}

// newEphemeral gives each store its own clock, so moving one test's time
// cannot expire another's keys.
func newEphemeral(*testing.T) (conformance.Ephemeral, func(time.Duration)) {
	clock := testkit.NewClock()
	return memstore.New(clock.Now), clock.Advance
}

func TestDurable(t *testing.T)              { conformance.RunDurable(t, newDurable) }
func TestDurableConcurrency(t *testing.T)   { conformance.RunDurableConcurrency(t, newDurable) }
func TestIntegrations(t *testing.T)         { conformance.RunIntegrations(t, newIntegrations) }
func TestEphemeral(t *testing.T)            { conformance.RunEphemeral(t, newEphemeral) }
func TestEphemeralConcurrency(t *testing.T) { conformance.RunEphemeralConcurrency(t, newEphemeral) }
