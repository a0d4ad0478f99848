// Package notify tells people and admins' groups about security events,
// on DingTalk, Feishu, group robots and Coding.
//
// It follows the audit trail rather than being called by logins, so a
// login never waits for a platform and nothing is lost when one is down or
// the process restarts: the sender (one process at a time, by a lease in
// SQL) reads the audit rows after a cursor kept in SQL, writes one outbox
// row per event, channel and recipient (a unique key, so reading a row
// twice adds nothing), then sends what is due, retrying a failure with a
// backoff from 1 s doubling to 30 s, for 24 h. A delivery is marked sent
// once the platform took it, so each reaches its recipient once.
//
// PostgreSQL may commit an audit row after one with a higher id, so the
// cursor stops before a missing id until the row shows up or a grace
// passes (a rolled-back insert leaves a hole for ever); rows past the hole
// are delivered meanwhile, and reading them again adds nothing.
package notify

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"xtraauth/store"
)

// Timings.
const (
	firstRetry = time.Second
	maxRetry   = 30 * time.Second
	giveUp     = 24 * time.Hour
	// GapGrace is how long the cursor waits for a missing audit id.
	GapGrace = time.Minute
	// CursorName names the cursor in SQL.
	CursorName = "notifications"
	feedBatch  = 200
	sendBatch  = 100
)

// Store is the state the sender works on.
type Store interface {
	store.AuditFeed
	store.Outbox
	store.IntegrationStatuses
}

// Users finds the people messages are about and for.
type Users interface {
	GetUser(ctx context.Context, id int64) (store.User, error)
	GetUserByLogin(ctx context.Context, login string) (store.User, error)
}

// Leader tells whether this process holds the sender's lease.
type Leader interface {
	Held(ctx context.Context) (bool, error)
}

// Metrics counts deliveries by channel and outcome (sent, retry, failed).
type Metrics interface {
	Notification(channel, outcome string)
}

// Deps are what the sender works on.
type Deps struct {
	Store     Store
	Users     Users
	Channels  map[string]Channel // by name; absent channels are not configured
	Lease     Leader
	PublicURL string
	Timeout   time.Duration // bound of one send
	Now       func() time.Time
	Metrics   Metrics
	Log       *slog.Logger
}

// Sender turns audit rows into deliveries and sends them.
type Sender struct {
	d Deps

	mu   sync.Mutex          // one Tick at a time
	gaps map[int64]time.Time // first missing id of a hole → when first seen
}

// New makes a Sender.
func New(d Deps) *Sender {
	return &Sender{d: d, gaps: map[int64]time.Time{}}
}

// Start puts the cursor at the end of the audit trail unless it was set
// before, so that a new installation (or one upgraded to notifications)
// does not replay its history.
func (s *Sender) Start(ctx context.Context) error {
	pos, err := s.d.Store.Cursor(ctx, CursorName)
	if err != nil || pos != 0 {
		return err
	}
	last, err := s.d.Store.LastAuditEventID(ctx)
	if err != nil || last == 0 {
		return err
	}
	return s.d.Store.SetCursor(ctx, CursorName, last)
}

// Tick feeds the outbox from the audit trail and sends what is due, when
// this process holds the lease.
func (s *Sender) Tick(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	held, err := s.d.Lease.Held(ctx)
	if err != nil || !held {
		return err
	}
	if err := s.feed(ctx); err != nil {
		return err
	}
	return s.send(ctx)
}

// feed turns the audit rows after the cursor into deliveries and moves the
// cursor past every row read, stopping before a hole younger than GapGrace.
func (s *Sender) feed(ctx context.Context) error {
	cursor, err := s.d.Store.Cursor(ctx, CursorName)
	if err != nil {
		return err
	}
	events, err := s.d.Store.AuditEventsAfter(ctx, cursor, feedBatch)
	if err != nil {
		return err
	}
	now := s.d.Now()
	next, blocked := cursor, false
	for _, e := range events {
		ds, err := s.plan(ctx, e)
		if err != nil {
			return err
		}
		if err := s.d.Store.AddDeliveries(ctx, ds); err != nil {
			return err
		}
		if blocked {
			continue
		}
		if e.ID > next+1 && !s.holeExpired(next+1, now) {
			blocked = true
			continue
		}
		next = e.ID
	}
	for id := range s.gaps {
		if id <= next {
			delete(s.gaps, id)
		}
	}
	if next == cursor {
		return nil
	}
	return s.d.Store.SetCursor(ctx, CursorName, next)
}

