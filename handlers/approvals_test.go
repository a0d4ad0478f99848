package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"xtraauth/app/apptest"
	"xtraauth/config"
	"xtraauth/integrations/platformtest"
	"xtraauth/store"
)

var accepted = map[string]any{"code": 202, "text": "Accepted", "message": "Accepted"}

func requestUnlock(e *apptest.Env, login string, headers ...string) apptest.Response {
	return e.Do("POST", "/api/unlock_requests", map[string]string{"login": login, "reason": "I forgot my password"}, headers...)
}

// TestUnlockApprovedOnDingTalk: alice, locked, asks to be unlocked; the
// request becomes a DingTalk instance for the admins; an admin agrees in
// DingTalk; polling applies it: alice is unlocked, the audit names the
// admin, and alice hears of it by work notice.
func TestUnlockApprovedOnDingTalk(t *testing.T) {
	t.Parallel()
	p := startPlatforms(t)
	e, _ := newPlatformEnv(t, p, p.dingTalk)
	boss := e.AddUser("boss", "boss-Passw0rd", true)
	setContact(t, e, boss.ID, bossMobile, "")
	lock(t, e, "alice")

	wantBody(t, requestUnlock(e, "alice"), 202, accepted)
	e.App.Approvals.Wait()
	token := adminToken(e)
	list := approvals(t, e, token)
	if len(list) != 1 {
		t.Fatalf("approvals %v", list)
	}
	a := list[0]
	id := int64(a["id"].(float64))
	wantBody(t, apptest.Response{Status: 200, Body: []byte(mustJSON(t, a))}, 200, map[string]any{
		"id": id, "kind": "unlock", "state": "pending", "login": "alice", "user_id": a["user_id"], "label": "",
		"reason": "I forgot my password", "platform": "dingtalk", "instance_id": nil,
		"created_at": rfc3339(e.Clock.Now()), "decided_at": nil, "decided_by": nil, "remark": "",
	})

	work(t, e)
	insts := p.ding.Instances()
	if len(insts) != 1 {
		t.Fatalf("instances %+v", insts)
	}
	inst := insts[0]
	if inst.Originator != "dt-alice" || fmt.Sprint(inst.Approvers) != "[dt-admin dt-boss]" ||
		!strings.Contains(inst.Form["Request"], "Unlock the login alice") || !strings.Contains(inst.Form["Request"], "I forgot my password") {
		t.Fatalf("instance %+v", inst)
	}
	if got := approval(t, e, id); got.InstanceID != inst.ID || got.State != store.ApprovalPending {
		t.Fatalf("approval %+v", got)
	}
	poll(t, e) // nothing decided yet
	if got := approval(t, e, id); got.State != store.ApprovalPending {
		t.Fatalf("state %s before any decision", got.State)
	}

	if err := p.ding.Decide(inst.ID, "dt-boss", true); err != nil {
		t.Fatal(err)
	}
	poll(t, e)
	got := approval(t, e, id)
	if got.State != store.ApprovalApproved || got.DecidedBy != "boss" || got.NeedsUnlock || got.NeedsMirror {
		t.Fatalf("approval %+v", got)
	}
	if r := passwordLogin(e, "alice", alicePassword, solved{}); r.Status != http.StatusOK {
		t.Fatalf("alice after approval: %d %s", r.Status, r.Body)
	}
	if rows := auditRows(t, e, "alice", "unlock"); len(rows) != 1 || rows[0].Outcome != "by boss" {
		t.Fatalf("unlock audit %+v", rows)
	}
	if rows := auditRows(t, e, "alice", "approval"); len(rows) != 2 || rows[0].Outcome != fmt.Sprintf("approved unlock #%d by boss on dingtalk", id) {
		t.Fatalf("approval audit %+v", rows)
	}

	send(t, e)
	notices := p.ding.Notices()
	var told []string
	for _, n := range notices {
		if n.UserIDs[0] == "dt-alice" && strings.Contains(n.Text, "Your unlock request") {
			told = append(told, n.Text)
		}
	}
	if len(told) != 1 || !strings.Contains(told[0], fmt.Sprintf("#%d was approved by boss on dingtalk", id)) ||
		!strings.Contains(told[0], fmt.Sprintf("https://auth.example.com/?approval=%d", id)) {
		t.Fatalf("alice was told %q (all notices %+v)", told, notices)
	}
	platformtest.NoSecrets(t, p.texts(), append(p.secrets(), alicePassword, badPassword, apptest.AdminPassword, token)...)
}

