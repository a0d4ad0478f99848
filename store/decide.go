package store

import "time"

// Decide is the rule of Counters.Attempt, stated once as data: given a
// key's failures and the time left on its lock (0 when it is not locked),
// the policy and whether a captcha was solved, what one attempt gets. A
// lock is answered first; past CaptchaAfter failures only a solved captcha
// lets the attempt through; an attempt let through is counted as a failure
// in advance, and the one that brings the count to LockAfter takes the lock.
// Stores apply the rule atomically (a Lua script in Redis); one table of
// cases checks this function and every store alike (package conformance).
func Decide(failures int, lockedFor time.Duration, p AttemptPolicy, captchaSolved bool) AttemptResult {
	switch {
	case lockedFor > 0:
		return AttemptResult{Status: AttemptLocked, Failures: failures, RetryAfter: lockedFor}
	case p.CaptchaAfter > 0 && failures >= p.CaptchaAfter && !captchaSolved:
		return AttemptResult{Status: AttemptCaptchaNeeded, Failures: failures}
	}
	n := failures + 1
	return AttemptResult{Status: AttemptProceed, Failures: n, TookLock: p.LockAfter > 0 && n >= p.LockAfter}
}