// holeExpired notes a hole starting at id and reports whether it has been
// there for GapGrace.
func (s *Sender) holeExpired(id int64, now time.Time) bool {
	since, seen := s.gaps[id]
	if !seen {
		s.gaps[id] = now
		return false
	}
	return now.Sub(since) >= GapGrace
}

// send delivers what is due, each channel in its own goroutine, so a
// platform that hangs delays only its own messages. A channel stops at its
// first failure, and all its due deliveries wait out that one's backoff
// (kept in SQL, so a process taking over the lease waits too).
func (s *Sender) send(ctx context.Context) error {
	due, err := s.d.Store.DueDeliveries(ctx, s.d.Now(), sendBatch)
	if err != nil {
		return err
	}
	byChannel := map[string][]store.Delivery{}
	for _, d := range due {
		byChannel[d.Channel] = append(byChannel[d.Channel], d)
	}
	var wg sync.WaitGroup
	errs := make(chan error, len(byChannel))
	for name, list := range byChannel {
		wg.Go(func() { errs <- s.sendAll(ctx, name, list) })
	}
	wg.Wait()
	close(errs)
	var all []error
	for err := range errs {
		all = append(all, err)
	}
	return errors.Join(all...)
}

var errNotConfigured = Permanent(errors.New("the channel is no longer configured"))

// sendAll sends one channel's due deliveries in order until one fails.
func (s *Sender) sendAll(ctx context.Context, name string, list []store.Delivery) error {
	ch := s.d.Channels[name]
	for _, d := range list {
		if held, err := s.d.Lease.Held(ctx); err != nil || !held {
			return err
		}
		sendErr := errNotConfigured
		if ch != nil {
			sendErr = s.deliver(ctx, ch, d)
		}
		next, err := s.finish(ctx, d, sendErr)
		if err != nil {
			return err
		}
		if sendErr != nil && !isPermanent(sendErr) {
			return s.d.Store.DelayDeliveries(ctx, name, next)
		}
	}
	return nil
}

func (s *Sender) deliver(ctx context.Context, ch Channel, d store.Delivery) error {
	var to store.User
	if d.Recipient != "" {
		u, err := s.recipient(ctx, d.Recipient)
		if err != nil {
			return err
		}
		to = u
	}
	ctx, cancel := context.WithTimeout(ctx, s.d.Timeout)
	defer cancel()
	return ch.Send(ctx, to, Message{Title: d.Title, Text: d.Text, Priority: d.Priority})
}

// finish records a delivery's attempt: sent, to be retried (at the time
// it returns), or given up (permanent failures, and any after 24 h).
func (s *Sender) finish(ctx context.Context, d store.Delivery, sendErr error) (time.Time, error) {
	now := s.d.Now().UTC()
	d.Attempts++
	outcome := "sent"
	switch {
	case sendErr == nil:
		d.State, d.SentAt, d.LastError = store.DeliverySent, &now, ""
	case isPermanent(sendErr) || now.Sub(d.CreatedAt) >= giveUp:
		d.State, d.LastError, outcome = store.DeliveryFailed, sendErr.Error(), "failed"
	default:
		d.NextAt, d.LastError, outcome = now.Add(backoff(d.Attempts)), sendErr.Error(), "retry"
	}
	s.d.Metrics.Notification(d.Channel, outcome)
	if sendErr != nil {
		s.d.Log.Warn("notification not delivered", "channel", d.Channel, "event", d.EventID, "attempt", d.Attempts, "err", sendErr)
	}
	if err := s.d.Store.RecordIntegration(ctx, d.Channel, now, d.LastError); err != nil {
		return d.NextAt, err
	}
	return d.NextAt, s.d.Store.UpdateDelivery(ctx, d)
}

// backoff is the wait after the nth failed attempt: 1 s, 2 s, 4 s... 30 s.
func backoff(n int) time.Duration {
	if n < 1 {
		n = 1
	}
	if n > 6 {
		return maxRetry
	}
	return min(firstRetry<<(n-1), maxRetry)
}