// TestUnlockRejectedOnFeishuByCallback: the decision comes back by
// Feishu's encrypted, signed event callback, with no poll.
func TestUnlockRejectedOnFeishuByCallback(t *testing.T) {
	t.Parallel()
	p := startPlatforms(t)
	e, _ := newPlatformEnv(t, p, p.feishu)
	lock(t, e, "alice")
	wantBody(t, requestUnlock(e, "alice"), 202, accepted)
	e.App.Approvals.Wait()
	work(t, e)
	insts := p.fei.Instances()
	if len(insts) != 1 || insts[0].Originator != "fs-alice" || fmt.Sprint(insts[0].Approvers) != "[fs-admin]" {
		t.Fatalf("instances %+v", insts)
	}
	inst := insts[0]
	id := approvals(t, e, adminToken(e))[0]["id"].(float64)

	if err := p.fei.Decide(inst.Code, "fs-admin", false); err != nil {
		t.Fatal(err)
	}
	body, header := p.fei.Event(inst.Code, e.Clock.Now())
	status, answer := platformtest.Post(t, e.Server.URL+"/api/integrations/feishu/events", body, header)
	if status != 200 || strings.TrimSpace(answer) != "{}" {
		t.Fatalf("callback: %d %s", status, answer)
	}
	got := approval(t, e, int64(id))
	if got.State != store.ApprovalRejected || got.DecidedBy != "admin" {
		t.Fatalf("approval %+v", got)
	}
	if r := passwordLogin(e, "alice", alicePassword, solved{}); r.Status != http.StatusTooManyRequests {
		t.Fatalf("alice after a rejection: %d %s", r.Status, r.Body)
	}
	// The same callback again is a replay.
	if status, _ := platformtest.Post(t, e.Server.URL+"/api/integrations/feishu/events", body, header); status != 401 {
		t.Fatalf("replayed callback: %d", status)
	}
	if p.fei.Subscribed(inst.ApprovalCode) != true {
		t.Fatal("the approval definition made at start is not subscribed to")
	}
}

