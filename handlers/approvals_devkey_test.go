package handlers_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"xtraauth/app/apptest"
	"xtraauth/config"
	"xtraauth/store"
)

func devKeyApprovals(c *config.Config) { c.Integrations.Approvals = []string{"unlock", "dev_key"} }

// approvalBody is the approval JSON the routes answer with.
func approvalBody(id int64, state, login string, userID int64, label string, created time.Time, decided *time.Time, by any, remark string) map[string]any {
	var decidedAt any
	if decided != nil {
		decidedAt = rfc3339(*decided)
	}
	return map[string]any{"id": id, "kind": "dev_key", "state": state, "login": login, "user_id": userID,
		"label": label, "reason": "deploys", "platform": "web", "instance_id": nil,
		"created_at": rfc3339(created), "decided_at": decidedAt, "decided_by": by, "remark": remark}
}

func requestKey(e *apptest.Env, token, label string) apptest.Response {
	return e.Do("POST", "/api/dev_keys", map[string]string{"label": label, "reason": "deploys"}, authHeader(token)...)
}

// TestDevKeyApprovedAndClaimedOnce walks a dev_key request through the
// API as the page does: requested (202), approved by an admin, claimed
// once; claiming again is 409 Already Claimed, and a key approved but left
// 24 h is 409 Expired.
func TestDevKeyApprovedAndClaimedOnce(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, devKeyApprovals)
	alice := e.AddUser("alice", alicePassword, false)
	e.AddUser("bob", alicePassword, false)
	admin := adminToken(e)
	aliceToken, bobToken := e.Login("alice", alicePassword), e.Login("bob", alicePassword)
	created := e.Clock.Now()

	r := requestKey(e, aliceToken, "ci")
	wantBody(t, r, 202, map[string]any{"code": 202, "text": "Approval Required", "message": "Approval Required",
		"data": approvalBody(1, "pending", "alice", alice.ID, "ci", created, nil, nil, "")})
	if keys := listKeys(t, e, aliceToken, "/api/dev_keys"); len(keys) != 0 {
		t.Fatalf("a key was made before approval: %v", keys)
	}
	// Admins' own keys need no approval.
	if r := requestKey(e, admin, "admin-ci"); r.Status != 200 {
		t.Fatalf("admin's key: %d %s", r.Status, r.Body)
	}

	wantError(t, e.Do("POST", "/api/approvals/1/claim", nil, authHeader(aliceToken)...), 409, "Not Approved")
	wantError(t, e.Do("POST", "/api/approvals/1/approve", nil, authHeader(aliceToken)...), 403, "Forbidden")
	wantError(t, e.Do("GET", "/api/approvals/1", nil, authHeader(bobToken)...), 404, "Not Found")
	wantBody(t, e.Do("GET", "/api/approvals/1", nil, authHeader(aliceToken)...), 200, map[string]any{"code": 200,
		"data": approvalBody(1, "pending", "alice", alice.ID, "ci", created, nil, nil, "")})

	e.Advance(time.Minute)
	decided := e.Clock.Now()
	r = e.Do("POST", "/api/approvals/1/approve", map[string]string{"remark": "ok for CI"}, authHeader(admin)...)
	wantBody(t, r, 200, map[string]any{"code": 200,
		"data": approvalBody(1, "approved", "alice", alice.ID, "ci", created, &decided, "admin", "ok for CI")})
	wantError(t, e.Do("POST", "/api/approvals/1/approve", nil, authHeader(admin)...), 409, "Already Decided")
	wantError(t, e.Do("POST", "/api/approvals/1/reject", nil, authHeader(admin)...), 409, "Already Decided")
	wantError(t, e.Do("POST", "/api/approvals/1/claim", nil, authHeader(bobToken)...), 404, "Not Found")
	wantError(t, e.Do("POST", "/api/approvals/1/claim", nil, authHeader(admin)...), 404, "Not Found")

	r = e.Do("POST", "/api/approvals/1/claim", nil, authHeader(aliceToken)...)
	if r.Status != 200 {
		t.Fatalf("claim: %d %s", r.Status, r.Body)
	}
	data := r.JSON(t)["data"].(map[string]any)
	key := data["dev_key"].(string)
	if !devKeyFormat.MatchString(key) {
		t.Fatalf("dev_key %q", key)
	}
	wantBody(t, r, 200, map[string]any{"code": 200, "data": map[string]any{"id": data["id"], "label": "ci",
		"dev_key": key, "created_at": rfc3339(e.Clock.Now())}})
	wantOK(t, devKeyLogin(e, "alice", key))
	wantError(t, e.Do("POST", "/api/approvals/1/claim", nil, authHeader(aliceToken)...), 409, "Already Claimed")
	if keys := listKeys(t, e, aliceToken, "/api/dev_keys"); len(keys) != 1 || keys[0]["label"] != "ci" {
		t.Fatalf("keys %v", keys)
	}
	// Only the key's digest is kept, and the approval row holds no key.
	if _, _, err := e.App.SQL.GetDevKeyUser(context.Background(), store.Digest(key)); err != nil {
		t.Fatal(err)
	}
	if a := approval(t, e, 1); strings.Contains(a.Label+a.Reason+a.Remark, key) || a.State != store.ApprovalClaimed {
		t.Fatalf("approval %+v", a)
	}

	// A second request, approved and left a day, expires.
	requestKey(e, aliceToken, "nightly")
	wantOK(t, e.Do("POST", "/api/approvals/2/approve", nil, authHeader(admin)...))
	e.Advance(24 * time.Hour)
	aliceToken = e.Login("alice", alicePassword)
	wantError(t, e.Do("POST", "/api/approvals/2/claim", nil, authHeader(aliceToken)...), 409, "Expired")
	wantError(t, e.Do("POST", "/api/approvals/2/claim", nil, authHeader(aliceToken)...), 409, "Expired")
	if a := approval(t, e, 2); a.State != store.ApprovalExpired {
		t.Fatalf("state %s", a.State)
	}
	if keys := listKeys(t, e, aliceToken, "/api/dev_keys"); len(keys) != 1 {
		t.Fatalf("keys %v", keys)
	}
}

