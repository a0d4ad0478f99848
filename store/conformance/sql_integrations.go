package conformance

import (
	"errors"
	"fmt"
	"strconv"
	"testing"
	"time"

	"xtraauth/store"
)

// Integrations is the durable state of approvals and notifications, beside
// the rest of the durable store they refer to.
type Integrations interface {
	Durable
	store.AuditFeed
	store.Approvals
	store.Outbox
	store.Leases
	store.IntegrationStatuses
	store.Settings
}

// RunIntegrations checks approvals, the outbox, cursors, leases,
// integration statuses and settings, alone and under races. newStore
// returns a fresh, empty store; it is called once per subtest.
func RunIntegrations(t *testing.T, newStore func(t *testing.T, now func() time.Time) Integrations) {
	for _, tc := range []struct {
		name string
		run  func(*testing.T, Integrations)
	}{
		{"ApprovalCreateGetList", testApprovalCreateGetList},
		{"ApprovalOnePendingUnlock", testApprovalOnePendingUnlock},
		{"ApprovalUpdate", testApprovalUpdate},
		{"ApprovalClaim", testApprovalClaim},
		{"ApprovalDecideOnce", testApprovalDecideOnce},
		{"ApprovalOnePendingUnlockRace", testApprovalPendingUnlockRace},
		{"AuditEventsAfter", testAuditEventsAfter},
		{"Deliveries", testDeliveries},
		{"Cursor", testCursor},
		{"Leases", testLeases},
		{"LeaseRace", testLeaseRace},
		{"IntegrationStatuses", testIntegrationStatuses},
		{"Settings", testSettings},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.run(t, newStore(t, durableClock))
		})
	}
}

var errRefused = errors.New("refused by the updater")

func pendingApproval(u store.User, kind string) store.Approval {
	return store.Approval{Kind: kind, State: store.ApprovalPending, UserID: u.ID, Login: u.Login,
		Label: "ci", Reason: "lost my phone", Platform: "dingtalk", CreatedAt: durableBase}
}

func event(kind, outcome string) store.AuditEvent {
	return store.AuditEvent{At: durableBase, Subject: "alice", Kind: kind, Outcome: outcome}
}

func createApproval(t *testing.T, s Integrations, a store.Approval) store.Approval {
	t.Helper()
	got, err := s.CreateApproval(t.Context(), a, event("approval", "requested"))
	durNoErr(t, "CreateApproval", err)
	return got
}

func sameApproval(t *testing.T, what string, got, want store.Approval) {
	t.Helper()
	durSameTime(t, what+" CreatedAt", got.CreatedAt, want.CreatedAt)
	durSameTimePtr(t, what+" DecidedAt", got.DecidedAt, want.DecidedAt)
	got.CreatedAt, got.DecidedAt, want.CreatedAt, want.DecidedAt = time.Time{}, nil, time.Time{}, nil
	if got != want {
		t.Errorf("%s:\n got %+v\nwant %+v", what, got, want)
	}
}

func auditKinds(t *testing.T, s Integrations) []string {
	t.Helper()
	events, _, err := s.ListAuditEvents(t.Context(), store.AuditFilter{})
	durNoErr(t, "ListAuditEvents", err)
	var kinds []string
	for i := len(events) - 1; i >= 0; i-- {
		kinds = append(kinds, events[i].Kind+" "+events[i].Outcome)
	}
	return kinds
}

