package account

import (
	"context"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func TestEvenCostFollowsTheDearestKind(t *testing.T) {
	e := newEvenCost()
	if e.dearest() != 0 {
		t.Fatal("dearest of nothing is not 0")
	}
	e.observe("argon2id m=65536,t=3,p=2", 100*time.Millisecond)
	e.observe("bcrypt 10", 60*time.Millisecond)
	e.observe("", time.Hour)                      // no kind: ignored
	e.observe("argon2id m=1,t=1,p=1", -time.Hour) // no time: ignored
	if got := e.dearest(); got != 100*time.Millisecond {
		t.Fatalf("dearest %v, want 100ms", got)
	}
	// a kind's cost is a running average: one slow run moves it by 1/8
	e.observe("bcrypt 10", 860*time.Millisecond)
	if got := e.dearest(); got != 160*time.Millisecond {
		t.Fatalf("dearest %v, want bcrypt's 60ms + (860ms-60ms)/8", got)
	}
}

func TestEvenCostPadWaitsOnlyForCheaperHashes(t *testing.T) {
	e := newEvenCost()
	e.observe("k", time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan struct{})
	go func() { e.pad(ctx, 0); close(done) }() // an hour to wait, but ctx has ended
	<-done
	e.pad(context.Background(), 2*time.Hour) // nothing to wait for
}

func TestHashKind(t *testing.T) {
	h := NewHasher(HashParams{Time: 2, Memory: 64, Threads: 1, KeyLen: 16, SaltLen: 8}, 1, time.Second, time.Now, nil)
	argon, err := h.Hash(context.Background(), "pw")
	if err != nil {
		t.Fatal(err)
	}
	bc, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for hash, want := range map[string]string{
		argon:                  "argon2id m=64,t=2,p=1",
		string(bc):             "bcrypt 4",
		"":                     "",
		"$argon2id$v=19$m=x":   "",
		"$2a$99$notabcrypt...": "",
	} {
		if got := hashKind(hash); got != want {
			t.Errorf("hashKind(%q) = %q, want %q", hash, got, want)
		}
	}
}
