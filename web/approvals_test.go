package web_test

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"xtraauth/app/apptest"
	"xtraauth/config"
	"xtraauth/store"
)

// Flows of the Requests view and the login's unlock request (CONTRACT
// section 7), run by TestConsole.

func devKeyApprovals(c *config.Config) { c.Integrations.Approvals = []string{"unlock", "dev_key"} }

// openRequest opens a platform message's link to a request and logs in
// through the form; the request opens in Requests.
func (p *page) openRequest(id, login, password string) {
	p.t.Helper()
	p.run("open the link", chromedp.Navigate(p.e.Server.URL+"/?approval="+id))
	p.visible("#view-login")
	p.waitMessage(p.tr("requests.login_first", "id", id))
	p.set("#login-name", login)
	p.set("#login-password", password)
	p.click(`#login button[type=submit]`)
	p.visible("#view-requests")
	p.waitFocus("#approval-detail-title")
	p.settled()
	if got := p.text("#approval-detail-title"); got != p.tr("approvals.detail_title", "id", id) {
		p.t.Fatalf("the link opened %q", got)
	}
	if got := p.eval(`location.search + location.hash`); got != "#requests" {
		p.t.Fatalf("after the link the address ends in %v", got)
	}
}

// localTime is how the page shows a time: the browser's zone and language.
func (p *page) localTime(at time.Time) string {
	p.t.Helper()
	return p.eval(`new Intl.DateTimeFormat(document.documentElement.lang, {dateStyle: "medium", timeStyle: "short"}).format(new Date(` +
		fmt.Sprint(at.UnixMilli()) + `))`).(string)
}

// decide approves or rejects request id in the admin's pending list, with
// a remark, from the keyboard.
func (p *page) decide(id, action, remark string) {
	p.t.Helper()
	p.click(`#pending tr[data-id="` + id + `"] button[data-action="` + action + `"]`)
	p.visible("#decide-dialog")
	p.waitFocus("#decide-remark")
	p.keys(remark + kb.Tab + kb.Tab) // past Cancel to the decision
	p.waitFocus("#decide-ok")
	p.keys(kb.Enter)
	p.until("the dialog to close", `!document.getElementById("decide-dialog").open`)
}

// devKeyApproved: a user asks for a dev_key (202: it waits), an admin
// approves it in the page, where the admin's own request offers no
// decision; the user follows the platform's link, claims the key once and
// sees it; a second claim, from a page that still offered it, is refused
// and explained.
func devKeyApproved(p *page) {
	// The admin asked to be unlocked (#1) and got in once the lock ended.
	fail(p.t, p.e, "admin", 5)
	if r := p.e.Do("POST", "/api/unlock_requests", map[string]string{"login": "admin", "reason": "typo"}); r.Status != 202 {
		p.t.Fatalf("the admin's unlock request: %d", r.Status)
	}
	p.e.App.Approvals.Wait()
	p.e.Advance(2*time.Hour + time.Minute)

	p.e.AddUser("alice", "alice-password-1", false)
	p.login("alice", "alice-password-1")
	p.view("requests")
	if p.eval(`document.getElementById("pending-card").hidden && document.getElementById("integrations-card").hidden`) != true {
		p.t.Fatal("a user who is no admin sees the admins' cards")
	}
	p.set("#request-key-label", "ci")
	p.set("#request-key-reason", "deploys")
	p.click(`#request-key button[type=submit]`)
	p.waitMessage(p.tr("request_key.sent", "id", "2"))
	p.waitFocus("#approvals-region")
	if rows := p.rows("#approvals"); len(rows) != 1 || rows[0][2] != p.tr("approvals.dev_key_named", "label", "ci") ||
		rows[0][3] != "deploys" || rows[0][4] != p.tr("state.pending") || rows[0][5] != "—" {
		p.t.Fatalf("after the request: %v", rows)
	}
	p.visible(`#approvals tr[data-id="2"] button[data-action="withdraw"]`)
	if p.eval(`document.getElementById("requests-secret").hidden`) != true {
		p.t.Fatal("a key is shown for a request that waits")
	}

	admin := newPage(p.t, p.ctx, p.e, p.lang)
	admin.login("admin", apptest.AdminPassword)
	admin.view("requests")
	if rows := admin.rows("#pending"); len(rows) != 2 {
		p.t.Fatalf("pending: %v", rows)
	}
	own := `#pending tr[data-id="1"] `
	if got := admin.eval(`document.querySelectorAll('` + own + `button:not([data-action="withdraw"])').length`); got != 0.0 {
		p.t.Fatalf("the admin is offered %v decisions on their own request", got)
	}
	if got := admin.text(own + `.badge`); got != admin.tr("pending.yours") {
		p.t.Fatalf("the admin's own request says %q", got)
	}
	admin.namedScreenshot("requests-admin")
	admin.decide("2", "approve", "ok for CI")
	admin.waitMessage(admin.tr("approvals.approved", "id", "2", "login", "alice"))
	admin.waitFocus("#pending-region")
	admin.gone(`#pending tr[data-id="2"]`)

	stale := newPage(p.t, p.ctx, p.e, p.lang) // a second page of alice's, still offering Claim
	stale.login("alice", "alice-password-1")
	stale.view("requests")
	stale.visible(`#approvals tr[data-id="2"] button[data-action="claim"]`)

	p.run("log out", chromedp.Click(chromedp.ID("logout")))
	p.visible("#view-login")
	p.openRequest("2", "alice", "alice-password-1")
	claimBy := p.localTime(p.e.Clock.Now().Add(24 * time.Hour))
	if got := p.text("#approval-detail-fields"); !strings.Contains(got, p.tr("state.approved_claim", "time", claimBy)) ||
		!strings.Contains(got, p.tr("approvals.remark_is", "remark", "ok for CI")) || !strings.Contains(got, "admin") {
		p.t.Fatalf("the approved request shows %q", got)
	}
	p.click(`#approval-detail-actions button[data-action="claim"]`)
	key := p.shownKey("#requests-secret")
	p.visible("#requests-secret .secret-copy")
	p.until("the request claimed", `!document.querySelector('#approval-detail-actions button[data-action="claim"]')`)
	if rows := p.rows("#approvals"); len(rows) != 1 || rows[0][4] != p.tr("state.claimed") {
		p.t.Fatalf("after the claim: %v", rows)
	}
	p.click("#requests-secret .secret-done")
	p.waitFocus("#approval-detail-title")
	p.forgotten(key)

	stale.click(`#approvals tr[data-id="2"] button[data-action="claim"]`)
	stale.waitMessage(stale.tr("err.already_claimed"))
	stale.waitFocus("#approvals-region")
	if rows := stale.rows("#approvals"); rows[0][4] != stale.tr("state.claimed") || stale.eval(`document.getElementById("requests-secret").hidden`) != true {
		p.t.Fatalf("after the refused claim: %v", rows)
	}
}