func testApprovalCreateGetList(t *testing.T, s Integrations) {
	ctx := t.Context()
	alice := durCreate(t, s, store.User{Login: "Alice"})
	bob := durCreate(t, s, store.User{Login: "bob"})
	a := createApproval(t, s, pendingApproval(alice, store.ApprovalUnlock))
	if a.ID <= 0 {
		t.Fatalf("ID %d", a.ID)
	}
	got, err := s.GetApproval(ctx, a.ID)
	durNoErr(t, "GetApproval", err)
	sameApproval(t, "GetApproval", got, a)
	if kinds := auditKinds(t, s); fmt.Sprint(kinds) != "[approval requested]" {
		t.Errorf("audit %v, want the event written with the approval", kinds)
	}
	_, err = s.GetApproval(ctx, a.ID+100)
	durWantErr(t, "GetApproval of none", err, store.ErrNotFound)
	_, err = s.CreateApproval(ctx, store.Approval{Kind: store.ApprovalDevKey, State: store.ApprovalPending,
		UserID: 999, Platform: "web"}, event("approval", "requested"))
	durWantErr(t, "CreateApproval for no user", err, store.ErrNotFound)

	web := pendingApproval(bob, store.ApprovalDevKey)
	web.Platform = "web"
	b := createApproval(t, s, web)
	c := createApproval(t, s, pendingApproval(bob, store.ApprovalDevKey))
	_, err = s.UpdateApproval(ctx, c.ID, func(a *store.Approval) ([]store.AuditEvent, error) {
		a.State, a.NeedsMirror, a.InstanceID = store.ApprovalApproved, true, "inst-c"
		return nil, nil
	})
	durNoErr(t, "UpdateApproval", err)
	d := createApproval(t, s, web)
	_, err = s.UpdateApproval(ctx, d.ID, func(a *store.Approval) ([]store.AuditEvent, error) {
		a.State = store.ApprovalRejected
		return nil, nil
	})
	durNoErr(t, "UpdateApproval", err)
	ids := func(list []store.Approval) []int64 {
		var out []int64
		for _, a := range list {
			out = append(out, a.ID)
		}
		return out
	}
	for _, tc := range []struct {
		f     store.ApprovalFilter
		total int
		ids   []int64
	}{
		{store.ApprovalFilter{}, 4, []int64{d.ID, c.ID, b.ID, a.ID}},
		{store.ApprovalFilter{UserID: bob.ID}, 3, []int64{d.ID, c.ID, b.ID}},
		{store.ApprovalFilter{State: store.ApprovalPending}, 2, []int64{b.ID, a.ID}},
		{store.ApprovalFilter{Kind: store.ApprovalUnlock}, 1, []int64{a.ID}},
		{store.ApprovalFilter{Platform: "web"}, 2, []int64{d.ID, b.ID}},
		{store.ApprovalFilter{Work: true}, 2, []int64{c.ID, a.ID}},
		{store.ApprovalFilter{InstanceID: "inst-c"}, 1, []int64{c.ID}},
		{store.ApprovalFilter{Limit: 2, Offset: 1}, 4, []int64{c.ID, b.ID}},
		{store.ApprovalFilter{UserID: bob.ID, State: store.ApprovalPending, Kind: store.ApprovalDevKey}, 1, []int64{b.ID}},
	} {
		list, total, err := s.ListApprovals(ctx, tc.f)
		what := fmt.Sprintf("ListApprovals %+v", tc.f)
		durNoErr(t, what, err)
		if total != tc.total || fmt.Sprint(ids(list)) != fmt.Sprint(tc.ids) {
			t.Errorf("%s: %v of %d, want %v of %d", what, ids(list), total, tc.ids, tc.total)
		}
	}
}

func testApprovalOnePendingUnlock(t *testing.T, s Integrations) {
	ctx := t.Context()
	alice := durCreate(t, s, store.User{Login: "alice"})
	a := createApproval(t, s, pendingApproval(alice, store.ApprovalUnlock))
	_, err := s.CreateApproval(ctx, pendingApproval(alice, store.ApprovalUnlock), event("approval", "again"))
	durWantErr(t, "second pending unlock", err, store.ErrAlreadyExists)
	if kinds := auditKinds(t, s); len(kinds) != 1 {
		t.Errorf("audit %v: the refused one's event was written", kinds)
	}
	createApproval(t, s, pendingApproval(alice, store.ApprovalDevKey))
	createApproval(t, s, pendingApproval(alice, store.ApprovalDevKey))
	_, err = s.UpdateApproval(ctx, a.ID, func(a *store.Approval) ([]store.AuditEvent, error) {
		a.State = store.ApprovalApproved
		return nil, nil
	})
	durNoErr(t, "approve", err)
	createApproval(t, s, pendingApproval(alice, store.ApprovalUnlock))
}

