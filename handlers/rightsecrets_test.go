package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"xtraauth/app/apptest"
)

// burstSize is how many right credentials arrive at once from one address.
const burstSize = 200

// burst runs send(i) for i < n at once and tallies the statuses.
func burst(n int, send func(i int) (int, error)) map[string]int {
	var mu sync.Mutex
	count := map[string]int{}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			status, err := send(i)
			key := fmt.Sprint(status)
			if err != nil {
				key = err.Error()
			}
			mu.Lock()
			count[key]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return count
}

// wantNothingLocked checks that the admins' list of failures is empty.
func wantNothingLocked(t *testing.T, e *apptest.Env) {
	t.Helper()
	wantBody(t, e.Do("GET", "/api/locks", nil, authHeader(adminToken(e))...), http.StatusOK,
		map[string]any{"code": 200, "data": []any{}, "rowCount": 0, "page": 1})
}

// TestRightSecretsNeverRefused: dev_keys and client secrets are checked
// before anything is counted, and only wrong ones count, so any number of
// a job's workers presenting the right one at once are all let in and
// leave nothing behind.
func TestRightSecretsNeverRefused(t *testing.T) {
	t.Parallel()
	// Each case sets up a right secret on e and returns one request with it.
	cases := []struct {
		name  string
		right func(t *testing.T, e *apptest.Env) func() (int, error)
	}{
		{"dev_key logins", func(t *testing.T, e *apptest.Env) func() (int, error) {
			addUser1007(t, e)
			_, key := newDevKey(t, e, e.Login("1007", password1007), "ci")
			body := "login=1007&dev_key=" + url.QueryEscape(key)
			return func() (int, error) {
				status, _, err := rawDo(e, "POST", "/api/sessions", strings.NewReader(body),
					"Content-Type", "application/x-www-form-urlencoded")
				return status, err
			}
		}},
		{"dev_key as a token", func(t *testing.T, e *apptest.Env) func() (int, error) {
			addUser1007(t, e)
			_, key := newDevKey(t, e, e.Login("1007", password1007), "ci")
			return func() (int, error) {
				status, _, err := rawDo(e, "GET", "/api/auth", nil, "X-XTRA-AUTH-ID", key)
				return status, err
			}
		}},
		{"client grants", func(t *testing.T, e *apptest.Env) func() (int, error) {
			secret := fdClient(t, e, "reports", false)
			return func() (int, error) {
				status, _, err := rawDo(e, "POST", "/oauth2/token", strings.NewReader("grant_type=client_credentials"),
					append(fdBasic("reports", secret), "Content-Type", "application/x-www-form-urlencoded")...)
				return status, err
			}
		}},
	}
	for _, b := range stormBackends {
		for _, tc := range cases {
			t.Run(b.name+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				e := startServers(t, b, 1)[0]
				request := tc.right(t, e)
				count := burst(burstSize, func(int) (int, error) { return request() })
				if count["200"] != burstSize {
					t.Fatalf("answers %v, want %d × 200", count, burstSize)
				}
				wantNothingLocked(t, e)
			})
		}
	}
}

// TestClientLockPerAddress: the OAuth door counts a client's wrong secrets
// per client address (taken through the trusted proxy), so an attacker
// locks only itself out; the rules are lockout's TestClients.
func TestClientLockPerAddress(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, trustLocalProxy)
	secret := fdClient(t, e, "reports", false)
	grant := func(secret, from string) apptest.Response {
		return e.Do("POST", "/oauth2/token", "grant_type=client_credentials",
			append(fdBasic("reports", secret), xff(from)...)...)
	}
	const caller, attacker = "198.51.100.7", "203.0.113.9"
	wantOK(t, grant(secret, caller))
	for range 5 {
		fdOAuthError(t, grant("wrong", attacker), http.StatusUnauthorized, "invalid_client")
	}
	fdOAuthError(t, grant(secret, attacker), http.StatusTooManyRequests, "invalid_client")
	wantOK(t, grant(secret, caller))
	r := e.Do("GET", "/api/locks", nil, authHeader(adminToken(e))...)
	if !strings.Contains(string(r.Body), `"client:reports@203.0.113.9"`) {
		t.Fatalf("locks %s lack the attacker's address", r.Body)
	}
}

// TestDevKeyTokensCountedPerAddress: wrong dev_keys used as tokens count
// against the address like wrong dev_key logins, and a blocked address
// cannot use a right key as a token either.
func TestDevKeyTokensCountedPerAddress(t *testing.T) {
	t.Parallel()
	e := apptest.New(t, trustLocalProxy)
	addUser1007(t, e)
	_, key := newDevKey(t, e, e.Login("1007", password1007), "ci")
	const from = "203.0.113.9"
	for range 20 {
		r := e.Do("GET", "/api/auth", nil, append(authHeader(otherLast(key)), xff(from)...)...)
		wantError(t, r, http.StatusUnauthorized, "Not Authorized")
	}
	if n := len(auditRows(t, e, "address:"+from, "dev_key")); n != 20 {
		t.Fatalf("%d wrong dev_key tokens audited, want 20", n)
	}
	r := e.Do("GET", "/api/users/me", nil, append(authHeader(key), xff(from)...)...)
	if r.Status != http.StatusTooManyRequests {
		t.Fatalf("right key from a blocked address: %d %s", r.Status, r.Body)
	}
	wantLocked(t, devKeyLogin(e, "1007", key, xff(from)...), 600)
	// forward auth answers 403, as proxies pass on only 401 and 403
	wantError(t, e.Do("GET", "/api/auth", nil, append(authHeader(key), xff(from)...)...), http.StatusForbidden, "Too Many Failed Attempts")
	// other addresses are not affected
	wantOK(t, e.Do("GET", "/api/users/me", nil, append(authHeader(key), xff("198.51.100.7")...)...))
}
