package handlers_test

import (
	"context"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"xtraauth/app/apptest"
	"xtraauth/config"
	"xtraauth/integrations/feishu"
	"xtraauth/integrations/platformtest"
	"xtraauth/store"
)

// Mobiles and platform ids of the people of the platform tests.
const (
	adminMobile = "13800000001"
	aliceMobile = "13800000002"
	bossMobile  = "13800000003"
	adminEmail  = "admin@example.com"
	aliceEmail  = "alice@example.com"
)

// platforms are fakes of every platform, and the settings that point
// xtraauth at them.
type platforms struct {
	ding      *platformtest.DingTalk
	fei       *platformtest.Feishu
	coding    *platformtest.Coding
	dingRobot *platformtest.Robot
	feiRobot  *platformtest.Robot
}

func startPlatforms(t *testing.T) *platforms {
	p := &platforms{}
	p.ding = platformtest.NewDingTalk(t)
	p.fei = platformtest.NewFeishu(t, "cli_"+strings.ReplaceAll(t.Name(), "/", "_"))
	p.coding = platformtest.NewCoding(t)
	// The robots' clocks become the server's in newPlatformEnv.
	p.dingRobot = platformtest.NewDingTalkRobot(t, time.Now)
	p.feiRobot = platformtest.NewFeishuRobot(t, time.Now)
	p.ding.AddUser(adminMobile, "dt-admin")
	p.ding.AddUser(aliceMobile, "dt-alice")
	p.ding.AddUser(bossMobile, "dt-boss")
	p.fei.AddUser(platformtest.FeishuUser{UserID: "fs-admin", Mobile: adminMobile, Email: adminEmail})
	p.fei.AddUser(platformtest.FeishuUser{UserID: "fs-alice", Email: aliceEmail})
	p.fei.AddUser(platformtest.FeishuUser{UserID: "fs-boss", Mobile: bossMobile})
	return p
}

// dingTalk, feishu, robots and coding turn a platform on.
func (p *platforms) dingTalk(c *config.Config) {
	d := &c.Integrations.DingTalk
	d.AppKey, d.AppSecret, d.AgentID, d.APIURL, d.OAPIURL = p.ding.AppKey, p.ding.AppSecret, p.ding.AgentID, p.ding.URL(), p.ding.URL()
	c.Integrations.ApprovalPlatform = config.PlatformDingTalk
}

func (p *platforms) feishu(c *config.Config) {
	f := &c.Integrations.Feishu
	f.AppID, f.AppSecret, f.URL = p.fei.AppID, p.fei.AppSecret, p.fei.URL()
	f.VerificationToken, f.EncryptKey = p.fei.VerificationToken, p.fei.EncryptKey
	c.Integrations.ApprovalPlatform = config.PlatformFeishu
}

func (p *platforms) robots(c *config.Config) {
	c.Integrations.DingTalkRobot = config.Robot{URL: p.dingRobot.Webhook(), Secret: p.dingRobot.Secret}
	c.Integrations.FeishuRobot = config.Robot{URL: p.feiRobot.Webhook(), Secret: p.feiRobot.Secret}
}

func (p *platforms) codingOn(c *config.Config) {
	c.Integrations.Coding = config.Coding{URL: p.coding.URL(), Token: p.coding.Token, Project: p.coding.Project}
}

// quick bounds platform calls, so hanging fakes cost little, and turns
// links in messages on.
func quick(c *config.Config) {
	c.Integrations.PlatformTimeout = 2 * time.Second
	c.PublicURL = "https://auth.example.com"
}

// texts is everything every fake received from xtraauth.
func (p *platforms) texts() []string {
	out := slices.Concat(p.ding.Texts(), p.fei.Texts(), p.coding.Texts(), p.dingRobot.Messages(), p.feiRobot.Messages())
	return out
}

// secrets of the platforms that no message may hold.
func (p *platforms) secrets() []string {
	return []string{p.ding.AppSecret, p.fei.AppSecret, p.fei.EncryptKey, p.fei.VerificationToken, p.coding.Token,
		p.dingRobot.Secret, p.dingRobot.Token(), p.feiRobot.Secret, p.feiRobot.Token()}
}

// newPlatformEnv starts a server wired to the fakes, with admin (mobile
// and email) and alice, and moves the robots' clock with the server's.
func newPlatformEnv(t *testing.T, p *platforms, change ...func(*config.Config)) (*apptest.Env, store.User) {
	t.Helper()
	e := apptest.New(t, append([]func(*config.Config){quick}, change...)...)
	p.dingRobot.SetClock(e.Clock.Now)
	p.feiRobot.SetClock(e.Clock.Now)
	admin, err := e.App.Accounts.UserByLogin(context.Background(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	admin = setContact(t, e, admin.ID, adminMobile, adminEmail)
	alice := e.AddUser("alice", alicePassword, false)
	return e, setContact(t, e, alice.ID, aliceMobile, aliceEmail)
}

func setContact(t *testing.T, e *apptest.Env, id int64, mobile, email string) store.User {
	t.Helper()
	u, err := e.App.SQL.UpdateUser(context.Background(), id, func(u *store.User) error {
		u.Mobile, u.Email = mobile, email
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// lock locks a login with wrong passwords.
func lock(t *testing.T, e *apptest.Env, login string, headers ...string) {
	t.Helper()
	failLogin(t, e, login, e.App.Cfg.LockAfter, headers...)
	if r := passwordLogin(e, login, badPassword, solved{}, headers...); r.Status != http.StatusTooManyRequests {
		t.Fatalf("%s is not locked: %d %s", login, r.Status, r.Body)
	}
}

// approvals lists approvals as admin sees them.
func approvals(t *testing.T, e *apptest.Env, token string) []map[string]any {
	t.Helper()
	r := e.Do("GET", "/api/approvals", nil, authHeader(token)...)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/approvals: %d %s", r.Status, r.Body)
	}
	var out []map[string]any
	for _, d := range r.JSON(t)["data"].([]any) {
		out = append(out, d.(map[string]any))
	}
	return out
}

// approval reads one approval from SQL.
func approval(t *testing.T, e *apptest.Env, id int64) store.Approval {
	t.Helper()
	a, err := e.App.SQL.GetApproval(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// work runs the worker (open instances, mirror decisions) once.
func work(t *testing.T, e *apptest.Env) {
	t.Helper()
	if err := e.App.Approvals.Work(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func poll(t *testing.T, e *apptest.Env) {
	t.Helper()
	if err := e.App.Approvals.Poll(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// send runs the notification sender once.
func send(t *testing.T, e *apptest.Env) {
	t.Helper()
	if err := e.App.Notifier.Tick(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// integration is one platform's entry of GET /api/integrations.
func integration(t *testing.T, e *apptest.Env, token, name string) map[string]any {
	t.Helper()
	r := e.Do("GET", "/api/integrations", nil, authHeader(token)...)
	if r.Status != http.StatusOK {
		t.Fatalf("GET /api/integrations: %d %s", r.Status, r.Body)
	}
	for _, d := range r.JSON(t)["data"].([]any) {
		if m := d.(map[string]any); m["name"] == name {
			return m
		}
	}
	t.Fatalf("no %s in %s", name, r.Body)
	return nil
}

// metricValue reads one series of /metrics; 0 when absent.
func metricValue(t *testing.T, e *apptest.Env, series string) float64 {
	t.Helper()
	for _, line := range strings.Split(string(e.Do("GET", "/metrics", nil).Body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metric %s: %v", line, err)
			}
			return f
		}
	}
	return 0
}

func signFeishu(ts, nonce, key string, body []byte) string { return feishu.Sign(ts, nonce, key, body) }
