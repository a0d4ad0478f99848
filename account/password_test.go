package account

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"xtraauth/internal/testkit"
)

// cheap keeps these tests fast; TestDefaultHashParams checks the real ones.
var cheap = HashParams(testkit.CheapHash)

func newCheapHasher() *Hasher { return NewHasher(cheap, 2, time.Second, time.Now, nil) }

func TestArgon2idRoundTrip(t *testing.T) {
	ctx := context.Background()
	h := newCheapHasher()
	tests := []struct {
		name     string
		password string
	}{
		{"ascii", "correct horse battery staple"},
		{"empty", ""},
		{"unicode", "pässwörd-密码-🔑"},
		{"1024 bytes", strings.Repeat("p", 1024)},
		{"with NUL", "a\x00b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			enc, err := h.Hash(ctx, tt.password)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") || strings.Count(enc, "$") != 5 {
				t.Fatalf("not a PHC argon2id string: %s", enc)
			}
			if strings.Contains(enc, tt.password) && tt.password != "" {
				t.Fatalf("hash holds the password: %s", enc)
			}
			ok, rehash, err := h.Verify(ctx, tt.password, enc)
			if err != nil || !ok || rehash {
				t.Fatalf("right password: ok=%v rehash=%v err=%v", ok, rehash, err)
			}
			ok, rehash, err = h.Verify(ctx, tt.password+"x", enc)
			if err != nil || ok || rehash {
				t.Fatalf("wrong password: ok=%v rehash=%v err=%v", ok, rehash, err)
			}
			again, err := h.Hash(ctx, tt.password)
			if err != nil || again == enc {
				t.Fatalf("two hashes of one password are equal (no salt?): %s", enc)
			}
		})
	}
}

func TestDefaultHashParams(t *testing.T) {
	h := NewHasher(DefaultHashParams, 1, time.Minute, time.Now, nil)
	enc, err := h.Hash(context.Background(), "password")
	if err != nil {
		t.Fatal(err)
	}
	p, salt, key, err := parseArgon2id(enc)
	if err != nil {
		t.Fatalf("%s: %v", enc, err)
	}
	if !strings.HasPrefix(enc, "$argon2id$v=19$m=65536,t=3,p=2$") || p.Memory != 65536 || p.Time != 3 || p.Threads != 2 ||
		len(salt) != 16 || len(key) != 32 {
		t.Fatalf("%s", enc)
	}
	ok, rehash, err := h.Verify(context.Background(), "password", enc)
	if !ok || rehash || err != nil {
		t.Fatalf("ok=%v rehash=%v err=%v", ok, rehash, err)
	}
}

func TestBcryptImport(t *testing.T) {
	ctx := context.Background()
	h := newCheapHasher()
	base, err := bcrypt.GenerateFromPassword([]byte("imported"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	for _, prefix := range []string{"$2a$", "$2b$", "$2y$"} {
		enc := prefix + string(base[4:])
		t.Run(prefix, func(t *testing.T) {
			tests := []struct {
				name       string
				password   string
				ok, rehash bool
			}{
				{"right password flagged for rehash", "imported", true, true},
				{"wrong password", "imported!", false, false},
				{"empty password", "", false, false},
				{"over 72 bytes", strings.Repeat("i", 100), false, false},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					ok, rehash, err := h.Verify(ctx, tt.password, enc)
					if err != nil || ok != tt.ok || rehash != tt.rehash {
						t.Fatalf("ok=%v rehash=%v err=%v, want ok=%v rehash=%v", ok, rehash, err, tt.ok, tt.rehash)
					}
				})
			}
		})
	}
}

func TestOldArgon2ParamsFlaggedForRehash(t *testing.T) {
	ctx := context.Background()
	old := NewHasher(cheap, 1, time.Second, time.Now, nil)
	enc, err := old.Hash(ctx, "pw")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		params HashParams
		rehash bool
	}{
		{"same params", cheap, false},
		{"same params, other key and salt lengths", HashParams{Time: 1, Memory: 64, Threads: 1, KeyLen: 64, SaltLen: 32}, false},
		{"more time", HashParams{Time: 2, Memory: 64, Threads: 1, KeyLen: 32, SaltLen: 16}, true},
		{"more memory", HashParams{Time: 1, Memory: 128, Threads: 1, KeyLen: 32, SaltLen: 16}, true},
		{"more threads", HashParams{Time: 1, Memory: 64, Threads: 2, KeyLen: 32, SaltLen: 16}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := NewHasher(tt.params, 1, time.Second, time.Now, nil)
			ok, rehash, err := h.Verify(ctx, "pw", enc)
			if err != nil || !ok || rehash != tt.rehash {
				t.Fatalf("ok=%v rehash=%v err=%v, want rehash=%v", ok, rehash, err, tt.rehash)
			}
			ok, rehash, err = h.Verify(ctx, "wrong", enc)
			if err != nil || ok || rehash {
				t.Fatalf("wrong password: ok=%v rehash=%v err=%v", ok, rehash, err)
			}
		})
	}
}

