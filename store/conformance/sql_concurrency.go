package conformance

import (
	"errors"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"xtraauth/store"
)

// durWorkers is how many goroutines race in the durable concurrency tests.
const durWorkers = 32

// RunDurableConcurrency checks that a durable store keeps its promises when
// many goroutines (standing in for many server processes) hit it at once.
// newStore returns a fresh, empty store; it is called once per subtest.
func RunDurableConcurrency(t *testing.T, newStore func(t *testing.T, now func() time.Time) Durable) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, Durable)
	}{
		{"CreateSameLogin", testDurableConcurrentCreate},
		{"UpdateNoLostUpdates", testDurableConcurrentUpdate},
		{"LastSuperAdminRace", testDurableSuperAdminRace},
		{"CreateSameClient", testDurableConcurrentCreateClient},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStore(t, durableClock))
		})
	}
}

// durTogether runs f(0..n-1) in n goroutines released at the same moment
// and returns their errors, by index.
func durTogether(n int, f func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = f(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func testDurableConcurrentCreate(t *testing.T, s Durable) {
	ctx := t.Context()
	logins := []string{"racer", "Racer", "RACER", "rAcEr"}
	errs := durTogether(durWorkers, func(i int) error {
		_, err := s.CreateUser(ctx, store.User{Login: logins[i%len(logins)]})
		return err
	})
	created := 0
	for i, err := range errs {
		switch {
		case err == nil:
			created++
		case !errors.Is(err, store.ErrAlreadyExists):
			t.Errorf("CreateUser %d: %v, want nil or ErrAlreadyExists", i, err)
		}
	}
	if created != 1 {
		t.Errorf("%d concurrent CreateUser of one login succeeded, want 1", created)
	}
	durWantCount(t, s, 1)
}

func testDurableConcurrentUpdate(t *testing.T, s Durable) {
	const rounds = 4
	u := durCreate(t, s, store.User{Login: "counter", Context: "0"})
	errs := durTogether(durWorkers, func(i int) error {
		for range rounds {
			_, err := s.UpdateUser(t.Context(), u.ID, func(x *store.User) error {
				n, err := strconv.Atoi(x.Context)
				if err != nil {
					return err
				}
				x.Context = strconv.Itoa(n + 1)
				return nil
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
	for i, err := range errs {
		durNoErr(t, fmt.Sprintf("UpdateUser in goroutine %d", i), err)
	}
	if got, want := durGet(t, s, u.ID).Context, strconv.Itoa(durWorkers*rounds); got != want {
		t.Errorf("counter after %d concurrent increments = %s: updates were lost", durWorkers*rounds, got)
	}
}

// testDurableSuperAdminRace has the only two enabled super admins taken
// away at the same moment, again and again: exactly one change must win.
func testDurableSuperAdminRace(t *testing.T, s Durable) {
	const rounds = 20
	ctx := t.Context()
	a := durCreate(t, s, store.User{Login: "a", IsSuper: true})
	b := durCreate(t, s, store.User{Login: "b", IsSuper: true})
	for round := range rounds {
		// Odd rounds delete b instead of disabling it.
		deleting := round%2 == 1
		errs := durTogether(2, func(i int) error {
			if i == 0 {
				return durSetSuper(ctx, s, a.ID, true, true)
			}
			if deleting {
				return s.DeleteUser(ctx, b.ID)
			}
			return durSetSuper(ctx, s, b.ID, true, true)
		})
		refused := 0
		for i, err := range errs {
			switch {
			case errors.Is(err, store.ErrLastSuperAdmin):
				refused++
			case err != nil:
				t.Fatalf("round %d, change %d: %v", round, i, err)
			}
		}
		if refused != 1 {
			t.Fatalf("round %d: %d of 2 changes refused, want exactly 1", round, refused)
		}
		durWantActiveSupers(t, s, round, 1)

		// Restore two enabled super admins for the next round.
		switch {
		case errs[0] != nil && deleting:
			b = durCreate(t, s, store.User{Login: fmt.Sprintf("b%d", round), IsSuper: true})
		case errs[0] != nil:
			durNoErr(t, "re-enable b", durSetSuper(ctx, s, b.ID, true, false))
		default:
			durNoErr(t, "re-enable a", durSetSuper(ctx, s, a.ID, true, false))
		}
		durWantActiveSupers(t, s, round, 2)
	}
}

func durWantActiveSupers(t *testing.T, s Durable, round, want int) {
	t.Helper()
	users, _, err := s.ListUsers(t.Context(), store.UserFilter{})
	durNoErr(t, "ListUsers", err)
	n := 0
	for _, u := range users {
		if u.IsSuper && !u.Disabled {
			n++
		}
	}
	if n != want {
		t.Fatalf("round %d: %d enabled super admins, want %d", round, n, want)
	}
}

// testDurableConcurrentCreateClient has many goroutines create one client id,
// each with its own secret and tenants: exactly one wins, and the client
// read back is entirely the winner's.
func testDurableConcurrentCreateClient(t *testing.T, s Durable) {
	ctx := t.Context()
	t2 := durCreateTenant(t, s, "t2")
	t3 := durCreateTenant(t, s, "t3")
	tenantSets := [][]int64{nil, {store.DefaultTenantID}, {t3.ID, t2.ID}, {t2.ID, store.DefaultTenantID, t3.ID}}
	clients := make([]store.Client, durWorkers)
	for i := range clients {
		clients[i] = store.Client{ID: "racer", SecretHash: fmt.Sprintf("hash-%d", i), MaySudo: i%2 == 0,
			TenantIDs: tenantSets[i%len(tenantSets)], CreatedAt: durableBase}
	}
	errs := durTogether(durWorkers, func(i int) error {
		_, err := s.CreateClient(ctx, clients[i])
		return err
	})
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner >= 0:
			t.Errorf("CreateClient %d and %d of one id both succeeded", winner, i)
		case err == nil:
			winner = i
		case !errors.Is(err, store.ErrAlreadyExists):
			t.Errorf("CreateClient %d: %v, want nil or ErrAlreadyExists", i, err)
		}
	}
	if winner < 0 {
		t.Fatal("no concurrent CreateClient of one id succeeded, want 1")
	}
	durSameClient(t, "GetClient after the race", durGetClient(t, s, "racer"), clients[winner])
	durWantClients(t, s, clients[winner])
}
