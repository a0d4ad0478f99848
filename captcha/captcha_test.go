package captcha_test

import (
	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"

	"xtraauth/captcha"
	"xtraauth/store"
	"xtraauth/store/redisstore"
)

const ttl = 5 * time.Minute

// The alphabets the contract and the package document: no 0/O/o, 1/l/I in
// pictures, digits only in sound.
const (
	imageAlphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	audioAlphabet = "0123456789"
)

// here is the client address the tests' captchas are made and answered from.
const here = "192.0.2.1"

var (
	login = captcha.LoginBinding("alice")
	addr  = captcha.AddressBinding(here)
)

// env is a captcha service on its own miniredis, whose clock the test moves.
type env struct {
	svc   *captcha.Service
	store *redisstore.Store
	mr    *miniredis.Miniredis
}

func newEnv(t *testing.T) env {
	t.Helper()
	mr := miniredis.RunT(t)
	// no retries: TestStoreDown would otherwise wait out go-redis's backoff
	client := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1, DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	t.Cleanup(func() { _ = client.Close() })
	s := redisstore.New(client, "captcha-test:")
	return env{svc: captcha.New(s, ttl), store: s, mr: mr}
}

// create makes a captcha and returns its id and answer, read from the
// store as only tests may.
func (e env) create(t *testing.T, binding string, audio bool) (int64, string) {
	t.Helper()
	return e.createFrom(t, binding, here, audio)
}

// createFrom is create asked for from address.
func (e env) createFrom(t *testing.T, binding, address string, audio bool) (int64, string) {
	t.Helper()
	id, err := e.svc.Create(context.Background(), binding, address, audio)
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.store.GetCaptcha(context.Background(), id)
	if err != nil {
		t.Fatalf("captcha %d just made: %v", id, err)
	}
	if c.Binding != binding || c.Address != address || c.Audio != audio {
		t.Fatalf("captcha %d stored as %+v, want binding %q from %s, audio %v", id, c, binding, address, audio)
	}
	return id, c.Answer
}

// check runs Check and fails the test on an error.
func (e env) check(t *testing.T, id, answer string, bindings ...string) bool {
	t.Helper()
	ok, err := e.svc.Check(context.Background(), id, answer, here, bindings...)
	if err != nil {
		t.Fatal(err)
	}
	return ok
}

func idString(id int64) string { return strconv.FormatInt(id, 10) }

func TestAnswersAndIDs(t *testing.T) {
	e := newEnv(t)
	const n = 300
	for _, tt := range []struct {
		name     string
		audio    bool
		alphabet string
		// distinct characters n answers must show at least, so that a
		// constant or badly skewed answer fails
		minDistinct int
	}{
		{"image", false, imageAlphabet, 40},
		{"audio", true, audioAlphabet, 10},
	} {
		t.Run(tt.name, func(t *testing.T) {
			seenChars := map[rune]bool{}
			seenIDs := map[int64]bool{}
			seenAnswers := map[string]bool{}
			for range n {
				id, answer := e.create(t, login, tt.audio)
				if id < 1 || id > 1<<53-1 {
					t.Fatalf("id %d outside 1..2^53-1", id)
				}
				if seenIDs[id] {
					t.Fatalf("id %d issued twice", id)
				}
				seenIDs[id] = true
				if len(answer) != captcha.Length || captcha.Length != 4 {
					t.Fatalf("answer %q: want %d characters", answer, 4)
				}
				for _, r := range answer {
					if !strings.ContainsRune(tt.alphabet, r) {
						t.Fatalf("answer %q has %q, outside %q", answer, r, tt.alphabet)
					}
					seenChars[r] = true
				}
				seenAnswers[answer] = true
			}
			if len(seenChars) < tt.minDistinct {
				t.Errorf("%d answers used only %d distinct characters", n, len(seenChars))
			}
			// 10^4 audio answers: a few repeats are expected, hundreds are not
			if len(seenAnswers) < n*9/10 {
				t.Errorf("%d answers, only %d distinct", n, len(seenAnswers))
			}
			// ids spread over the whole range, not small counters
			big := 0
			for id := range seenIDs {
				if id > 1<<40 {
					big++
				}
			}
			if big < n*9/10 {
				t.Errorf("only %d of %d ids above 2^40: not random over 1..2^53-1", big, n)
			}
		})
	}
}

