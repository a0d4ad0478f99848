package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"xtraauth/app/apptest"
	"xtraauth/config"
	"xtraauth/internal/testkit"
	"xtraauth/store"
)

// runCLI runs the CLI in-process with cheap hashing and returns its output.
func runCLI(t *testing.T, args ...string) (stdout string, err error) {
	t.Helper()
	// the CLI reads the environment too; keep the tester's out of it
	for _, env := range []string{"XTRA_DATABASE_URL", "XTRA_REDIS_URL", "XTRA_REDIS_CLUSTER", "XTRA_REDIS_PREFIX"} {
		t.Setenv(env, "")
	}
	for _, kv := range testkit.CheapHashEnv() {
		name, value, _ := strings.Cut(kv, "=")
		t.Setenv(name, value)
	}
	var out, errOut bytes.Buffer
	cmd := rootCommand(strings.NewReader(""), &out, &errOut)
	cmd.SetArgs(args)
	err = cmd.ExecuteContext(context.Background())
	if errOut.Len() > 0 {
		t.Logf("stderr: %s", errOut.String())
	}
	return out.String(), err
}

// TestUnlockCommand locks a login on a running server and lifts the lock
// with `xtraauth unlock`, which reaches the server's Redis.
func TestUnlockCommand(t *testing.T) {
	e := apptest.New(t, func(c *config.Config) { c.CaptchaAfter = 0 })
	e.AddUser("alice", "Alice-Passw0rd", false)
	login := func(password string) int {
		return e.Do("POST", "/api/sessions", map[string]string{"login": "alice", "password": password}).Status
	}
	for range 5 {
		if status := login("wrong"); status != http.StatusForbidden {
			t.Fatalf("wrong password: %d, want 403", status)
		}
	}
	if status := login("Alice-Passw0rd"); status != http.StatusTooManyRequests {
		t.Fatalf("right password while locked: %d, want 429", status)
	}

	cfg := e.App.Cfg
	out, err := runCLI(t, "unlock", "--data-dir", cfg.DataDir, "--redis-url", cfg.RedisURL, "--redis-prefix", cfg.RedisPrefix, "ALICE")
	if err != nil || out != "unlocked ALICE\n" {
		t.Fatalf("unlock: %q, %v", out, err)
	}
	if status := login("Alice-Passw0rd"); status != http.StatusOK {
		t.Fatalf("right password after unlock: %d, want 200", status)
	}
	events, _, err := e.App.SQL.ListAuditEvents(context.Background(), store.AuditFilter{Subject: "alice", Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Kind != "unlock" || events[0].Outcome != "by cli" {
		t.Fatalf("newest audit event %+v, want the CLI's unlock", events)
	}
}

// TestUnlockCommandWithoutServer: with no server running its counters
// ended with it; the command says so and succeeds.
func TestUnlockCommandWithoutServer(t *testing.T) {
	out, err := runCLI(t, "unlock", "--data-dir", t.TempDir(), "alice")
	if err != nil || !strings.Contains(out, "no server is running") {
		t.Fatalf("unlock without a server: %q, %v", out, err)
	}
}

func TestUnlockCommandArgs(t *testing.T) {
	for _, args := range [][]string{{"unlock"}, {"unlock", "a", "b"}} {
		if _, err := runCLI(t, append(args, "--data-dir", t.TempDir())...); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
}
