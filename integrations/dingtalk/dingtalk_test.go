package dingtalk_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"xtraauth/approval"
	"xtraauth/integrations/dingtalk"
	"xtraauth/integrations/platformtest"
	"xtraauth/internal/testkit"
	"xtraauth/notify"
	"xtraauth/store"
	"xtraauth/store/memstore"
)

func client(fake *platformtest.DingTalk, now func() time.Time) *dingtalk.Client {
	return dingtalk.New(dingtalk.Config{AppKey: fake.AppKey, AppSecret: fake.AppSecret, AgentID: fake.AgentID,
		APIURL: fake.URL(), OAPIURL: fake.URL(), Timeout: 2 * time.Second, Now: now})
}

// TestAccessToken: fetched once, kept until shortly before it expires, and
// fetched again when DingTalk stops taking it.
func TestAccessToken(t *testing.T) {
	ctx := context.Background()
	fake := platformtest.NewDingTalk(t)
	fake.AddUser("13800000000", "u1")
	clock := testkit.NewClock()
	c := client(fake, clock.Now)
	for range 3 {
		if id, err := c.UserIDByMobile(ctx, "13800000000"); err != nil || id != "u1" {
			t.Fatalf("UserIDByMobile = %q, %v", id, err)
		}
	}
	if calls := fake.Calls(); calls != 4 {
		t.Fatalf("%d calls, want one token and three lookups", calls)
	}
	clock.Advance(2*time.Hour - 4*time.Minute) // within 5 minutes of the token's end
	if _, err := c.UserIDByMobile(ctx, "13800000000"); err != nil || fake.Calls() != 6 {
		t.Fatalf("near expiry: %v, %d calls", err, fake.Calls())
	}
	fake.RotateToken()
	if _, err := c.UserIDByMobile(ctx, "13800000000"); err == nil || !strings.Contains(err.Error(), "40014") {
		t.Fatalf("with a stale token: %v", err)
	}
	if _, err := c.UserIDByMobile(ctx, "13800000000"); err != nil {
		t.Fatalf("after a stale token: %v", err)
	}
	if _, err := c.UserIDByMobile(ctx, "13900000000"); !errors.Is(err, dingtalk.ErrNoUser) {
		t.Fatalf("unknown mobile: %v", err)
	}
}

func TestWrongSecretAndTrouble(t *testing.T) {
	ctx := context.Background()
	fake := platformtest.NewDingTalk(t)
	c := dingtalk.New(dingtalk.Config{AppKey: fake.AppKey, AppSecret: "wrong", APIURL: fake.URL(), OAPIURL: fake.URL(),
		Timeout: 2 * time.Second, Now: time.Now})
	if _, err := c.AccessToken(ctx); err == nil || !strings.Contains(err.Error(), "invalidClientIdOrSecret") {
		t.Fatalf("wrong secret: %v", err)
	}
	good := client(fake, time.Now)
	token, err := good.AccessToken(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, fault := range []platformtest.Fault{platformtest.Fail, platformtest.Garbage, platformtest.Hang} {
		fake.SetFault(fault)
		_, err := good.UserIDByMobile(ctx, "13800000000")
		if err == nil || strings.Contains(err.Error(), token) {
			t.Errorf("fault %d: %v", fault, err)
		}
	}
}

// TestApprovals: the template is made once and kept; an instance has the
// admins found by mobile as approvers; its decision reads back; a
// decision made in xtraauth executes the admin's own task.
func TestApprovals(t *testing.T) {
	ctx := context.Background()
	fake := platformtest.NewDingTalk(t)
	fake.AddUser("1", "dt-admin")
	fake.AddUser("2", "dt-alice")
	kept := memstore.New(testkit.NewClock().Now)
	p := dingtalk.NewApprovals(client(fake, time.Now), "", kept)
	if err := p.Setup(ctx); err != nil {
		t.Fatal(err)
	}
	code, err := kept.Setting(ctx, "dingtalk_process_code")
	if err != nil || code == "" {
		t.Fatalf("no process code kept: %q, %v", code, err)
	}
	err = dingtalk.NewApprovals(client(fake, time.Now), "", kept).Setup(ctx)
	if again, _ := kept.Setting(ctx, "dingtalk_process_code"); err != nil || again != code {
		t.Fatalf("a second setup made another template: %v, code %q then %q", err, code, again)
	}
	admin, stranger := store.User{Login: "admin", Mobile: "1"}, store.User{Login: "x", Mobile: "9"}
	a := store.Approval{ID: 7, Kind: store.ApprovalUnlock, Login: "alice", State: store.ApprovalPending}
	id, err := p.Submit(ctx, a, store.User{Mobile: "2"}, []store.User{admin, stranger})
	if err != nil {
		t.Fatal(err)
	}
	inst := fake.Instances()[0]
	if inst.ID != id || inst.ProcessCode != code || inst.Originator != "dt-alice" || len(inst.Approvers) != 1 {
		t.Fatalf("instance %+v", inst)
	}
	if got, err := p.Instance(ctx, id); err != nil || got.Status != approval.InstancePending {
		t.Fatalf("Instance = %+v, %v", got, err)
	}
	a.InstanceID, a.State = id, store.ApprovalRejected
	if err := approval.Mirror(ctx, p, a, admin); err != nil {
		t.Fatal(err)
	}
	if got, err := p.Instance(ctx, id); err != nil || got.Status != approval.InstanceRejected || got.DecidedBy != "dt-admin" {
		t.Fatalf("Instance after mirroring = %+v, %v", got, err)
	}
	if err := approval.Mirror(ctx, p, a, admin); err != nil {
		t.Fatalf("mirroring a decided instance again: %v", err)
	}
	if _, err := p.Submit(ctx, a, store.User{}, []store.User{stranger}); err == nil {
		t.Fatal("an instance without approvers")
	}
	if _, err := p.UserID(ctx, stranger); !errors.Is(err, approval.ErrNoAccount) {
		t.Fatalf("UserID of a stranger: %v", err)
	}
}

func TestNotices(t *testing.T) {
	ctx := context.Background()
	fake := platformtest.NewDingTalk(t)
	fake.AddUser("1", "dt-alice")
	n := dingtalk.NewNotices(client(fake, time.Now))
	if err := n.Send(ctx, store.User{Mobile: "1"}, notify.Message{Title: "T", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if got := fake.Notices(); len(got) != 1 || got[0].Text != "T\nx" || got[0].UserIDs[0] != "dt-alice" {
		t.Fatalf("notices %+v", got)
	}
	for _, to := range []store.User{{}, {Mobile: "2"}} {
		var perm *notify.PermanentError
		if err := n.Send(ctx, to, notify.Message{Title: "T"}); !errors.As(err, &perm) {
			t.Errorf("to %+v: %v, want a permanent error", to, err)
		}
	}
}