// TestFeishuCallbackChecks: every callback that fails a check is 401 and
// changes nothing, even when the instance it names was decided.
func TestFeishuCallbackChecks(t *testing.T) {
	t.Parallel()
	p := startPlatforms(t)
	e, _ := newPlatformEnv(t, p, p.feishu)
	lock(t, e, "alice")
	requestUnlock(e, "alice")
	e.App.Approvals.Wait()
	work(t, e)
	inst := p.fei.Instances()[0]
	if err := p.fei.Decide(inst.Code, "fs-admin", true); err != nil {
		t.Fatal(err)
	}
	url := e.Server.URL + "/api/integrations/feishu/events"
	now := e.Clock.Now()
	event := func() ([]byte, map[string][]string) { b, h := p.fei.Event(inst.Code, now); return b, h }
	sealed := func(payload string) ([]byte, map[string][]string) {
		b, h := p.fei.Seal([]byte(payload), now)
		return b, h
	}
	tests := []struct {
		name string
		make func() ([]byte, map[string][]string)
	}{
		{"unsigned", func() ([]byte, map[string][]string) {
			b, h := event()
			delete(h, "X-Lark-Signature")
			return b, h
		}},
		{"wrongly signed", func() ([]byte, map[string][]string) {
			b, h := event()
			h["X-Lark-Signature"] = []string{strings.Repeat("0", 64)}
			return b, h
		}},
		{"signed for another body", func() ([]byte, map[string][]string) {
			_, h := event()
			b, _ := event()
			return b, h
		}},
		{"stale", func() ([]byte, map[string][]string) { b, h := p.fei.Event(inst.Code, now.Add(-time.Hour)); return b, h }},
		{"wrong token inside", func() ([]byte, map[string][]string) {
			return sealed(`{"type":"event_callback","token":"not-the-token","uuid":"u1","event":{"type":"approval_instance","instance_code":"` + inst.Code + `"}}`)
		}},
		{"no token inside", func() ([]byte, map[string][]string) {
			return sealed(`{"type":"event_callback","uuid":"u2","event":{"type":"approval_instance","instance_code":"` + inst.Code + `"}}`)
		}},
		{"undecryptable", func() ([]byte, map[string][]string) {
			_, h := event()
			b := []byte(`{"encrypt":"` + strings.Repeat("QUJD", 16) + `"}`)
			ts, nonce := h["X-Lark-Request-Timestamp"][0], h["X-Lark-Request-Nonce"][0]
			h["X-Lark-Signature"] = []string{signFeishu(ts, nonce, p.fei.EncryptKey, b)}
			return b, h
		}},
		{"not encrypted", func() ([]byte, map[string][]string) {
			b := []byte(`{"type":"event_callback","token":"` + p.fei.VerificationToken + `","uuid":"u3","event":{"instance_code":"` + inst.Code + `"}}`)
			return b, map[string][]string{"Content-Type": {"application/json"}}
		}},
		{"not JSON", func() ([]byte, map[string][]string) {
			return []byte("garbage"), map[string][]string{"Content-Type": {"application/json"}}
		}},
	}
	for _, tt := range tests {
		b, h := tt.make()
		status, answer := platformtest.Post(t, url, b, h)
		if status != 401 || !strings.Contains(answer, `"Not Authorized"`) {
			t.Errorf("%s: %d %s", tt.name, status, answer)
		}
	}
	if got := approval(t, e, 1); got.State != store.ApprovalPending {
		t.Fatalf("a refused callback changed the approval: %+v", got)
	}

	// url_verification is encrypted but unsigned (Feishu does not sign it).
	b, _ := sealed(`{"type":"url_verification","challenge":"abc123","token":"` + p.fei.VerificationToken + `"}`)
	status, answer := platformtest.Post(t, url, b, map[string][]string{"Content-Type": {"application/json"}})
	if status != 200 || strings.TrimSpace(answer) != `{"challenge":"abc123"}` {
		t.Fatalf("url_verification: %d %s", status, answer)
	}
	b, _ = sealed(`{"type":"url_verification","challenge":"abc124","token":"wrong"}`)
	if status, _ := platformtest.Post(t, url, b, map[string][]string{"Content-Type": {"application/json"}}); status != 401 {
		t.Fatalf("url_verification with a wrong token: %d", status)
	}

	// A good callback after all that applies the decision.
	b, h := event()
	if status, answer := platformtest.Post(t, url, b, h); status != 200 {
		t.Fatalf("good callback: %d %s", status, answer)
	}
	if got := approval(t, e, 1); got.State != store.ApprovalApproved {
		t.Fatalf("approval %+v", got)
	}
}

// TestFeishuCallbackOff: without Feishu's callback settings the route
// does not exist.
func TestFeishuCallbackOff(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	wantError(t, e.Do("POST", "/api/integrations/feishu/events", map[string]string{"type": "url_verification"}), 404, "Not Found")
}

