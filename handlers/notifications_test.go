package handlers_test

import (
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

// everything turns every platform on, approvals on DingTalk.
func (p *platforms) everything(c *config.Config) {
	p.dingTalk(c)
	p.feishu(c)
	p.robots(c)
	p.codingOn(c)
	c.Integrations.ApprovalPlatform = config.PlatformDingTalk
}

func count(texts []string, sub string) int {
	n := 0
	for _, t := range texts {
		if strings.Contains(t, sub) {
			n++
		}
	}
	return n
}

func dingTexts(p *platforms, userID string) []string {
	var out []string
	for _, n := range p.ding.Notices() {
		if n.UserIDs[0] == userID {
			out = append(out, n.Text)
		}
	}
	return out
}

func feishuTexts(p *platforms, userID string) []string {
	var out []string
	for _, m := range p.fei.Messages() {
		if m.UserID == userID {
			out = append(out, m.Text)
		}
	}
	return out
}

// TestNotificationsOfEvents: each event of the table reaches whom it
// should, once, on every platform, and no message holds a secret.
func TestNotificationsOfEvents(t *testing.T) {
	t.Parallel()
	p := startPlatforms(t)
	e, alice := newPlatformEnv(t, p, p.everything, trustLocalProxy)
	admin := adminToken(e)
	aliceToken := e.Login("alice", alicePassword)

	lock(t, e, "alice", xff("203.0.113.7")...)
	// Someone types a password into the login field: it locks an unknown login.
	typedPassword := "S3cret-typed-as-login"
	lock(t, e, typedPassword, xff("203.0.113.8")...)
	lock(t, e, "admin", xff("203.0.113.9")...)
	send(t, e)

	aliceDing, aliceFeishu := dingTexts(p, "dt-alice"), feishuTexts(p, "fs-alice")
	if count(aliceDing, "Login locked: alice") != 1 || count(aliceFeishu, "Login locked: alice") != 1 {
		t.Fatalf("alice was told %q on DingTalk and %q on Feishu", aliceDing, aliceFeishu)
	}
	if !strings.Contains(aliceDing[0], "From: 203.0.113.7") || !strings.Contains(aliceDing[0], "When: 2026-01-02 ") ||
		!strings.Contains(aliceDing[0], "https://auth.example.com/") {
		t.Fatalf("message %q lacks the address, time or link", aliceDing[0])
	}
	for _, robot := range [][]string{p.dingRobot.Messages(), p.feiRobot.Messages()} {
		if len(robot) != 3 || count(robot, "Login locked: alice") != 1 || count(robot, "An unknown login was locked") != 1 ||
			count(robot, "Login locked: admin") != 1 {
			t.Fatalf("robot got %q", robot)
		}
	}
	issues := p.coding.Issues()
	if len(issues) != 1 || issues[0].Priority != "2" || !strings.Contains(issues[0].Name, "Super admin locked: admin") {
		t.Fatalf("issues %+v", issues)
	}

	// Spraying: 20 password failures from one address over many logins.
	for i := range 10 {
		failLogin(t, e, fmt.Sprintf("sprayed%d", i), 2, xff("192.0.2.66")...)
	}
	send(t, e)
	issues = p.coding.Issues()
	if len(issues) != 2 || issues[1].Priority != "1" || !strings.Contains(issues[1].Name, "Password spraying from 192.0.2.66") {
		t.Fatalf("issues %+v", issues)
	}
	if n := count(p.dingRobot.Messages(), "spraying"); n != 1 {
		t.Fatalf("%d spraying alerts on the DingTalk robot", n)
	}

	// Account changes reach the user.
	r := e.Do("POST", "/api/dev_keys", map[string]string{"label": "ci"}, authHeader(aliceToken)...)
	key := r.JSON(t)["data"].(map[string]any)["dev_key"].(string)
	keyID := r.JSON(t)["data"].(map[string]any)["id"].(float64)
	wantOK(t, e.Do("DELETE", fmt.Sprintf("/api/dev_keys/%v", keyID), nil, authHeader(aliceToken)...))
	newPassword := "Alice-N3w-Passw0rd"
	e.Advance(3 * time.Hour) // alice's lock is over
	aliceToken = e.Login("alice", alicePassword)
	wantOK(t, e.Do("PUT", fmt.Sprintf("/api/users/%d", alice.ID),
		map[string]string{"password": newPassword, "old_password": alicePassword}, authHeader(aliceToken)...))
	wantOK(t, e.Do("PUT", fmt.Sprintf("/api/users/%d", alice.ID), map[string]any{"disabled": 1}, authHeader(admin)...))
	send(t, e)
	aliceDing = dingTexts(p, "dt-alice")
	for _, want := range []string{"dev_key made", "dev_key revoked", "Password changed", "Login disabled"} {
		if count(aliceDing, want) != 1 || count(feishuTexts(p, "fs-alice"), want) != 1 {
			t.Errorf("alice was not told once of %q: %q", want, aliceDing)
		}
	}
	if !strings.Contains(strings.Join(aliceDing, "\n"), "by admin") {
		t.Errorf("the disabling does not name the admin: %q", aliceDing)
	}

	// Nothing is sent twice.
	before := len(p.texts())
	send(t, e)
	if after := len(p.texts()); after != before {
		t.Fatalf("a second run sent %d more", after-before)
	}
	platformtest.NoSecrets(t, p.texts(), append(p.secrets(), alicePassword, newPassword, badPassword, typedPassword,
		strings.ToLower(typedPassword), apptest.AdminPassword, admin, aliceToken, key)...)
	if v := metricValue(t, e, `xtraauth_notifications_total{channel="coding",outcome="sent"}`); v != 2 {
		t.Fatalf("coding sent counted %v", v)
	}
}

// TestNotificationsAfterAnOutage: the robots answer 500 for a while; the
// deliveries wait, retried with backoff, their error shown; once the
// robots are back each event reaches each robot exactly once, also after
// the sending process is replaced by another.
func TestNotificationsAfterAnOutage(t *testing.T) {
	t.Parallel()
	p := startPlatforms(t)
	e, _ := newPlatformEnv(t, p, p.robots, trustLocalProxy)
	admin := adminToken(e)
	p.dingRobot.SetFault(platformtest.Fail)
	p.feiRobot.SetFault(platformtest.Fail)
	for i := range 3 {
		lock(t, e, fmt.Sprintf("victim%d", i), xff(fmt.Sprintf("203.0.113.%d", i+1))...)
	}
	send(t, e)
	calls := p.dingRobot.Calls()
	send(t, e) // within the backoff: no call
	if p.dingRobot.Calls() != calls {
		t.Fatal("a failing robot was called again within its backoff")
	}
	for range 5 {
		e.Advance(30 * time.Second)
		send(t, e)
	}
	st := integration(t, e, admin, "dingtalk_robot")
	if st["configured"] != true || st["ok"] != false || st["pending"] != float64(3) ||
		!strings.Contains(st["last_error"].(string), "HTTP 500") || st["last_success_at"] != nil {
		t.Fatalf("status %v", st)
	}
	if len(p.dingRobot.Messages())+len(p.feiRobot.Messages()) != 0 {
		t.Fatal("messages got through a failing robot")
	}

	// The sending process goes away; another takes over once its lease ends.
	e2 := e.Join()
	send(t, e2) // e still holds the lease
	p.dingRobot.SetFault(platformtest.Healthy)
	p.feiRobot.SetFault(platformtest.Healthy)
	e.Advance(time.Minute)
	send(t, e2)
	send(t, e2)
	for name, got := range map[string][]string{"DingTalk": p.dingRobot.Messages(), "Feishu": p.feiRobot.Messages()} {
		if len(got) != 3 {
			t.Fatalf("%s robot got %d messages: %q", name, len(got), got)
		}
		for i := range 3 {
			if count(got, fmt.Sprintf("203.0.113.%d", i+1)) != 1 {
				t.Fatalf("%s robot: the lock from 203.0.113.%d came %d times", name, i+1, count(got, fmt.Sprintf("203.0.113.%d", i+1)))
			}
		}
	}
	st = integration(t, e, admin, "dingtalk_robot")
	if st["ok"] != true || st["last_error"] != "" || st["pending"] != float64(0) || st["last_success_at"] != rfc3339(e.Clock.Now()) {
		t.Fatalf("status %v", st)
	}
}

// TestNotificationsGiveUpAfterADay: a platform down for 24 h loses the
// deliveries of that day, counted as failed, and no more are tried.
func TestNotificationsGiveUpAfterADay(t *testing.T) {
	t.Parallel()
	p := startPlatforms(t)
	e, _ := newPlatformEnv(t, p, p.robots, func(c *config.Config) { c.Integrations.FeishuRobot = config.Robot{} })
	p.dingRobot.SetFault(platformtest.Fail)
	lock(t, e, "alice")
	send(t, e)
	e.Advance(24 * time.Hour)
	send(t, e)
	p.dingRobot.SetFault(platformtest.Healthy)
	e.Advance(time.Minute)
	send(t, e)
	if got := p.dingRobot.Messages(); len(got) != 0 {
		t.Fatalf("sent after giving up: %q", got)
	}
	if v := metricValue(t, e, `xtraauth_notifications_total{channel="dingtalk_robot",outcome="failed"}`); v != 1 {
		t.Fatalf("failed counted %v", v)
	}
}

// TestPlatformTroubleLeavesThingsWaiting: DingTalk failing, answering
// garbage or hanging leaves approvals pending without an instance and
// notifications queued, with the error in GET /api/integrations; once it
// is back, everything goes through.
func TestPlatformTroubleLeavesThingsWaiting(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name  string
		fault platformtest.Fault
		err   string
	}{
		{"500", platformtest.Fail, "HTTP 500"},
		{"garbage", platformtest.Garbage, "not the JSON expected"},
		{"hang", platformtest.Hang, "timed out"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p := startPlatforms(t)
			e, _ := newPlatformEnv(t, p, p.dingTalk)
			admin := adminToken(e)
			p.ding.SetFault(tt.fault)
			lock(t, e, "alice")
			requestUnlock(e, "alice")
			e.App.Approvals.Wait()
			work(t, e)
			send(t, e)
			if a := approval(t, e, 1); a.State != store.ApprovalPending || a.InstanceID != "" {
				t.Fatalf("approval %+v", a)
			}
			st := integration(t, e, admin, "dingtalk")
			if st["ok"] != false || !strings.Contains(st["last_error"].(string), tt.err) || st["pending"] != float64(2) {
				t.Fatalf("status %v, want error %q and 2 pending (the approval and alice's lock notice)", st, tt.err)
			}
			// Polls and page decisions of other approvals still work.
			wantBody(t, requestUnlock(e, "alice"), 202, accepted)

			p.ding.SetFault(platformtest.Healthy)
			work(t, e) // within the retry delay: not tried
			if len(p.ding.Instances()) != 0 {
				t.Fatal("tried again before the retry delay")
			}
			e.Advance(e.App.Cfg.Integrations.ApprovalPoll)
			work(t, e)
			send(t, e)
			if len(p.ding.Instances()) != 1 || count(dingTexts(p, "dt-alice"), "Login locked: alice") != 1 {
				t.Fatalf("after the platform came back: %d instances, notices %q", len(p.ding.Instances()), dingTexts(p, "dt-alice"))
			}
			if st := integration(t, e, admin, "dingtalk"); st["ok"] != true || st["pending"] != float64(1) {
				t.Fatalf("status %v, want ok with the approval pending", st)
			}
			// A failing poll leaves the decision for later.
			if err := p.ding.Decide(p.ding.Instances()[0].ID, "dt-admin", true); err != nil {
				t.Fatal(err)
			}
			p.ding.SetFault(tt.fault)
			poll(t, e)
			if a := approval(t, e, 1); a.State != store.ApprovalPending {
				t.Fatalf("state %s during trouble", a.State)
			}
			p.ding.SetFault(platformtest.Healthy)
			e.Advance(e.App.Cfg.Integrations.ApprovalPoll)
			poll(t, e)
			if a := approval(t, e, 1); a.State != store.ApprovalApproved {
				t.Fatalf("state %s after the trouble", a.State)
			}
		})
	}
}