func TestRender(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for _, tt := range []struct {
		name, mime string
		audio      bool
		magic      func([]byte) bool
	}{
		{"image", "image/png", false, func(b []byte) bool {
			return bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n"))
		}},
		{"audio", "audio/wav", true, func(b []byte) bool {
			return len(b) > 44 && string(b[:4]) == "RIFF" && string(b[8:12]) == "WAVE"
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			id, answer := e.create(t, login, tt.audio)
			mime, data, err := e.svc.Render(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if mime != tt.mime || !tt.magic(data) {
				head := data[:min(len(data), 16)]
				t.Fatalf("rendered %s starting %q, want %s", mime, head, tt.mime)
			}
			// drawing does not use it up
			if _, _, err := e.svc.Render(ctx, id); err != nil {
				t.Fatalf("second render: %v", err)
			}
			if !e.check(t, idString(id), answer, login) {
				t.Fatal("right answer refused after rendering")
			}
			if _, _, err := e.svc.Render(ctx, id); !errors.Is(err, store.ErrNotFound) {
				t.Fatalf("render after use: %v, want store.ErrNotFound", err)
			}
		})
	}
	if _, _, err := e.svc.Render(ctx, 12345); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("render of an unknown id: %v, want store.ErrNotFound", err)
	}
}

// flipCase swaps upper and lower case letters; digits stay.
func flipCase(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z':
			return r - 'a' + 'A'
		case r >= 'A' && r <= 'Z':
			return r - 'A' + 'a'
		}
		return r
	}, s)
}

// wrong returns an answer of the right length that is not answer.
func wrong(answer string) string {
	if strings.EqualFold(answer, "2345") {
		return "6789"
	}
	return "2345"
}

