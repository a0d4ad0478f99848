package conformance

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"xtraauth/store"
)

// RunEphemeralConcurrency checks that the check-and-count steps hold under
// concurrent callers: no threshold can be overrun by racing it. newStore is
// as for RunEphemeral.
func RunEphemeralConcurrency(t *testing.T, newStore func(t *testing.T) (Ephemeral, func(time.Duration))) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, Ephemeral)
	}{
		{"AttemptCaptchaGate", testEphConcurrentCaptchaGate},
		{"AttemptLockGate", testEphConcurrentLockGate},
		{"Hit", testEphConcurrentHit},
		{"TakeCaptcha", testEphConcurrentTake},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, _ := newStore(t)
			tc.run(t, s)
		})
	}
}

// ephTogether runs f(0..n-1) in n goroutines released at the same moment and
// waits for all of them.
func ephTogether(n int, f func(i int)) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			f(i)
		})
	}
	close(start)
	wg.Wait()
}

// ephConcurrentAttempts runs n simultaneous attempts on key and returns how
// many ended with each status, plus the failure counts of those that
// proceeded.
func ephConcurrentAttempts(t *testing.T, s store.Counters, n int, key string, p store.AttemptPolicy, solved bool) (map[store.AttemptStatus]int, []int) {
	t.Helper()
	results := make([]store.AttemptResult, n)
	errs := make([]error, n)
	ephTogether(n, func(i int) {
		results[i], errs[i] = s.Attempt(context.Background(), key, p, solved)
	})
	counts := map[store.AttemptStatus]int{}
	var proceeded []int
	for i, res := range results {
		if errs[i] != nil {
			t.Fatalf("attempt: %v", errs[i])
		}
		counts[res.Status]++
		if res.Status == store.AttemptProceed {
			proceeded = append(proceeded, res.Failures)
		}
	}
	return counts, proceeded
}

func testEphConcurrentCaptchaGate(t *testing.T, s Ephemeral) {
	counts, proceeded := ephConcurrentAttempts(t, s, 64, "alice", ephPolicy(), false)
	if counts[ephProceed] != 2 || counts[ephCaptcha] != 62 {
		t.Errorf("statuses %v, want 2 proceed and 62 captcha needed", counts)
	}
	ephWantEachOnce(t, "failure counts", proceeded, 2)
	ephWantState(t, s, "alice", 2, false)
}

func testEphConcurrentLockGate(t *testing.T, s Ephemeral) {
	counts, proceeded := ephConcurrentAttempts(t, s, 64, "alice", ephPolicy(), true)
	if counts[ephProceed] != 5 || counts[ephLocked] != 59 {
		t.Errorf("statuses %v, want 5 proceed and 59 locked", counts)
	}
	ephWantEachOnce(t, "failure counts", proceeded, 5)
	ephWantState(t, s, "alice", 5, true)
}

// ephWantEachOnce checks got holds 1..n, each exactly once, in any order.
func ephWantEachOnce[N int | int64](t *testing.T, what string, got []N, n int) {
	t.Helper()
	seen := make(map[N]bool, len(got))
	for _, v := range got {
		if v < 1 || int(v) > n || seen[v] {
			t.Fatalf("%s %v: want each of 1..%d exactly once", what, got, n)
		}
		seen[v] = true
	}
	if len(got) != n {
		t.Fatalf("%s %v: want each of 1..%d exactly once", what, got, n)
	}
}

func testEphConcurrentHit(t *testing.T, s Ephemeral) {
	counts := make([]int64, 64)
	errs := make([]error, 64)
	ephTogether(64, func(i int) {
		counts[i], errs[i] = s.Hit(context.Background(), "addr:10.0.0.1", time.Hour)
	})
	ephNoErr(t, "hit", errors.Join(errs...))
	ephWantEachOnce(t, "hit counts", counts, 64)
	ephWantHits(t, s, "addr:10.0.0.1", 64)
}

func testEphConcurrentTake(t *testing.T, s Ephemeral) {
	ctx := context.Background()
	ephNoErr(t, "put", s.PutCaptcha(ctx, 1, store.Captcha{Answer: "a", Binding: "login:alice"}, time.Hour))
	errs := make([]error, 32)
	ephTogether(32, func(i int) {
		_, errs[i] = s.TakeCaptcha(ctx, 1)
	})
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, store.ErrNotFound):
			t.Fatalf("take: %v", err)
		}
	}
	if won != 1 {
		t.Errorf("%d takes succeeded, want exactly 1", won)
	}
}