// TestApprovalCancelRejectAndList: a requester cancels their own pending
// request, an admin rejects another; lists are own for users, all for
// admins, filtered by state and kind.
func TestApprovalCancelRejectAndList(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, devKeyApprovals)
	e.AddUser("alice", alicePassword, false)
	e.AddUser("bob", alicePassword, false)
	admin := adminToken(e)
	aliceToken, bobToken := e.Login("alice", alicePassword), e.Login("bob", alicePassword)
	requestKey(e, aliceToken, "a1")
	requestKey(e, aliceToken, "a2")
	requestKey(e, bobToken, "b1")

	wantError(t, e.Do("DELETE", "/api/approvals/1", nil, authHeader(bobToken)...), 404, "Not Found")
	wantError(t, e.Do("DELETE", "/api/approvals/1", nil, authHeader(admin)...), 403, "Forbidden")
	r := e.Do("DELETE", "/api/approvals/1", nil, authHeader(aliceToken)...)
	if r.Status != 200 || r.JSON(t)["data"].(map[string]any)["state"] != "canceled" || r.JSON(t)["data"].(map[string]any)["decided_by"] != nil {
		t.Fatalf("cancel: %d %s", r.Status, r.Body)
	}
	wantError(t, e.Do("DELETE", "/api/approvals/1", nil, authHeader(aliceToken)...), 409, "Already Decided")
	wantError(t, e.Do("POST", "/api/approvals/1/approve", nil, authHeader(admin)...), 409, "Already Decided")
	r = e.Do("POST", "/api/approvals/3/reject", map[string]string{"remark": "no"}, authHeader(admin)...)
	if r.Status != 200 || r.JSON(t)["data"].(map[string]any)["state"] != "rejected" {
		t.Fatalf("reject: %d %s", r.Status, r.Body)
	}
	wantError(t, e.Do("POST", "/api/approvals/3/claim", nil, authHeader(bobToken)...), 409, "Not Approved")
	wantError(t, e.Do("POST", "/api/approvals/9/approve", nil, authHeader(admin)...), 404, "Not Found")
	wantError(t, e.Do("POST", "/api/approvals/x/approve", nil, authHeader(admin)...), 404, "Not Found")
	wantError(t, e.Do("POST", "/api/approvals/2/approve", map[string]string{"remark": strings.Repeat("r", 256)}, authHeader(admin)...),
		400, "remark is longer than 255 bytes")
	wantError(t, e.Do("POST", "/api/approvals/2/approve", "{", "Content-Type", "application/json", "X-XTRA-AUTH-ID", admin), 400, "Malformed Body")
	wantError(t, e.Do("GET", "/api/approvals", nil), 401, "Not Authorized")

	for _, tt := range []struct {
		token, query string
		ids          []float64
		total        float64
	}{
		{aliceToken, "", []float64{2, 1}, 2},
		{bobToken, "", []float64{3}, 1},
		{admin, "", []float64{3, 2, 1}, 3},
		{admin, "?state=pending", []float64{2}, 1},
		{admin, "?kind=unlock", nil, 0},
		{admin, "?perPage=1&page=2", []float64{2}, 3},
		{aliceToken, "?state=canceled", []float64{1}, 1},
	} {
		r := e.Do("GET", "/api/approvals"+tt.query, nil, authHeader(tt.token)...)
		m := r.JSON(t)
		var ids []float64
		for _, d := range m["data"].([]any) {
			ids = append(ids, d.(map[string]any)["id"].(float64))
		}
		if r.Status != 200 || m["rowCount"] != tt.total || len(ids) != len(tt.ids) || (len(ids) > 0 && ids[0] != tt.ids[0]) {
			t.Errorf("%s: %d %s", tt.query, r.Status, r.Body)
		}
	}
}

// TestOwnUnlockRequestNotDecidedByItsAdmin: a locked admin's request is
// decided by another admin, never by themselves.
func TestOwnUnlockRequestNotDecidedByItsAdmin(t *testing.T) {
	t.Parallel()
	e := apptest.New(t)
	e.AddUser("boss", "boss-Passw0rd", true)
	adminKey, err := e.App.Accounts.CreateDevKey(context.Background(), 1, "admin's key")
	if err != nil {
		t.Fatal(err)
	}
	lock(t, e, "admin")
	requestUnlock(e, "admin")
	e.App.Approvals.Wait()
	wantError(t, e.Do("POST", "/api/approvals/1/approve", nil, authHeader(adminKey.Key)...), 403, "Cannot Decide Own Request")
	wantOK(t, e.Do("POST", "/api/approvals/1/approve", nil, authHeader(e.Login("boss", "boss-Passw0rd"))...))
	if r := passwordLogin(e, "admin", apptest.AdminPassword, solved{}); r.Status != http.StatusOK {
		t.Fatalf("admin after approval: %d %s", r.Status, r.Body)
	}
}
