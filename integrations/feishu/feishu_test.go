package feishu_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"xtraauth/approval"
	"xtraauth/integrations/feishu"
	"xtraauth/integrations/platformtest"
	"xtraauth/internal/testkit"
	"xtraauth/notify"
	"xtraauth/store"
	"xtraauth/store/memstore"
)

func newClient(fake *platformtest.Feishu, secret string) *feishu.Client {
	return feishu.New(feishu.Config{AppID: fake.AppID, AppSecret: secret, URL: fake.URL(), Timeout: 2 * time.Second, Now: time.Now})
}

// TestClientsOfOneAppID: two clients of one app id with different secrets
// keep their own tokens (the SDK's own cache would share one).
func TestClientsOfOneAppID(t *testing.T) {
	ctx := context.Background()
	fake := platformtest.NewFeishu(t, "cli_same")
	good, bad := newClient(fake, fake.AppSecret), newClient(fake, "wrong")
	if _, err := good.TenantAccessToken(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := bad.TenantAccessToken(ctx); err == nil || !strings.Contains(err.Error(), "10014") {
		t.Fatalf("wrong secret: %v", err)
	}
	if _, err := bad.UserID(ctx, "1", ""); err == nil {
		t.Fatal("a client with a wrong secret used another client's token")
	}
}

func TestApprovalsAndMessages(t *testing.T) {
	ctx := context.Background()
	fake := platformtest.NewFeishu(t, "cli_approvals")
	fake.AddUser(platformtest.FeishuUser{UserID: "fs-admin", Mobile: "1"})
	fake.AddUser(platformtest.FeishuUser{UserID: "fs-boss", Email: "boss@example.com"})
	fake.AddUser(platformtest.FeishuUser{UserID: "fs-alice", Email: "alice@example.com"})
	kept := memstore.New(testkit.NewClock().Now)
	c := newClient(fake, fake.AppSecret)
	p := feishu.NewApprovals(c, "", kept)
	admin, boss := store.User{Login: "admin", Mobile: "1"}, store.User{Login: "boss", Mobile: "7", Email: "boss@example.com"}
	alice := store.User{Login: "alice", Email: "alice@example.com"}
	a := store.Approval{ID: 3, Kind: store.ApprovalDevKey, Login: "alice", Label: "ci", State: store.ApprovalPending}

	// Three instances: approved by its admin's task, rejected by an admin
	// not on Feishu (the instance is cancelled), cancelled by the requester.
	var ids []string
	for range 3 {
		id, err := p.Submit(ctx, a, alice, []store.User{admin, boss})
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	if code, err := kept.Setting(ctx, "feishu_approval_code"); err != nil || code == "" || !fake.Subscribed(code) {
		t.Fatalf("definition %q not kept or not subscribed: %v", code, err)
	}
	a.InstanceID, a.State = ids[0], store.ApprovalApproved
	if err := approval.Mirror(ctx, p, a, boss); err != nil {
		t.Fatal(err)
	}
	a.InstanceID, a.State = ids[1], store.ApprovalRejected
	if err := approval.Mirror(ctx, p, a, store.User{Login: "nobody"}); err != nil {
		t.Fatal(err)
	}
	a.InstanceID, a.State = ids[2], store.ApprovalCanceled
	if err := approval.Mirror(ctx, p, a, store.User{}); err != nil {
		t.Fatal(err)
	}
	for i, want := range []approval.Instance{
		{Status: approval.InstanceApproved, DecidedBy: "fs-boss"}, {Status: approval.InstanceCanceled}, {Status: approval.InstanceCanceled},
	} {
		if got, err := p.Instance(ctx, ids[i]); err != nil || got.Status != want.Status || got.DecidedBy != want.DecidedBy {
			t.Errorf("instance %d: %+v, %v; want %+v", i, got, err, want)
		}
	}
	if _, err := p.UserID(ctx, store.User{Mobile: "9"}); !errors.Is(err, approval.ErrNoAccount) {
		t.Fatalf("UserID of a stranger: %v", err)
	}

	m := feishu.NewMessages(c)
	if err := m.Send(ctx, alice, notify.Message{Title: "T", Text: "x"}); err != nil {
		t.Fatal(err)
	}
	if got := fake.Messages(); len(got) != 1 || got[0] != (platformtest.FeishuMessage{UserID: "fs-alice", Text: "T\nx"}) {
		t.Fatalf("messages %+v", got)
	}
	var perm *notify.PermanentError
	if err := m.Send(ctx, store.User{Mobile: "9"}, notify.Message{Title: "T"}); !errors.As(err, &perm) {
		t.Fatalf("to a stranger: %v", err)
	}
	for _, fault := range []platformtest.Fault{platformtest.Fail, platformtest.Garbage, platformtest.Hang} {
		fake.SetFault(fault)
		if err := m.Send(ctx, alice, notify.Message{Title: "T"}); err == nil || errors.As(err, &perm) {
			t.Errorf("fault %d: %v, want a passing failure", fault, err)
		}
	}
}