func testApprovalUpdate(t *testing.T, s Integrations) {
	ctx := t.Context()
	alice := durCreate(t, s, store.User{Login: "alice"})
	a := createApproval(t, s, pendingApproval(alice, store.ApprovalUnlock))
	decided := durableBase.Add(time.Hour)
	want := a
	want.State, want.InstanceID, want.DecidedAt, want.DecidedBy, want.Remark = store.ApprovalApproved, "PROC-1", &decided, "admin", "ok"
	want.NeedsMirror, want.NeedsUnlock, want.Platform = true, true, "feishu"
	got, err := s.UpdateApproval(ctx, a.ID, func(got *store.Approval) ([]store.AuditEvent, error) {
		sameApproval(t, "updater's row", *got, a)
		created := got.CreatedAt
		*got = want
		got.ID, got.CreatedAt, got.UserID = 77, created.Add(time.Hour), 99 // not changeable
		return []store.AuditEvent{event("approval", "approved"), event("unlock", "by admin")}, nil
	})
	durNoErr(t, "UpdateApproval", err)
	sameApproval(t, "UpdateApproval", got, want)
	read, err := s.GetApproval(ctx, a.ID)
	durNoErr(t, "GetApproval", err)
	sameApproval(t, "GetApproval after update", read, want)

	_, err = s.UpdateApproval(ctx, a.ID, func(got *store.Approval) ([]store.AuditEvent, error) {
		got.State = store.ApprovalRejected
		return []store.AuditEvent{event("approval", "rejected")}, errRefused
	})
	if !errors.Is(err, errRefused) {
		t.Fatalf("refused update: %v", err)
	}
	read, err = s.GetApproval(ctx, a.ID)
	durNoErr(t, "GetApproval", err)
	sameApproval(t, "GetApproval after refused update", read, want)
	if kinds := auditKinds(t, s); fmt.Sprint(kinds) != "[approval requested approval approved unlock by admin]" {
		t.Errorf("audit %v", kinds)
	}
	_, err = s.UpdateApproval(ctx, a.ID+100, func(*store.Approval) ([]store.AuditEvent, error) { return nil, nil })
	durWantErr(t, "UpdateApproval of none", err, store.ErrNotFound)
}

func testApprovalClaim(t *testing.T, s Integrations) {
	ctx := t.Context()
	alice := durCreate(t, s, store.User{Login: "alice"})
	a := createApproval(t, s, pendingApproval(alice, store.ApprovalDevKey))
	claim := func(*store.Approval) ([]store.AuditEvent, error) { return nil, errRefused }
	_, _, err := s.ClaimApproval(ctx, a.ID, claim, store.DevKey{Label: "ci", Prefix: "p", Hash: "h1"})
	if !errors.Is(err, errRefused) {
		t.Fatalf("refused claim: %v", err)
	}
	if keys, _ := s.ListDevKeys(ctx, alice.ID); len(keys) != 0 {
		t.Fatalf("a refused claim made a key: %v", keys)
	}
	claim = func(a *store.Approval) ([]store.AuditEvent, error) {
		a.State = store.ApprovalClaimed
		return []store.AuditEvent{event("dev_key_created", "claimed")}, nil
	}
	got, k, err := s.ClaimApproval(ctx, a.ID, claim, store.DevKey{UserID: 999, Label: "ci", Prefix: "p", Hash: "h1", CreatedAt: durableBase})
	durNoErr(t, "ClaimApproval", err)
	if got.State != store.ApprovalClaimed || k.ID <= 0 || k.UserID != alice.ID {
		t.Fatalf("ClaimApproval: %+v, key %+v", got, k)
	}
	stored, _, err := s.GetDevKeyUser(ctx, "h1")
	durNoErr(t, "GetDevKeyUser", err)
	durSameDevKey(t, "claimed key", stored, k)

	// A key whose hash is taken fails the claim as a whole.
	b := createApproval(t, s, pendingApproval(alice, store.ApprovalDevKey))
	_, _, err = s.ClaimApproval(ctx, b.ID, claim, store.DevKey{Hash: "h1"})
	durWantErr(t, "claim with a taken hash", err, store.ErrAlreadyExists)
	if read, _ := s.GetApproval(ctx, b.ID); read.State != store.ApprovalPending {
		t.Fatalf("failed claim left state %s", read.State)
	}
	if kinds := auditKinds(t, s); len(kinds) != 3 {
		t.Errorf("audit %v", kinds)
	}
}

// testApprovalDecideOnce races many compare-and-sets of one approval's
// state, as server processes applying one decision would: one wins.
func testApprovalDecideOnce(t *testing.T, s Integrations) {
	ctx := t.Context()
	alice := durCreate(t, s, store.User{Login: "alice"})
	a := createApproval(t, s, pendingApproval(alice, store.ApprovalUnlock))
	errs := durTogether(durWorkers, func(i int) error {
		_, err := s.UpdateApproval(ctx, a.ID, func(a *store.Approval) ([]store.AuditEvent, error) {
			if a.State != store.ApprovalPending {
				return nil, errRefused
			}
			a.State, a.DecidedBy = store.ApprovalApproved, strconv.Itoa(i)
			return []store.AuditEvent{event("approval", "approved by "+strconv.Itoa(i))}, nil
		})
		return err
	})
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, errRefused):
			t.Errorf("UpdateApproval: %v", err)
		}
	}
	if won != 1 {
		t.Fatalf("%d compare-and-sets won, want 1", won)
	}
	if kinds := auditKinds(t, s); len(kinds) != 2 {
		t.Errorf("audit %v, want one decision", kinds)
	}
}

