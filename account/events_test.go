package account_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"xtraauth/account"
	"xtraauth/internal/testkit"
	"xtraauth/store"
	"xtraauth/store/memstore"
	"xtraauth/store/sqlstore"
)

// TestChangesAreAudited: new and revoked dev_keys, password changes and
// disabling leave the audit rows notifications are made from, naming who
// did it and from where.
func TestChangesAreAudited(t *testing.T) {
	ctx := context.Background()
	db, err := sqlstore.Open(ctx, "", t.TempDir(), time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	s, err := account.New(ctx, account.Deps{Users: db, DevKeys: db, Tenants: db, Sessions: memstore.New(testkit.NewClock().Now), Gate: account.OpenGate{},
		Hasher: account.NewHasher(account.HashParams(testkit.CheapHash), 2, 5*time.Second, time.Now, nil), Audit: db, Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := s.Create(ctx, store.User{Login: "admin", IsSuper: true}, "admin-pw")
	if err != nil {
		t.Fatal(err)
	}
	alice, err := s.Create(ctx, store.User{Login: "Alice"}, "alice-pw")
	if err != nil {
		t.Fatal(err)
	}
	byAdmin := account.WithOrigin(ctx, account.Origin{Login: "admin", Address: "192.0.2.1"})
	k, err := s.CreateDevKey(byAdmin, alice.ID, "ci")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeDevKey(byAdmin, k.ID); err != nil {
		t.Fatal(err)
	}
	newPw := "new-alice-pw"
	if _, err := s.Update(ctx, account.Actor{User: store.IdentityOf(alice), Address: "192.0.2.2"}, alice.ID, account.Change{Password: &newPw, OldPassword: "alice-pw"}); err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := s.Update(ctx, account.Actor{User: store.IdentityOf(admin), Address: "192.0.2.3"}, alice.ID, account.Change{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	// Disabling again is no new event; the CLI's changes name it.
	cli := account.WithOrigin(ctx, account.Origin{Login: "cli"})
	if err := s.Disable(cli, "alice"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetPassword(cli, "alice", "reset-pw"); err != nil {
		t.Fatal(err)
	}
	events, _, err := db.ListAuditEvents(ctx, store.AuditFilter{Subject: "alice"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i := len(events) - 1; i >= 0; i-- {
		got = append(got, events[i].Kind+"|"+events[i].Outcome+"|"+events[i].Address)
	}
	want := []string{
		fmt.Sprintf("dev_key_created|id %d by admin|192.0.2.1", k.ID),
		fmt.Sprintf("dev_key_revoked|id %d by admin|192.0.2.1", k.ID),
		"password_changed|changed by Alice|192.0.2.2",
		"user_disabled|disabled by admin|192.0.2.3",
		"password_changed|reset by cli|",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("audit\n got %q\nwant %q", got, want)
	}
}
