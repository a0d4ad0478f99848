package redisstore

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"

	"xtraauth/store"
)

func TestEmbeddedAddrFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing", "data")
	e, err := StartEmbedded(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if !regexp.MustCompile(`^redis://:[A-Z2-7]{20,}@127\.0\.0\.1:[0-9]+/0$`).MatchString(e.URL()) {
		t.Errorf("URL %q does not look like redis://:<password>@127.0.0.1:<port>/0", e.URL())
	}
	wantMode(t, dir, 0o700)
	wantMode(t, filepath.Join(dir, AddrFile), 0o600)
	got, err := ReadAddrFile(dir)
	if err != nil || got != e.URL() {
		t.Errorf("ReadAddrFile = %q, %v; want %q", got, err, e.URL())
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadAddrFile(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("after Close: ReadAddrFile error %v, want os.ErrNotExist", err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func wantMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %o, want %o", path, got, want)
	}
}

// TestEmbeddedKeepsForeignAddrFile: a second server on the same directory
// took over redis.addr, so closing the first must leave it alone.
func TestEmbeddedKeepsForeignAddrFile(t *testing.T) {
	dir := t.TempDir()
	first, err := StartEmbedded(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	second, err := StartEmbedded(dir, time.Now)
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadAddrFile(dir); err != nil || got != second.URL() {
		t.Errorf("ReadAddrFile = %q, %v; want the second server's %q", got, err, second.URL())
	}
}

func TestReadAddrFileMissing(t *testing.T) {
	if _, err := ReadAddrFile(t.TempDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v, want os.ErrNotExist", err)
	}
}

func TestEmbeddedNeedsPassword(t *testing.T) {
	e := startTestEmbedded(t)
	_, err := Dial(context.Background(), "redis://"+e.Miniredis().Addr()+"/0", nil)
	if err == nil {
		t.Fatal("Dial without password succeeded")
	}
	client, err := Dial(context.Background(), e.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	_ = client.Close()
}

// TestEmbeddedWallClockExpiry: keys expire with real time passing, without
// anyone fast-forwarding miniredis by hand.
func TestEmbeddedWallClockExpiry(t *testing.T) {
	e := startTestEmbedded(t)
	s := New(e.Client(), "xa:")
	ctx := context.Background()
	now := time.Now()
	sess := store.Session{User: store.Identity{ID: 1, Login: "alice"}, CreatedAt: now, ExpiresAt: now.Add(200 * time.Millisecond)}
	if _, err := s.CreateSession(ctx, "d1", sess); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetSession(ctx, "d1"); err != nil {
		t.Fatalf("fresh session: %v", err)
	}
	// The ticks expire it within maxTick of its expiry, whatever the load.
	deadline := now.Add(200*time.Millisecond + maxTick + 500*time.Millisecond)
	for {
		_, err := s.GetSession(ctx, "d1")
		if errors.Is(err, store.ErrNotFound) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("session %v past its expiry: error %v, want ErrNotFound", time.Since(now)-200*time.Millisecond, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