func testApprovalPendingUnlockRace(t *testing.T, s Integrations) {
	ctx := t.Context()
	alice := durCreate(t, s, store.User{Login: "alice"})
	errs := durTogether(durWorkers, func(int) error {
		_, err := s.CreateApproval(ctx, pendingApproval(alice, store.ApprovalUnlock), event("approval", "requested"))
		return err
	})
	made := 0
	for _, err := range errs {
		switch {
		case err == nil:
			made++
		case !errors.Is(err, store.ErrAlreadyExists):
			t.Errorf("CreateApproval: %v", err)
		}
	}
	if _, n, _ := s.ListApprovals(ctx, store.ApprovalFilter{}); made != 1 || n != 1 {
		t.Fatalf("%d made, %d stored, want 1", made, n)
	}
}

func testAuditEventsAfter(t *testing.T, s Integrations) {
	ctx := t.Context()
	none, err := s.AuditEventsAfter(ctx, 0, 10)
	durNoErr(t, "AuditEventsAfter of none", err)
	if len(none) != 0 {
		t.Fatalf("AuditEventsAfter of none: %v", none)
	}
	if last, err := s.LastAuditEventID(ctx); err != nil || last != 0 {
		t.Fatalf("LastAuditEventID of none = %d, %v", last, err)
	}
	for i := range 5 {
		// Times out of order: the feed follows ids, not times.
		durNoErr(t, "AddAuditEvent", s.AddAuditEvent(ctx, store.AuditEvent{
			At: durableBase.Add(-time.Duration(i) * time.Minute), Subject: "s", Kind: "k" + strconv.Itoa(i)}))
	}
	all, err := s.AuditEventsAfter(ctx, 0, 10)
	durNoErr(t, "AuditEventsAfter", err)
	if len(all) != 5 {
		t.Fatalf("got %d events", len(all))
	}
	for i, e := range all {
		if e.Kind != "k"+strconv.Itoa(i) || (i > 0 && e.ID <= all[i-1].ID) {
			t.Fatalf("event %d: %+v, not in id order", i, e)
		}
	}
	durSameTime(t, "At", all[2].At, durableBase.Add(-2*time.Minute))
	if last, err := s.LastAuditEventID(ctx); err != nil || last != all[4].ID {
		t.Fatalf("LastAuditEventID = %d, %v; want %d", last, err, all[4].ID)
	}
	some, err := s.AuditEventsAfter(ctx, all[1].ID, 2)
	durNoErr(t, "AuditEventsAfter", err)
	if len(some) != 2 || some[0].ID != all[2].ID || some[1].ID != all[3].ID {
		t.Fatalf("after %d limit 2: %+v", all[1].ID, some)
	}
}

func delivery(event int64, channel, recipient string, next time.Time) store.Delivery {
	return store.Delivery{EventID: event, Channel: channel, Recipient: recipient, Title: "t", Text: "x",
		Priority: "1", CreatedAt: durableBase, NextAt: next}
}