// TestUnlockRequestTellsNothing: the answer is the same for an unknown
// login, an unlocked one, a locked one and one already asked for; only
// the locked one becomes an approval, once.
func TestUnlockRequestTellsNothing(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, trustLocalProxy)
	e.AddUser("alice", alicePassword, false)
	e.AddUser("bob", alicePassword, false)
	lock(t, e, "alice", xff("198.51.100.1")...)
	for _, login := range []string{"nobody", "bob", "alice", "ALICE"} {
		wantBody(t, requestUnlock(e, login, xff("198.51.100.2")...), 202, accepted)
	}
	e.App.Approvals.Wait()
	list := approvals(t, e, adminToken(e))
	if len(list) != 1 || list[0]["login"] != "alice" || list[0]["platform"] != "web" {
		t.Fatalf("approvals %v", list)
	}
	// The fifth request from the address is still answered; the sixth is not.
	wantBody(t, requestUnlock(e, "carol", xff("198.51.100.2")...), 202, accepted)
	r := requestUnlock(e, "carol", xff("198.51.100.2")...)
	wantBody(t, r, 429, map[string]any{"code": 429, "text": "Too Many Requests", "message": "Too Many Requests", "retry_after": 3600})
	if r.Header.Get("Retry-After") != "3600" {
		t.Fatalf("Retry-After %q", r.Header.Get("Retry-After"))
	}
	wantBody(t, requestUnlock(e, "carol", xff("198.51.100.3")...), 202, accepted)
	e.Advance(time.Hour)
	wantBody(t, requestUnlock(e, "carol", xff("198.51.100.2")...), 202, accepted)

	for _, tt := range []struct {
		name   string
		body   any
		status int
		text   string
	}{
		{"no login", map[string]string{"reason": "x"}, 400, "login is required"},
		{"long login", map[string]string{"login": strings.Repeat("a", 129)}, 400, "login is longer than 128 bytes"},
		{"long reason", map[string]string{"login": "a", "reason": strings.Repeat("r", 256)}, 400, "reason is longer than 255 bytes"},
		{"username alias", map[string]string{"username": "a"}, 202, ""},
		{"form", "login=a&reason=b", 202, ""},
	} {
		r := e.Do("POST", "/api/unlock_requests", tt.body, xff("198.51.100.9")...)
		if tt.status == 202 {
			wantBody(t, r, 202, accepted)
		} else {
			wantError(t, r, tt.status, tt.text)
		}
	}
	e.App.Approvals.Wait()
}

// TestUnlockRequestsOff: with unlock not in XTRA_APPROVALS the route is 404.
func TestUnlockRequestsOff(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, func(c *config.Config) { c.Integrations.Approvals = []string{"dev_key"} })
	wantError(t, requestUnlock(e, "alice"), 404, "Not Found")
}

// TestOnePendingUnlockUnderRace: many requests at once for one locked
// login make one approval.
func TestOnePendingUnlockUnderRace(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, trustLocalProxy)
	e.AddUser("alice", alicePassword, false)
	lock(t, e, "alice")
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			requestUnlock(e, "alice", xff(fmt.Sprintf("198.51.100.%d", i+1))...)
		})
	}
	wg.Wait()
	e.App.Approvals.Wait()
	if list := approvals(t, e, adminToken(e)); len(list) != 1 {
		t.Fatalf("%d approvals", len(list))
	}
}

// TestDecisionAppliedOnceByTwoProcesses: two server processes poll one
// DingTalk at once, many times; the decision is applied once.
func TestDecisionAppliedOnceByTwoProcesses(t *testing.T) {
	t.Parallel()
	p := startPlatforms(t)
	e1, _ := newPlatformEnv(t, p, p.dingTalk)
	e2 := e1.Join()
	lock(t, e1, "alice")
	requestUnlock(e2, "alice")
	e2.App.Approvals.Wait()
	work(t, e1)
	work(t, e2) // the lease is e1's: e2 opens no second instance
	insts := p.ding.Instances()
	if len(insts) != 1 {
		t.Fatalf("%d instances", len(insts))
	}
	if err := p.ding.Decide(insts[0].ID, "dt-admin", true); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range 16 {
		e := []*apptest.Env{e1, e2}[i%2]
		wg.Go(func() {
			if err := e.App.Approvals.Poll(context.Background()); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if rows := auditRows(t, e1, "alice", "approval"); len(rows) != 2 {
		t.Fatalf("approval audit %+v, want the request and one decision", rows)
	}
	if rows := auditRows(t, e1, "alice", "unlock"); len(rows) != 1 {
		t.Fatalf("unlock audit %+v, want one", rows)
	}
	if got := approval(t, e1, 1); got.State != store.ApprovalApproved || got.DecidedBy != "admin" {
		t.Fatalf("approval %+v", got)
	}
	sum := metricValue(t, e1, `xtraauth_approvals_total{kind="unlock",outcome="approved"}`) +
		metricValue(t, e2, `xtraauth_approvals_total{kind="unlock",outcome="approved"}`)
	if sum != 1 {
		t.Fatalf("approved counted %v times", sum)
	}
}