// TestDecisionInThePageIsMirrored: an admin approving in the page executes
// their own DingTalk task; one not on DingTalk terminates the instance; a
// requester's cancel terminates it too.
func TestDecisionInThePageIsMirrored(t *testing.T) {
	t.Parallel()
	p := startPlatforms(t)
	e, _ := newPlatformEnv(t, p, p.dingTalk, devKeyApprovals)
	admin := adminToken(e)
	e.AddUser("nomobile", "nomobile-Passw0rd", true) // an admin DingTalk does not know
	aliceToken := e.Login("alice", alicePassword)
	for range 3 {
		requestKey(e, aliceToken, "ci")
	}
	work(t, e)
	insts := p.ding.Instances()
	if len(insts) != 3 {
		t.Fatalf("%d instances", len(insts))
	}
	wantOK(t, e.Do("POST", "/api/approvals/1/approve", nil, authHeader(admin)...))
	wantOK(t, e.Do("POST", "/api/approvals/2/reject", nil, authHeader(e.Login("nomobile", "nomobile-Passw0rd"))...))
	wantOK(t, e.Do("DELETE", "/api/approvals/3", nil, authHeader(aliceToken)...))
	if a := approval(t, e, 1); !a.NeedsMirror {
		t.Fatalf("approval %+v not flagged for mirroring", a)
	}
	work(t, e)
	insts = p.ding.Instances()
	if insts[0].Status != "COMPLETED" || insts[0].Result != "agree" || insts[1].Status != "TERMINATED" || insts[2].Status != "TERMINATED" {
		t.Fatalf("instances %+v", insts)
	}
	for id := int64(1); id <= 3; id++ {
		if a := approval(t, e, id); a.NeedsMirror {
			t.Fatalf("approval %+v still flagged", a)
		}
	}
	// A decision made on DingTalk by someone who is not an admin is ignored.
	requestKey(e, aliceToken, "late")
	work(t, e)
	inst := p.ding.Instances()[3]
	if err := p.ding.Decide(inst.ID, "dt-admin", true); err != nil {
		t.Fatal(err)
	}
	wantOK(t, e.Do("PUT", "/api/users/1", map[string]any{"mobile": "13899999999"}, authHeader(admin)...))
	poll(t, e)
	a := approval(t, e, 4)
	if a.State != store.ApprovalPending || a.Platform != "web" {
		t.Fatalf("approval %+v after a stranger's decision", a)
	}
	if rows := auditRows(t, e, "alice", "approval_ignored"); len(rows) != 1 || !strings.Contains(rows[0].Outcome, "dingtalk user dt-admin") {
		t.Fatalf("ignored audit %+v", rows)
	}
}

