package memstore_test

import (
	"errors"
	"testing"
	"time"

	"xtraauth/internal/testkit"
	"xtraauth/store"
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

// TestSQLConstraints checks what the SQL schema enforces and the durable
// suites do not ask: approvals go with their user, a second pending unlock
// is refused on update as on insert, and a user's tenant must exist.
func TestSQLConstraints(t *testing.T) {
	ctx := t.Context()
	s := memstore.New(testkit.NewClock().Now)
	alice, err := s.CreateUser(ctx, store.User{Login: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	unlock := store.Approval{Kind: store.ApprovalUnlock, State: store.ApprovalPending, UserID: alice.ID, Platform: "web"}
	first, err := s.CreateApproval(ctx, unlock, store.AuditEvent{Subject: "alice", Kind: "approval"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpdateApproval(ctx, first.ID, func(a *store.Approval) ([]store.AuditEvent, error) {
		a.State = store.ApprovalRejected
		return nil, nil
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateApproval(ctx, unlock, store.AuditEvent{Subject: "alice", Kind: "approval"}); err != nil {
		t.Fatal(err)
	}
	_, err = s.UpdateApproval(ctx, first.ID, func(a *store.Approval) ([]store.AuditEvent, error) {
		a.State = store.ApprovalPending
		return []store.AuditEvent{{Subject: "alice", Kind: "reopened"}}, nil
	})
	if !errors.Is(err, store.ErrAlreadyExists) {
		t.Errorf("a second pending unlock by update: %v, want ErrAlreadyExists", err)
	}
	if got, err := s.GetApproval(ctx, first.ID); err != nil || got.State != store.ApprovalRejected {
		t.Errorf("after the refused update: %+v, %v", got, err)
	}
	if _, n, _ := s.ListAuditEvents(ctx, store.AuditFilter{Kind: "reopened"}); n != 0 {
		t.Errorf("the refused update wrote %d audit events", n)
	}

	if err := s.DeleteUser(ctx, alice.ID); err != nil {
		t.Fatal(err)
	}
	if list, n, err := s.ListApprovals(ctx, store.ApprovalFilter{}); err != nil || n != 0 {
		t.Errorf("approvals of a deleted user: %+v, %v", list, err)
	}

	_, err = s.CreateUser(ctx, store.User{Login: "bob", TenantID: 42})
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a user of a missing tenant: %v, want ErrNotFound", err)
	}
	bob, err := s.CreateUser(ctx, store.User{Login: "bob"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.UpdateUser(ctx, bob.ID, func(u *store.User) error { u.TenantID = 42; return nil })
	if !errors.Is(err, store.ErrNotFound) {
		t.Errorf("moving a user to a missing tenant: %v, want ErrNotFound", err)
	}
}

// TestEndedMarkLastsEndedLately: a session made more than store.EndedLately
// after the user's sessions ended is not reported; one made within it is.
func TestEndedMarkLastsEndedLately(t *testing.T) {
	ctx := t.Context()
	clock := testkit.NewClock()
	s := memstore.New(clock.Now)
	sess := store.Session{User: store.Identity{ID: 1, Login: "alice"}, CreatedAt: clock.Now(), ExpiresAt: clock.Now().Add(time.Hour)}
	if err := s.DeleteUserSessions(ctx, 1, ""); err != nil {
		t.Fatal(err)
	}
	clock.Advance(store.EndedLately - time.Millisecond)
	if ended, err := s.CreateSession(ctx, "d1", sess); err != nil || !ended {
		t.Fatalf("just inside EndedLately: ended %v, %v", ended, err)
	}
	clock.Advance(time.Millisecond)
	if ended, err := s.CreateSession(ctx, "d2", sess); err != nil || ended {
		t.Fatalf("at EndedLately: ended %v, %v", ended, err)
	}
}