func testDeliveries(t *testing.T, s Integrations) {
	ctx := t.Context()
	t0 := durableBase
	durNoErr(t, "AddDeliveries of none", s.AddDeliveries(ctx, nil))
	durNoErr(t, "AddDeliveries", s.AddDeliveries(ctx, []store.Delivery{
		delivery(1, "dingtalk", "3", t0.Add(2*time.Second)),
		delivery(1, "feishu", "3", t0),
		delivery(1, "coding", "", t0.Add(time.Second)),
		delivery(2, "dingtalk", "3", t0.Add(time.Hour)),
	}))
	// The same event, channel and recipient again adds nothing, even with
	// other content; new ones in the same batch are added.
	again := delivery(1, "dingtalk", "3", t0)
	again.Title = "other"
	durNoErr(t, "AddDeliveries again", s.AddDeliveries(ctx, []store.Delivery{again, delivery(2, "dingtalk", "4", t0.Add(time.Hour))}))

	due, err := s.DueDeliveries(ctx, t0.Add(2*time.Second), 10)
	durNoErr(t, "DueDeliveries", err)
	var got []string
	for _, d := range due {
		got = append(got, fmt.Sprintf("%d/%s/%s/%s", d.EventID, d.Channel, d.Recipient, d.Title))
		if d.State != store.DeliveryPending || d.Attempts != 0 || d.SentAt != nil || d.ID <= 0 {
			t.Errorf("new delivery %+v", d)
		}
	}
	if fmt.Sprint(got) != "[1/feishu/3/t 1/coding//t 1/dingtalk/3/t]" {
		t.Fatalf("due: %v", got)
	}
	durSameTime(t, "CreatedAt", due[0].CreatedAt, t0)
	if due, _ := s.DueDeliveries(ctx, t0.Add(2*time.Second), 1); len(due) != 1 {
		t.Fatalf("limit 1: %d", len(due))
	}

	sent := due[0]
	at := t0.Add(3 * time.Second)
	sent.State, sent.Attempts, sent.SentAt = store.DeliverySent, 1, &at
	durNoErr(t, "UpdateDelivery sent", s.UpdateDelivery(ctx, sent))
	retry := due[1]
	retry.Attempts, retry.NextAt, retry.LastError = 1, t0.Add(time.Minute), "HTTP 500"
	durNoErr(t, "UpdateDelivery retry", s.UpdateDelivery(ctx, retry))
	failed := due[2]
	failed.State, failed.LastError = store.DeliveryFailed, "no such user"
	durNoErr(t, "UpdateDelivery failed", s.UpdateDelivery(ctx, failed))
	durWantErr(t, "UpdateDelivery of none", s.UpdateDelivery(ctx, store.Delivery{ID: 999, NextAt: t0}), store.ErrNotFound)

	due, err = s.DueDeliveries(ctx, t0.Add(time.Minute), 10)
	durNoErr(t, "DueDeliveries later", err)
	if len(due) != 1 || due[0].ID != retry.ID || due[0].Attempts != 1 || due[0].LastError != "HTTP 500" {
		t.Fatalf("due later: %+v", due)
	}
	durSameTime(t, "NextAt", due[0].NextAt, t0.Add(time.Minute))
	// A channel backing off: its other due deliveries wait too; later
	// ones and other channels are left alone.
	durNoErr(t, "DelayDeliveries", s.DelayDeliveries(ctx, "coding", t0.Add(2*time.Minute)))
	due, err = s.DueDeliveries(ctx, t0.Add(2*time.Minute-time.Millisecond), 10)
	durNoErr(t, "DueDeliveries after a delay", err)
	if len(due) != 0 {
		t.Fatalf("due after a delay: %+v", due)
	}
	due, err = s.DueDeliveries(ctx, t0.Add(2*time.Hour), 10)
	durNoErr(t, "DueDeliveries after a delay", err)
	if len(due) != 3 || due[0].ID != retry.ID {
		t.Fatalf("due after a delay: %+v", due)
	}
	durSameTime(t, "delayed NextAt", due[0].NextAt, t0.Add(2*time.Minute))
	durSameTime(t, "later NextAt", due[1].NextAt, t0.Add(time.Hour))
	pending, err := s.PendingDeliveries(ctx)
	durNoErr(t, "PendingDeliveries", err)
	if fmt.Sprint(pending) != "map[coding:1 dingtalk:2]" {
		t.Fatalf("pending %v", pending)
	}
}

func testCursor(t *testing.T, s Integrations) {
	ctx := t.Context()
	pos, err := s.Cursor(ctx, "notify")
	durNoErr(t, "Cursor", err)
	if pos != 0 {
		t.Fatalf("new cursor at %d", pos)
	}
	durNoErr(t, "SetCursor", s.SetCursor(ctx, "notify", 42))
	durNoErr(t, "SetCursor other", s.SetCursor(ctx, "other", 7))
	durNoErr(t, "SetCursor again", s.SetCursor(ctx, "notify", 43))
	if pos, _ := s.Cursor(ctx, "notify"); pos != 43 {
		t.Fatalf("cursor at %d, want 43", pos)
	}
	if pos, _ := s.Cursor(ctx, "other"); pos != 7 {
		t.Fatalf("other cursor at %d, want 7", pos)
	}
}

func takeLease(t *testing.T, s Integrations, holder string, now time.Time, want bool) {
	t.Helper()
	got, err := s.TakeLease(t.Context(), "sender", holder, now, now.Add(30*time.Second))
	durNoErr(t, "TakeLease", err)
	if got != want {
		t.Fatalf("TakeLease by %s at %v = %t, want %t", holder, now.Sub(durableBase), got, want)
	}
}

