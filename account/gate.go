package account

import "context"

// Attempt describes one try of a secret, for the gate in front of it.
type Attempt struct {
	Login         string // as typed; the gate counts under its lower case
	Address       string // client address, already grouped (IPv6 /64)
	CaptchaID     string
	CaptchaAnswer string
}

// Gate is the lockout in front of every secret check. The account service
// calls it on every path, so no front door can check a password without it.
type Gate interface {
	// Enter runs before a password is checked; an error refuses the attempt
	// (captcha needed, locked, store down) and the password is not looked at.
	Enter(ctx context.Context, a Attempt) error
	// Cancel takes back an entered attempt whose password was never checked.
	Cancel(ctx context.Context, a Attempt)
	// Finish records the outcome of an entered attempt.
	Finish(ctx context.Context, a Attempt, ok bool) error
	// EnterDevKey and FinishDevKey do the same for dev_key logins, which are
	// counted per address, never per login.
	EnterDevKey(ctx context.Context, a Attempt) error
	FinishDevKey(ctx context.Context, a Attempt, ok bool) error
}

// OpenGate lets every attempt through and counts nothing.
type OpenGate struct{}

func (OpenGate) Enter(context.Context, Attempt) error              { return nil }
func (OpenGate) Cancel(context.Context, Attempt)                   {}
func (OpenGate) Finish(context.Context, Attempt, bool) error       { return nil }
func (OpenGate) EnterDevKey(context.Context, Attempt) error        { return nil }
func (OpenGate) FinishDevKey(context.Context, Attempt, bool) error { return nil }
