package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" database/sql driver
	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"xtraauth/internal/testkit"
)

// TestCLIWhileServing changes users and dev_keys through the CLI while the
// server runs: the server must see each change at once.
func TestCLIWhileServing(t *testing.T) {
	t.Parallel()
	in := newInstall(t, "XTRA_ADMIN_PASSWORD="+adminPassword)
	srv := in.start()
	in.mustCLI("first-Passw0rd\n", "user", "add", "1007", "--name", "Seven")

	_, token := srv.login("1007", "password", "first-Passw0rd")
	oldKey := strings.TrimSpace(in.mustCLI("", "devkey", "create", "1007", "--label", "old"))
	in.mustCLI("second-Passw0rd\n", "user", "passwd", "1007")
	if status := srv.users(token); status != http.StatusUnauthorized {
		t.Errorf("session after `user passwd`: %d, want 401", status)
	}
	if status := srv.users(oldKey); status != http.StatusUnauthorized {
		t.Errorf("dev_key after `user passwd`: %d, want 401 (an operator's reset revokes them)", status)
	}
	if status, _ := srv.login("1007", "password", "first-Passw0rd"); status != http.StatusForbidden {
		t.Errorf("old password after `user passwd`: %d, want 403", status)
	}
	status, token := srv.login("1007", "password", "second-Passw0rd")
	if status != http.StatusOK {
		t.Fatalf("new password after `user passwd`: %d, want 200", status)
	}

	key := strings.TrimSpace(in.mustCLI("", "devkey", "create", "1007", "--label", "ci"))
	list := in.mustCLI("", "devkey", "list", "1007")
	if strings.Contains(list, key) || !strings.Contains(list, key[:10]) || !strings.Contains(list, "ci") {
		t.Errorf("devkey list must show the label and the key's prefix, never the key:\n%s", list)
	}
	if status := srv.users(key); status != http.StatusOK {
		t.Errorf("new dev_key as token: %d, want 200", status)
	}
	id := regexp.MustCompile(`(?m)^(\d+)\s+` + regexp.QuoteMeta(key[:10])).FindStringSubmatch(list)
	if id == nil {
		t.Fatalf("no id for the key in:\n%s", list)
	}
	in.mustCLI("", "devkey", "revoke", id[1])
	if status := srv.users(key); status != http.StatusUnauthorized {
		t.Errorf("revoked dev_key as token: %d, want 401", status)
	}
	if status, _ := srv.login("1007", "dev_key", key); status != http.StatusForbidden {
		t.Errorf("revoked dev_key login: %d, want 403", status)
	}

	users := in.mustCLI("", "user", "list")
	if !regexp.MustCompile(`(?m)^\d+\s+admin\s`).MatchString(users) || !regexp.MustCompile(`(?m)^\d+\s+1007\s+Seven\s`).MatchString(users) {
		t.Errorf("user list lacks admin or 1007:\n%s", users)
	}

	in.mustCLI("", "user", "disable", "1007")
	if status := srv.users(token); status != http.StatusUnauthorized {
		t.Errorf("session after `user disable`: %d, want 401", status)
	}
	if status, _ := srv.login("1007", "password", "second-Passw0rd"); status != http.StatusForbidden {
		t.Errorf("disabled user's login: %d, want 403", status)
	}
	srv.stop()
}

// TestCLIHelp asks every command of the tree for --help.
func TestCLIHelp(t *testing.T) {
	t.Parallel()
	in := newInstall(t)
	paths := commandPaths(rootCommand(strings.NewReader(""), io.Discard, io.Discard))
	if len(paths) < 11 {
		t.Fatalf("only %d commands: %v", len(paths), paths)
	}
	for _, args := range paths {
		t.Run(strings.Join(append([]string{"xtraauth"}, args...), " "), func(t *testing.T) {
			t.Parallel()
			out, errOut, err := in.cli("", append(args, "--help")...)
			if err != nil || !strings.Contains(out, "Usage:") {
				t.Errorf("--help: %v, want usage and status 0\n%s%s", err, out, errOut)
			}
		})
	}
}

// commandPaths lists the arguments that name c and each command under it.
func commandPaths(c *cobra.Command) [][]string {
	paths := [][]string{strings.Fields(c.CommandPath())[1:]}
	for _, sub := range c.Commands() {
		paths = append(paths, commandPaths(sub)...)
	}
	return paths
}