func TestGarbageHashes(t *testing.T) {
	ctx := context.Background()
	h := newCheapHasher()
	good, err := h.Hash(ctx, "pw")
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(good, "$") // "", argon2id, v=19, m=..., salt, key
	bc, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	join := func(p ...string) string { return strings.Join(p, "$") }
	tests := []struct{ name, hash string }{
		{"empty", ""},
		{"plain text", "pw"},
		{"argon2i", strings.Replace(good, "argon2id", "argon2i", 1)},
		{"argon2d", strings.Replace(good, "argon2id", "argon2d", 1)},
		{"scrypt", "$scrypt$ln=16,r=8,p=1$c2FsdA$a2V5"},
		{"md5 crypt", "$1$salt$qJH7.N4xYta3aEG/dfqo/0"},
		{"prefix only", "$argon2id$"},
		{"too few fields", join("", "argon2id", parts[2], parts[3], parts[4])},
		{"too many fields", good + "$x"},
		{"no version", join("", "argon2id", "", parts[3], parts[4], parts[5])},
		{"version 16", join("", "argon2id", "v=16", parts[3], parts[4], parts[5])},
		{"version not a number", join("", "argon2id", "v=x", parts[3], parts[4], parts[5])},
		{"params missing", join("", "argon2id", parts[2], "", parts[4], parts[5])},
		{"params garbled", join("", "argon2id", parts[2], "m=64;t=1;p=1", parts[4], parts[5])},
		{"params reordered", join("", "argon2id", parts[2], "t=1,m=64,p=1", parts[4], parts[5])},
		{"zero time", join("", "argon2id", parts[2], "m=64,t=0,p=1", parts[4], parts[5])},
		{"zero threads", join("", "argon2id", parts[2], "m=64,t=1,p=0", parts[4], parts[5])},
		{"zero memory", join("", "argon2id", parts[2], "m=0,t=1,p=1", parts[4], parts[5])},
		{"negative memory", join("", "argon2id", parts[2], "m=-64,t=1,p=1", parts[4], parts[5])},
		{"threads over 255", join("", "argon2id", parts[2], "m=64,t=1,p=256", parts[4], parts[5])},
		{"memory over 4 GiB", join("", "argon2id", parts[2], "m=4194305,t=1,p=1", parts[4], parts[5])},
		{"memory overflows uint32", join("", "argon2id", parts[2], "m=4294967296,t=1,p=1", parts[4], parts[5])},
		{"time over 100", join("", "argon2id", parts[2], "m=64,t=101,p=1", parts[4], parts[5])},
		{"salt not base64", join("", "argon2id", parts[2], parts[3], "!!!", parts[5])},
		{"salt padded", join("", "argon2id", parts[2], parts[3], parts[4]+"==", parts[5])},
		{"key not base64", join("", "argon2id", parts[2], parts[3], parts[4], "***")},
		{"key empty", join("", "argon2id", parts[2], parts[3], parts[4], "")},
		{"key too short", join("", "argon2id", parts[2], parts[3], parts[4], "AAAA")},
		{"key too long", join("", "argon2id", parts[2], parts[3], parts[4], strings.Repeat("A", 200))},
		{"bcrypt prefix only", "$2a$"},
		{"bcrypt truncated", string(bc[:30])},
		{"bcrypt cost garbled", "$2a$xx" + string(bc[6:])},
		{"bcrypt cost too high", "$2a$99" + string(bc[6:])},
		{"bcrypt version 3", "$3a$" + string(bc[4:])},
		{"bcrypt unknown minor", "$2x$" + string(bc[4:])},
		{"bcrypt salt not base64", string(bc[:7]) + strings.Repeat("!", len(bc)-7)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify(ctx, "pw", tt.hash)
			if !errors.Is(err, ErrBadHash) || ok || rehash {
				t.Fatalf("Verify(%q) = %v, %v, %v; want ErrBadHash", tt.hash, ok, rehash, err)
			}
		})
	}
}