// devKeyRejected: an admin rejects a request with a remark; its requester
// sees who decided and the remark, sees an approval left a day unclaimed
// as expired (no Claim offered), withdraws a request, and asks from My
// account.
func devKeyRejected(p *page) {
	p.e.AddUser("alice", "alice-password-1", false)
	token := p.e.Login("alice", "alice-password-1")
	for _, label := range []string{"old", "laptop"} {
		r := p.e.Do("POST", "/api/dev_keys", map[string]string{"label": label, "reason": "travel"}, "X-XTRA-AUTH-ID", token)
		if r.Status != 202 {
			p.t.Fatalf("request: %d %s", r.Status, r.Body)
		}
	}
	if r := p.e.Do("POST", "/api/approvals/1/approve", nil, "X-XTRA-AUTH-ID", p.e.Login("admin", apptest.AdminPassword)); r.Status != 200 {
		p.t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	p.e.Advance(24*time.Hour + time.Minute)

	admin := newPage(p.t, p.ctx, p.e, p.lang)
	admin.login("admin", apptest.AdminPassword)
	admin.view("requests")
	admin.decide("2", "reject", "use the CI key")
	admin.waitMessage(admin.tr("approvals.rejected", "id", "2", "login", "alice"))
	if got := admin.note("#pending"); got != admin.tr("pending.none") {
		p.t.Fatalf("pending after the decision: %q", got)
	}
	if got := admin.text(`#approvals tr[data-id="2"] td:nth-child(5)`); got != admin.tr("state.rejected") {
		p.t.Fatalf("all requests say %q", got)
	}

	p.login("alice", "alice-password-1")
	p.view("requests")
	cells := func(id string) []string { // state, decision, requested, actions
		for _, r := range p.rows("#approvals") {
			if r[0] == id {
				return r[4:]
			}
		}
		p.t.Fatalf("no request %s", id)
		return nil
	}
	state, decision, actions := cells("2")[0], cells("2")[1], cells("2")[3]
	if state != p.tr("state.rejected") || actions != "" ||
		decision != p.tr("approvals.decided_by", "login", "admin", "time", p.localTime(p.e.Clock.Now()))+p.tr("approvals.remark_is", "remark", "use the CI key") {
		p.t.Fatalf("the rejected request: %q %q %q", state, decision, actions)
	}
	if c := cells("1"); c[0] != p.tr("state.expired") || c[3] != "" {
		p.t.Fatalf("the approval left a day: %q", c)
	}

	p.set("#request-key-label", "other")
	p.click(`#request-key button[type=submit]`)
	p.waitMessage(p.tr("request_key.sent", "id", "3"))
	p.click(`#approvals tr[data-id="3"] button[data-action="withdraw"]`)
	p.confirm(true)
	p.waitMessage(p.tr("approvals.withdrawn", "id", "3"))
	p.waitFocus("#approvals-region")
	if got := cells("3")[0]; got != p.tr("state.canceled") {
		p.t.Fatalf("after withdrawing: %q", got)
	}
	a, err := p.e.App.SQL.GetApproval(context.Background(), 3)
	if err != nil || a.State != store.ApprovalCanceled {
		p.t.Fatalf("approval 3: %+v %v", a, err)
	}

	// My account's Create dev_key asks too, and says where to claim.
	p.view("account")
	p.set("#devkey-label", "from my account")
	p.click(`#devkey-new button[type=submit]`)
	p.waitMessage(p.tr("devkeys.requested", "id", "4"))
	if p.eval(`document.getElementById("devkey-secret").hidden`) != true {
		p.t.Fatal("My account shows a key for a request that waits")
	}
}

// unlockRequest: the lock message offers "Ask an admin to unlock", which
// answers the same for a real login and an unknown one (only the real one
// becomes a request) and explains the limit of 5 an hour; without unlock
// in XTRA_APPROVALS it is not offered.
func unlockRequest(p *page) {
	p.e.AddUser("carol", "carol-password", false)
	fail(p.t, p.e, "carol", 5)
	fail(p.t, p.e, "nobody", 5)
	hours := map[string]map[int]string{"en": {1: "1 hour", 2: "2 hours"}, "zh": {1: "1小时", 2: "2小时"}}[p.lang]
	p.open()
	ask := func(login string) {
		p.set("#login-name", login)
		p.set("#login-password", "carol-password")
		p.click(`#login button[type=submit]`)
		p.waitMessage(p.tr("err.locked", "left", hours[2]))
		p.waitFocus("#unlock-title")
		if got := p.eval(`document.getElementById("unlock-login").value`); got != login {
			p.t.Fatalf("the unlock form holds %v", got)
		}
		p.click("#unlock-reason")
		p.keys("I mistyped my new password")
		p.keys(kb.Tab + kb.Enter) // the Send button
	}
	for _, login := range []string{"carol", "nobody"} {
		ask(login)
		p.waitMessage(p.tr("unlock.sent"))
		p.waitFocus("#unlock-sent")
		if p.eval(`document.getElementById("unlock-form").hidden`) != true {
			p.t.Fatal("the form stays after the request")
		}
	}
	p.namedScreenshot("unlock")
	p.e.App.Approvals.Wait()
	list, n, err := p.e.App.SQL.ListApprovals(context.Background(), store.ApprovalFilter{Limit: 10})
	if err != nil || n != 1 || list[0].Login != "carol" || list[0].Kind != store.ApprovalUnlock || list[0].Reason != "I mistyped my new password" {
		p.t.Fatalf("approvals %+v (%d, %v)", list, n, err)
	}

	for range 3 { // five requests an hour from one address
		if r := p.e.Do("POST", "/api/unlock_requests", map[string]string{"login": "carol"}); r.Status != 202 {
			p.t.Fatalf("unlock request: %d", r.Status)
		}
	}
	ask("carol")
	p.waitMessage(p.tr("unlock.too_many", "left", hours[1]))
	p.waitFocus("#unlock-reason")
	p.e.App.Approvals.Wait()

	off := apptest.New(p.t, func(c *config.Config) { c.Integrations.Approvals = []string{"dev_key"} })
	off.AddUser("carol", "carol-password", false)
	fail(p.t, off, "carol", 5)
	p.run("open the other server", chromedp.Navigate(off.Server.URL))
	p.visible("#view-login")
	p.set("#login-name", "carol")
	p.set("#login-password", "carol-password")
	p.click(`#login button[type=submit]`)
	p.waitMessage(p.tr("err.locked", "left", hours[2]))
	p.waitFocus("#login-password")
	if p.eval(`document.getElementById("unlock").hidden`) != true {
		p.t.Fatal("unlock requests are offered while they are off")
	}
}

// integrationsStatus: admins see every platform; with none configured
// each says so.
func integrationsStatus(p *page) {
	p.login("admin", apptest.AdminPassword)
	p.view("requests")
	p.namedScreenshot("requests")
	rows := p.rows("#integrations")
	var names []string
	for _, r := range rows {
		names = append(names, r[0])
		if r[1] != p.tr("answer.no") || r[2] != p.tr("integrations.off") || r[3] != "—" || r[4] != p.tr("never") || r[5] != "0" {
			p.t.Fatalf("platform %v", r)
		}
	}
	var want []string
	for _, k := range []string{"dingtalk", "feishu", "coding", "dingtalk_robot", "feishu_robot"} {
		want = append(want, p.tr("platform."+k))
	}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		p.t.Fatalf("platforms %v, want %v", names, want)
	}
	p.click("#integrations-refresh")
	p.waitFocus("#integrations-region")
}