func TestCheck(t *testing.T) {
	tests := []struct {
		name string
		// answer turns the right answer into the one sent
		answer   func(string) string
		id       func(int64) string
		bindings []string
		want     bool
	}{
		{"right", func(a string) string { return a }, idString, []string{login}, true},
		{"other case", flipCase, idString, []string{login}, true},
		{"upper case", strings.ToUpper, idString, []string{login}, true},
		{"lower case", strings.ToLower, idString, []string{login}, true},
		{"wrong", wrong, idString, []string{login}, false},
		{"empty answer", func(string) string { return "" }, idString, []string{login}, false},
		{"prefix of the answer", func(a string) string { return a[:3] }, idString, []string{login}, false},
		{"answer and more", func(a string) string { return a + "x" }, idString, []string{login}, false},
		{"made for another login", func(a string) string { return a }, idString,
			[]string{captcha.LoginBinding("bob"), captcha.AddressBinding("192.0.2.9")}, false},
		{"made for the login, checked for the address only", func(a string) string { return a }, idString, []string{addr}, false},
		{"id not a number", func(a string) string { return a }, func(int64) string { return "x1" }, []string{login}, false},
		{"id zero", func(a string) string { return a }, func(int64) string { return "0" }, []string{login}, false},
		{"id negative", func(a string) string { return a }, func(id int64) string { return "-" + idString(id) }, []string{login}, false},
		{"id of no captcha", func(a string) string { return a }, func(id int64) string { return idString(id + 1) }, []string{login}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			id, answer := e.create(t, login, false)
			if got := e.check(t, tt.id(id), tt.answer(answer), tt.bindings...); got != tt.want {
				t.Fatalf("Check = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestSingleUse(t *testing.T) {
	t.Run("right answer", func(t *testing.T) {
		e := newEnv(t)
		id, answer := e.create(t, login, false)
		if !e.check(t, idString(id), answer, login) {
			t.Fatal("first check refused the right answer")
		}
		if e.check(t, idString(id), answer, login) {
			t.Fatal("a captcha solved twice")
		}
	})
	t.Run("wrong answer uses it up", func(t *testing.T) {
		e := newEnv(t)
		id, answer := e.create(t, login, false)
		if e.check(t, idString(id), wrong(answer), login) {
			t.Fatal("wrong answer accepted")
		}
		if e.check(t, idString(id), answer, login) {
			t.Fatal("right answer accepted after a wrong one: the first check must use the captcha up")
		}
	})
}

// TestSelection covers Check without an id: the newest captcha of the
// login, else the newest of the address.
func TestSelection(t *testing.T) {
	t.Run("newest of the login", func(t *testing.T) {
		e := newEnv(t)
		_, older := e.create(t, login, false)
		newest, answer := e.create(t, login, false)
		if ok := e.check(t, "", older, login, addr); ok && older != answer {
			t.Fatal("the older captcha's answer solved the login's newest captcha")
		}
		// that check used up the newest captcha
		if _, err := e.store.GetCaptcha(context.Background(), newest); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("newest captcha after a check without id: %v, want used up", err)
		}
	})
	t.Run("newest of the login solves", func(t *testing.T) {
		e := newEnv(t)
		e.create(t, login, false)
		_, answer := e.create(t, login, false)
		if !e.check(t, "", answer, login, addr) {
			t.Fatal("the newest captcha of the login was not picked")
		}
	})
	t.Run("login before address", func(t *testing.T) {
		e := newEnv(t)
		_, forLogin := e.create(t, login, false)
		_, forAddr := e.create(t, addr, false) // newer, but the login's comes first
		if ok := e.check(t, "", forAddr, login, addr); ok && forLogin != forAddr {
			t.Fatal("the address's captcha was picked although the login has one")
		}
	})
	t.Run("address when the login has none", func(t *testing.T) {
		e := newEnv(t)
		e.create(t, captcha.LoginBinding("bob"), false)
		_, forAddr := e.create(t, addr, false)
		if !e.check(t, "", forAddr, login, addr) {
			t.Fatal("the address's captcha was not picked")
		}
	})
	t.Run("address after the login's is used up", func(t *testing.T) {
		e := newEnv(t)
		_, forAddr := e.create(t, addr, false)
		_, forLogin := e.create(t, login, false)
		if !e.check(t, "", forLogin, login, addr) {
			t.Fatal("the login's captcha was not picked")
		}
		if !e.check(t, "", forAddr, login, addr) {
			t.Fatal("the address's captcha was not picked once the login's was used up")
		}
	})
	t.Run("one made for the login elsewhere is not the newest here", func(t *testing.T) {
		e := newEnv(t)
		_, mine := e.create(t, login, false)
		for range 3 {
			e.createFrom(t, login, "203.0.113.9", false)
		}
		if !e.check(t, "", mine, login, addr) {
			t.Fatal("captchas made elsewhere for the login replaced the one made here")
		}
	})
	t.Run("one named by id for another login is not used up", func(t *testing.T) {
		e := newEnv(t)
		id, answer := e.create(t, captcha.LoginBinding("bob"), false)
		if e.check(t, idString(id), answer, login, addr) {
			t.Fatal("bob's captcha solved alice's login")
		}
		if !e.check(t, idString(id), answer, captcha.LoginBinding("bob")) {
			t.Fatal("bob's captcha was used up by a check for alice")
		}
	})
	t.Run("none", func(t *testing.T) {
		e := newEnv(t)
		if e.check(t, "", "abcd", login, addr) {
			t.Fatal("solved with no captcha at all")
		}
	})
}

func TestExpiry(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	live, liveAnswer := e.create(t, login, false)
	dead, deadAnswer := e.create(t, captcha.LoginBinding("bob"), false)

	e.mr.FastForward(ttl - time.Second)
	if _, _, err := e.svc.Render(ctx, dead); err != nil {
		t.Fatalf("render a second before expiry: %v", err)
	}
	if !e.check(t, idString(live), liveAnswer, login) {
		t.Fatal("right answer refused a second before expiry")
	}

	e.mr.FastForward(time.Second)
	if _, _, err := e.svc.Render(ctx, dead); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("render after expiry: %v, want store.ErrNotFound", err)
	}
	if e.check(t, idString(dead), deadAnswer, captcha.LoginBinding("bob")) {
		t.Fatal("expired captcha solved by id")
	}
	if e.check(t, "", deadAnswer, captcha.LoginBinding("bob")) {
		t.Fatal("expired captcha solved as the newest")
	}
}

// TestStoreDown: a store failure is an error, never a solved captcha.
func TestStoreDown(t *testing.T) {
	e := newEnv(t)
	id, answer := e.create(t, login, false)
	e.mr.Close()
	for _, id := range []string{idString(id), ""} {
		ok, err := e.svc.Check(context.Background(), id, answer, here, login, addr)
		if ok || err == nil {
			t.Fatalf("Check(%q) with the store down = %v, %v; want false and an error", id, ok, err)
		}
	}
	if _, err := e.svc.Create(context.Background(), login, here, false); err == nil {
		t.Fatal("Create with the store down: no error")
	}
}