// FuzzParseArgon2id: the PHC parser never panics, and what it accepts
// is within the bounds that keep a verify affordable.
func FuzzParseArgon2id(f *testing.F) {
	h := newCheapHasher()
	good, err := h.Hash(context.Background(), "pw")
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{
		good, "", "$", "$argon2id$", "$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$" + strings.Repeat("A", 43),
		"$argon2id$v=19$m=1,t=1,p=255$$AAAAAAAAAAAAAAAAAAAAAA", "$argon2id$v=19$m=-1,t=-1,p=-1$$",
		"$argon2id$v=19x$m=64,t=1,p=1junk$c2FsdA$" + strings.Repeat("A", 43),
		"$argon2id$v=99999999999999999999$m=64,t=1,p=1$$",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, _, key, err := parseArgon2id(s)
		if err != nil {
			if !errors.Is(err, ErrBadHash) {
				t.Fatalf("error %v is not ErrBadHash", err)
			}
			return
		}
		if p.Time < 1 || p.Time > 100 || p.Threads < 1 || p.Memory < 1 || p.Memory > 4<<20 || len(key) < 16 || len(key) > 128 {
			t.Fatalf("accepted %q as %+v with a %d-byte key", s, p, len(key))
		}
	})
}

// FuzzVerifyGarbage: Verify never panics on a stored hash that is no
// argon2id string; it answers ErrBadHash or a bcrypt verdict.
func FuzzVerifyGarbage(f *testing.F) {
	bc, err := bcrypt.GenerateFromPassword([]byte("pw"), bcrypt.MinCost)
	if err != nil {
		f.Fatal(err)
	}
	for _, s := range []string{"", "$2a$", "$2y$04$", string(bc), string(bc[:29]), "$2b$31$" + string(bc[7:])} {
		f.Add(s, "pw")
	}
	h := newCheapHasher()
	f.Fuzz(func(t *testing.T, enc, password string) {
		if strings.HasPrefix(enc, "$argon2id$") {
			return // the parser's fuzz covers these; a fuzzed cost could be huge
		}
		if len(enc) > 6 && enc[0] == '$' && enc[3] == '$' && enc[4] >= '1' && enc[4] <= '3' {
			return // a bcrypt cost of 10 or more: too slow to fuzz
		}
		ok, rehash, err := h.Verify(context.Background(), password, enc)
		if err != nil && !errors.Is(err, ErrBadHash) {
			t.Fatalf("Verify(%q) error %v is not ErrBadHash", enc, err)
		}
		if rehash && !ok {
			t.Fatalf("rehash without ok")
		}
	})
}

func TestPoolBusy(t *testing.T) {
	ctx := context.Background()
	const wait = 50 * time.Millisecond
	hold := make(chan struct{})
	held := make(chan struct{}, 2)
	var blocking sync.Once
	// observe runs inside a slot: the first hash holds its slot until released.
	observe := func(time.Duration) {
		first := false
		blocking.Do(func() { first = true })
		if first {
			held <- struct{}{}
			<-hold
		}
	}
	h := NewHasher(cheap, 1, wait, time.Now, observe)
	done := make(chan error, 1)
	go func() {
		_, err := h.Hash(ctx, "holder")
		done <- err
	}()
	<-held

	tests := []struct {
		name string
		run  func() error
	}{
		{"Hash", func() error { _, err := h.Hash(ctx, "pw"); return err }},
		{"Verify argon2id", func() error {
			_, _, err := h.Verify(ctx, "pw", "$argon2id$v=19$m=64,t=1,p=1$c2FsdHNhbHQ$"+strings.Repeat("A", 43))
			return err
		}},
		{"Verify bcrypt", func() error {
			_, _, err := h.Verify(ctx, "pw", "$2a$04$"+strings.Repeat("A", 53))
			return err
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			err := tt.run()
			if !errors.Is(err, ErrBusy) {
				t.Fatalf("err %v, want ErrBusy", err)
			}
			if d := time.Since(start); d < wait || d > wait+2*time.Second {
				t.Fatalf("gave up after %s, want about %s", d, wait)
			}
		})
	}
	t.Run("cancelled context", func(t *testing.T) {
		c, cancel := context.WithCancel(ctx)
		cancel()
		if _, err := h.Hash(c, "pw"); !errors.Is(err, context.Canceled) {
			t.Fatalf("err %v", err)
		}
	})

	close(hold)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	t.Run("free again", func(t *testing.T) {
		if _, err := h.Hash(ctx, "pw"); err != nil {
			t.Fatal(err)
		}
	})
}

func TestPoolBoundsConcurrency(t *testing.T) {
	const size = 3
	var mu sync.Mutex
	running, peak := 0, 0
	h := NewHasher(cheap, size, 10*time.Second, time.Now, nil)
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := h.run(context.Background(), func() {
				mu.Lock()
				running++
				peak = max(peak, running)
				mu.Unlock()
				time.Sleep(5 * time.Millisecond)
				mu.Lock()
				running--
				mu.Unlock()
			})
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if peak > size || peak < 2 {
		t.Fatalf("peak %d with %d slots", peak, size)
	}
}