// TestCLIWithoutServer: with no server running, the CLI changes SQL only,
// also when a killed server left its redis.addr behind.
func TestCLIWithoutServer(t *testing.T) {
	t.Parallel()
	in := newInstall(t, "XTRA_ADMIN_PASSWORD="+adminPassword)
	in.mustCLI("bob-Passw0rd\n", "user", "add", "bob")

	srv := in.start()
	if status, _ := srv.login("bob", "password", "bob-Passw0rd"); status != http.StatusOK {
		t.Errorf("login of a user added with no server running: %d, want 200", status)
	}
	_ = srv.cmd.Process.Kill()
	<-srv.exited

	in.mustCLI("carol-Passw0rd\n", "user", "add", "carol")
	srv = in.start()
	if status, _ := srv.login("carol", "password", "carol-Passw0rd"); status != http.StatusOK {
		t.Errorf("login of a user added after the server was killed: %d, want 200", status)
	}
	srv.stop()
}

func TestBadConfiguration(t *testing.T) {
	t.Parallel()
	for _, setting := range []string{"XTRA_SESSION_TTL=abc", "XTRA_DATABASE_URL=mysql://x", "XTRA_REDIS_URL=redis://127.0.0.1:1"} {
		name, _, _ := strings.Cut(setting, "=")
		in := newInstall(t, setting, "XTRA_ADDR="+freeAddr(t))
		_, errOut, err := in.cli("", "serve")
		lines := strings.Split(strings.TrimSpace(errOut), "\n")
		if err == nil || len(lines) != 1 || !strings.Contains(lines[0], name) {
			t.Errorf("%s: got %v and stderr %q, want a non-zero exit and one line naming %s", setting, err, errOut, name)
		}
	}
}

// TestExternalStores runs the binary on PostgreSQL (a schema of its own)
// and a real Redis, where sessions outlive the server process.
func TestExternalStores(t *testing.T) {
	t.Parallel()
	dbURL, redisURL := testkit.DatabaseURL(t), testkit.RedisURL(t)
	in := newInstall(t, "XTRA_ADMIN_PASSWORD="+adminPassword,
		"XTRA_DATABASE_URL="+pgSchema(t, dbURL), "XTRA_REDIS_URL="+redisDB(t, redisURL))
	srv := in.start()
	in.mustCLI(seedPassword+"\n", "user", "add", "1007")
	key := strings.TrimSpace(in.mustCLI("", "devkey", "create", "1007"))

	status, token := srv.login("1007", "password", seedPassword)
	if status != http.StatusOK {
		t.Fatalf("password login: %d, want 200", status)
	}
	if status, _ := srv.login("1007", "dev_key", key); status != http.StatusOK {
		t.Errorf("dev_key login: %d, want 200", status)
	}
	if status := srv.users(key); status != http.StatusOK {
		t.Errorf("dev_key as token: %d, want 200", status)
	}

	srv.stop()
	srv = in.start()
	if status := srv.users(token); status != http.StatusOK {
		t.Errorf("session token after a restart on real Redis: %d, want 200", status)
	}
	in.mustCLI("", "user", "disable", "1007")
	if status := srv.users(token); status != http.StatusUnauthorized {
		t.Errorf("session after `user disable` on real Redis: %d, want 401", status)
	}
	srv.stop()
}

// pgSchema creates a schema for the test, dropped when it ends, and returns
// base pointed at it.
func pgSchema(t *testing.T, base string) string {
	t.Helper()
	db, err := sql.Open("pgx", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	schema := "xtraauth_main_" + hex.EncodeToString(b)
	if _, err := db.ExecContext(t.Context(), "CREATE SCHEMA "+schema); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := db.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// redisTestDB is the Redis database of TestExternalStores: the server's
// keys have the fixed prefix "xtraauth:", so it keeps them away from DB 0,
// where the store tests work under prefixes of their own.
const redisTestDB = "9"

// redisDB returns base pointed at redisTestDB, whose xtraauth: keys are
// deleted before and after the test.
func redisDB(t *testing.T, base string) string {
	t.Helper()
	u, err := url.Parse(base)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + redisTestDB
	opt, err := redis.ParseURL(u.String())
	if err != nil {
		t.Fatal(err)
	}
	client := redis.NewClient(opt)
	clean := func() {
		ctx := context.Background()
		iter := client.Scan(ctx, 0, "xtraauth:*", 1000).Iterator()
		for iter.Next(ctx) {
			client.Del(ctx, iter.Val())
		}
		if err := iter.Err(); err != nil {
			t.Errorf("clean Redis DB %s: %v", redisTestDB, err)
		}
	}
	clean()
	t.Cleanup(func() { clean(); client.Close() })
	return u.String()
}