// TestLoginsNeverWaitForPlatforms: with every platform hanging and a long
// timeout, logins and locks answer at once (the client gives up after 5 s).
func TestLoginsNeverWaitForPlatforms(t *testing.T) {
	t.Parallel()
	p := startPlatforms(t)
	e, _ := newPlatformEnv(t, p, p.everything, func(c *config.Config) { c.Integrations.PlatformTimeout = time.Minute })
	for _, f := range []interface{ SetFault(platformtest.Fault) }{p.ding, p.fei, p.coding, p.dingRobot, p.feiRobot} {
		f.SetFault(platformtest.Hang)
	}
	e.StartIntegrations(10 * time.Millisecond)
	client := &http.Client{Timeout: 5 * time.Second}
	for i := range 6 {
		req, _ := http.NewRequest("POST", e.Server.URL+"/api/sessions",
			strings.NewReader(`{"login":"admin","password":"wrong"}`))
		req.Header.Set("Content-Type", "application/json")
		res, err := client.Do(req)
		if err != nil {
			t.Fatalf("login %d: %v", i, err)
		}
		res.Body.Close()
	}
	if r := requestUnlock(e, "admin"); r.Status != 202 {
		t.Fatalf("unlock request: %d", r.Status)
	}
}

// TestNotificationFirstTryWithinTwoSeconds: the running server sends a
// lock's alert on its own, soon after the lock.
func TestNotificationFirstTryWithinTwoSeconds(t *testing.T) {
	t.Parallel()
	p := startPlatforms(t)
	e, _ := newPlatformEnv(t, p, p.robots)
	e.StartIntegrations(time.Second) // the server's own tick
	lock(t, e, "alice")
	deadline := time.Now().Add(10 * time.Second)
	for len(p.dingRobot.Messages()) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no alert sent by the running server")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestSprayingRecordedOnce: the 20th password failure from an address is
// audited as spraying once, whatever the captcha setting and however many
// failures race.
func TestSprayingRecordedOnce(t *testing.T) {
	t.Parallel()
	for _, captchaAfter := range []int{0, 2} {
		t.Run(fmt.Sprintf("captcha after %d", captchaAfter), func(t *testing.T) {
			t.Parallel()
			e := apptest.New(t, trustLocalProxy, func(c *config.Config) { c.CaptchaAfter = captchaAfter })
			var wg sync.WaitGroup
			for i := range 40 {
				wg.Go(func() {
					passwordLogin(e, fmt.Sprintf("user%d", i), badPassword, solved{}, xff("192.0.2.66")...)
				})
			}
			wg.Wait()
			rows := auditRows(t, e, "address:192.0.2.66", "spraying")
			if len(rows) != 1 || rows[0].Address != "192.0.2.66" || rows[0].Outcome != "20 password failures within 10m0s" {
				t.Fatalf("spraying rows %+v", rows)
			}
		})
	}
}
