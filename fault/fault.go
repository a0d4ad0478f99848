// Package fault lets a domain package say what kind of failure an error
// is, and in what words a caller is told, without knowing HTTP: the HTTP
// layer maps each kind to a status, and each front door renders the body
// in its own shape. An error that is no fault is the system's own failure.
package fault

import (
	"errors"
	"time"
)

// Kind is what kind of failure a fault is.
type Kind int

// The kinds, with the status the XSwitch API gives each.
const (
	Invalid          Kind = iota + 1 // a malformed request: 400
	Unauthenticated                  // no credential, or one naming nothing: 401
	WrongCredentials                 // a login's secret did not match: 403 (DMS: 401)
	Forbidden                        // not allowed: 403
	NotFound                         // 404
	Conflict                         // the state forbids it now: 409
	Captcha                          // a captcha is needed, or was wrong: 403
	Locked                           // too many failures: 429
	RateLimited                      // too many requests: 429
	Busy                             // overloaded, try again soon: 503
)

// Error is implemented by every error a caller can cause.
type Error interface {
	error
	Kind() Kind
	// Public is what the caller is told.
	Public() string
}

// Waiter is implemented by faults that say when to try again.
type Waiter interface {
	TryAgainIn() time.Duration
}

type fault struct {
	kind Kind
	text string
}

func (f *fault) Error() string  { return f.text }
func (f *fault) Kind() Kind     { return f.kind }
func (f *fault) Public() string { return f.text }

// New makes a fault: a sentinel to compare with errors.Is, or a one-off.
func New(kind Kind, text string) Error { return &fault{kind: kind, text: text} }

type waiting struct {
	fault
	after time.Duration
}

func (w *waiting) TryAgainIn() time.Duration { return w.after }

// After makes a fault that says to try again after d.
func After(kind Kind, text string, d time.Duration) Error {
	return &waiting{fault: fault{kind: kind, text: text}, after: d}
}

// As finds the fault in err's chain.
func As(err error) (Error, bool) {
	var f Error
	ok := errors.As(err, &f)
	return f, ok
}

// Is reports whether err is a fault of kind.
func Is(err error, kind Kind) bool {
	f, ok := As(err)
	return ok && f.Kind() == kind
}

// Seconds rounds d up to whole seconds, so a client that waits that long
// is let in.
func Seconds(d time.Duration) int64 { return int64((d + time.Second - 1) / time.Second) }
