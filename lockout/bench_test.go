package lockout_test

import (
	"context"
	"runtime"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"xtraauth/account"
	"xtraauth/captcha"
	"xtraauth/internal/testkit"
	"xtraauth/lockout"
	"xtraauth/store"
	"xtraauth/store/memstore"
)

// The benchmarks compare a wrong password for known logins — hashed with
// today's argon2id parameters, with older (dearer and cheaper) ones, and
// imported bcrypt — with one for an unknown login, through the whole
// CheckPassword path (gate, lookup, hash, padding). All must cost the same,
// so that time tells neither which logins exist nor how their hashes were
// made:
//
//	go test -run '^$' -bench 'Login' ./lockout/
//
// BenchmarkLoginTimingRatio reports each kind ÷ unknown, which should stay
// close to 1. None of this is a pass/fail assertion: wall-clock checks in
// unit tests are flaky.

// benchHash costs a few milliseconds, so that the hash dominates as it
// does in production, without making the benchmarks slow.
var benchHash = account.HashParams{Time: 1, Memory: 16 * 1024, Threads: 1, KeyLen: 32, SaltLen: 16}

// benchAccounts is an account service behind a lockout that counts every
// attempt but never asks a captcha or locks (so each iteration pays the
// same), on stores in memory (so no disk or network adds noise). The hasher
// alone reads the wall clock: it measures what each kind of hash costs, to
// make an unknown login cost the same.
func benchAccounts(b *testing.B) *account.Service {
	b.Helper()
	ctx := context.Background()
	clock := testkit.NewClock()
	st := memstore.New(clock.Now)
	cfg := lockout.DefaultConfig
	cfg.CaptchaAfter, cfg.LockAfter, cfg.AddressFailures = 0, 0, 0
	gate := lockout.New(cfg, st, captcha.New(st, time.Minute), st, clock.Now)
	accounts, err := account.New(ctx, account.Deps{
		Users: st, DevKeys: st, Sessions: st, Gate: gate,
		Hasher: account.NewHasher(benchHash, runtime.NumCPU(), time.Minute, time.Now, nil), Now: clock.Now,
	})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := accounts.Create(ctx, store.User{Login: "alice", Name: "alice"}, rightPassword); err != nil {
		b.Fatal(err)
	}
	for login, hash := range otherHashes(b) {
		if _, err := st.CreateUser(ctx, store.User{Login: login, PasswordHash: hash}); err != nil {
			b.Fatal(err)
		}
	}
	if err := accounts.LearnHashCosts(ctx); err != nil {
		b.Fatal(err)
	}
	return accounts
}

// otherHashes are users' hashes of other kinds than today's parameters:
// made before a change of XTRA_ARGON2_MEMORY (up and down), or imported
// from bcrypt.
func otherHashes(b *testing.B) map[string]string {
	dearer, cheaper := benchHash, benchHash
	dearer.Memory *= 2
	cheaper.Memory /= 4
	out := map[string]string{}
	for login, p := range map[string]account.HashParams{"dearer": dearer, "cheaper": cheaper} {
		hash, err := account.NewHasher(p, 1, time.Minute, time.Now, nil).Hash(context.Background(), rightPassword)
		if err != nil {
			b.Fatal(err)
		}
		out[login] = hash
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(rightPassword), bcrypt.DefaultCost)
	if err != nil {
		b.Fatal(err)
	}
	out["imported"] = string(hash)
	return out
}

// wrongPasswordFor runs one failing attempt and fails the benchmark on
// anything but a plain wrong password.
func wrongPasswordFor(b *testing.B, accounts *account.Service, login string) {
	_, ok, err := accounts.CheckPassword(context.Background(), account.Attempt{Login: login, Address: addrA}, wrongPassword)
	if err != nil || ok {
		b.Fatalf("%s: ok %v, err %v; want a plain failure", login, ok, err)
	}
}

func BenchmarkLoginKnown(b *testing.B) {
	accounts := benchAccounts(b)
	for b.Loop() {
		wrongPasswordFor(b, accounts, "alice")
	}
}

func BenchmarkLoginUnknown(b *testing.B) {
	accounts := benchAccounts(b)
	for b.Loop() {
		wrongPasswordFor(b, accounts, "nobody")
	}
}

// BenchmarkLoginTimingRatio interleaves them all on one service, so all
// see the same machine load (and take turns going first, so none always
// pays for another's garbage), and reports each one's time ÷ unknown.
func BenchmarkLoginTimingRatio(b *testing.B) {
	accounts := benchAccounts(b)
	spent := map[string]time.Duration{}
	logins := []string{"nobody", "alice", "dearer", "cheaper", "imported"}
	for b.Loop() {
		for _, login := range logins {
			start := time.Now()
			wrongPasswordFor(b, accounts, login)
			spent[login] += time.Since(start)
		}
		logins = append(logins[1:], logins[0])
	}
	for _, login := range logins {
		if login != "nobody" {
			b.ReportMetric(float64(spent[login])/float64(spent["nobody"]), login+"/unknown")
		}
	}
}