func testLeases(t *testing.T, s Integrations) {
	t0 := durableBase
	takeLease(t, s, "a", t0, true)
	takeLease(t, s, "b", t0.Add(time.Second), false)
	takeLease(t, s, "a", t0.Add(20*time.Second), true) // renewed until 50 s
	takeLease(t, s, "b", t0.Add(40*time.Second), false)
	takeLease(t, s, "b", t0.Add(50*time.Second), true) // a's ran out
	takeLease(t, s, "a", t0.Add(51*time.Second), false)
	durNoErr(t, "DropLease by another", s.DropLease(t.Context(), "sender", "a"))
	takeLease(t, s, "a", t0.Add(52*time.Second), false)
	durNoErr(t, "DropLease", s.DropLease(t.Context(), "sender", "b"))
	takeLease(t, s, "a", t0.Add(53*time.Second), true)
	ok, err := s.TakeLease(t.Context(), "other", "b", t0.Add(53*time.Second), t0.Add(time.Minute))
	durNoErr(t, "TakeLease of another name", err)
	if !ok {
		t.Fatal("leases of different names hinder each other")
	}
}

func testLeaseRace(t *testing.T, s Integrations) {
	for round, now := range []time.Time{durableBase, durableBase.Add(time.Minute)} {
		errs := make([]error, durWorkers)
		won := make([]bool, durWorkers)
		durTogether(durWorkers, func(i int) error {
			won[i], errs[i] = s.TakeLease(t.Context(), "sender", "holder"+strconv.Itoa(i), now, now.Add(30*time.Second))
			return nil
		})
		n := 0
		for i := range won {
			durNoErr(t, "TakeLease", errs[i])
			if won[i] {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("round %d: %d holders, want 1", round, n)
		}
	}
}

func testIntegrationStatuses(t *testing.T, s Integrations) {
	ctx := t.Context()
	t0 := durableBase
	list, err := s.IntegrationStatuses(ctx)
	durNoErr(t, "IntegrationStatuses of none", err)
	if len(list) != 0 {
		t.Fatalf("statuses of none: %v", list)
	}
	durNoErr(t, "record", s.RecordIntegration(ctx, "feishu", t0, "HTTP 500"))
	durNoErr(t, "record", s.RecordIntegration(ctx, "dingtalk", t0, ""))
	durNoErr(t, "record", s.RecordIntegration(ctx, "dingtalk", t0.Add(time.Second), "timeout"))
	durNoErr(t, "record", s.RecordIntegration(ctx, "feishu", t0.Add(2*time.Second), ""))
	list, err = s.IntegrationStatuses(ctx)
	durNoErr(t, "IntegrationStatuses", err)
	if len(list) != 2 || list[0].Name != "dingtalk" || list[1].Name != "feishu" {
		t.Fatalf("statuses %+v", list)
	}
	d, f := list[0], list[1]
	if d.LastError != "timeout" || f.LastError != "" {
		t.Errorf("errors %q, %q", d.LastError, f.LastError)
	}
	durSameTimePtr(t, "dingtalk success", d.LastSuccessAt, &t0)
	errAt := t0.Add(time.Second)
	durSameTimePtr(t, "dingtalk error", d.LastErrorAt, &errAt)
	okAt := t0.Add(2 * time.Second)
	durSameTimePtr(t, "feishu success", f.LastSuccessAt, &okAt)
	durSameTimePtr(t, "feishu error", f.LastErrorAt, &t0)
}

func testSettings(t *testing.T, s Integrations) {
	ctx := t.Context()
	_, err := s.Setting(ctx, "code")
	durWantErr(t, "Setting of none", err, store.ErrNotFound)
	v, err := s.GetOrCreateSetting(ctx, "code", "PROC-1")
	durNoErr(t, "GetOrCreateSetting", err)
	if v != "PROC-1" {
		t.Fatalf("GetOrCreateSetting = %q", v)
	}
	if v, _ := s.GetOrCreateSetting(ctx, "code", "PROC-2"); v != "PROC-1" {
		t.Fatalf("second GetOrCreateSetting = %q", v)
	}
	v, err = s.Setting(ctx, "code")
	durNoErr(t, "Setting", err)
	if v != "PROC-1" {
		t.Fatalf("Setting = %q", v)
	}
}
