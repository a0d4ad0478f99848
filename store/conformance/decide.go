package conformance

import (
	"context"
	"testing"
	"time"

	"xtraauth/store"
)

// DecideCase is one row of the lockout's rule: a key with Failures
// failures, Locked or not (a lock made by Attempt, so for the policy's
// LockFor), and one attempt under Policy; Want is what it gets. The same
// table checks store.Decide (its statement) and every store's atomic
// Attempt, so the two cannot drift.
type DecideCase struct {
	Name     string
	Failures int
	Locked   bool
	Policy   store.AttemptPolicy
	Solved   bool
	Want     store.AttemptResult
}

// decideLockFor is the LockFor of the table's policies: a locked key's
// RetryAfter is at most this (a real Redis's clock runs on meanwhile).
const decideLockFor = time.Hour

func decidePolicy(captchaAfter, lockAfter int) store.AttemptPolicy {
	return store.AttemptPolicy{CaptchaAfter: captchaAfter, LockAfter: lockAfter, LockFor: decideLockFor}
}

var (
	proceed = store.AttemptProceed
	captcha = store.AttemptCaptchaNeeded
	locked  = store.AttemptLocked
)

// DecideCases is every stage and edge of the rule.
var DecideCases = []DecideCase{
	{"a first attempt is counted", 0, false, decidePolicy(2, 5), false, store.AttemptResult{Status: proceed, Failures: 1}},
	{"under the captcha threshold", 1, false, decidePolicy(2, 5), false, store.AttemptResult{Status: proceed, Failures: 2}},
	{"at the captcha threshold, no captcha", 2, false, decidePolicy(2, 5), false, store.AttemptResult{Status: captcha, Failures: 2}},
	{"at the captcha threshold, solved", 2, false, decidePolicy(2, 5), true, store.AttemptResult{Status: proceed, Failures: 3}},
	{"a solved captcha before it is needed", 0, false, decidePolicy(2, 5), true, store.AttemptResult{Status: proceed, Failures: 1}},
	{"the attempt that locks", 4, false, decidePolicy(2, 5), true, store.AttemptResult{Status: proceed, Failures: 5, TookLock: true}},
	{"locked, even with a captcha", 5, true, decidePolicy(2, 5), true, store.AttemptResult{Status: locked, Failures: 5, RetryAfter: decideLockFor}},
	{"locked answers before the captcha", 5, true, decidePolicy(2, 5), false, store.AttemptResult{Status: locked, Failures: 5, RetryAfter: decideLockFor}},
	{"captchas off", 7, false, decidePolicy(0, 0), false, store.AttemptResult{Status: proceed, Failures: 8}},
	{"locks off, captcha solved", 9, false, decidePolicy(2, 0), true, store.AttemptResult{Status: proceed, Failures: 10}},
	{"lock after 1", 0, false, decidePolicy(0, 1), false, store.AttemptResult{Status: proceed, Failures: 1, TookLock: true}},
	{"past a lowered threshold", 6, false, decidePolicy(0, 3), false, store.AttemptResult{Status: proceed, Failures: 7, TookLock: true}},
	{"a lock with no failures left", 0, true, decidePolicy(2, 5), false, store.AttemptResult{Status: locked, Failures: 0, RetryAfter: decideLockFor}},
}

// testEphDecide runs the table against the store: each case's state is
// made through the API, then its attempt made and compared.
func testEphDecide(t *testing.T, s Ephemeral, _ func(time.Duration)) {
	ctx := context.Background()
	for i, c := range DecideCases {
		key := "decide:" + string(rune('a'+i))
		for n := range c.Failures {
			p := store.AttemptPolicy{LockFor: decideLockFor}
			if c.Locked && n == c.Failures-1 {
				p.LockAfter = c.Failures
			}
			_, err := s.Attempt(ctx, key, p, true)
			ephNoErr(t, c.Name+": set up", err)
		}
		if c.Locked && c.Failures == 0 {
			// a lock whose failures were taken back (Refund keeps it only
			// while the count is at the threshold, so lock and keep none)
			_, err := s.Attempt(ctx, key, store.AttemptPolicy{LockAfter: 1, LockFor: decideLockFor}, true)
			ephNoErr(t, c.Name+": set up", err)
			ephNoErr(t, c.Name+": set up", s.Refund(ctx, key, store.AttemptPolicy{LockFor: decideLockFor}))
		}
		got, err := s.Attempt(ctx, key, c.Policy, c.Solved)
		ephNoErr(t, c.Name, err)
		if !SameResult(got, c.Want) {
			t.Errorf("%s: got %+v, want %+v", c.Name, got, c.Want)
		}
	}
}

// SameResult compares results, allowing a locked key's time left to have
// run down a minute (a real Redis's clock runs on).
func SameResult(got, want store.AttemptResult) bool {
	retry := got.RetryAfter <= want.RetryAfter && got.RetryAfter > want.RetryAfter-time.Minute
	got.RetryAfter, want.RetryAfter = 0, 0
	return got == want && retry
}
