// Package platformtest runs fakes of DingTalk, Feishu, Coding and the group
// robots for tests. Like the platforms they check credentials, access
// tokens and signatures, and keep state (users, approval instances,
// messages, issues); a test can decide an instance as an approver would,
// and make a fake fail (HTTP 500), hang until the caller gives up, or
// answer garbage.
package platformtest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// Fault is how a fake answers every call.
type Fault int

const (
	Healthy Fault = iota
	Fail          // HTTP 500
	Hang          // no answer until the caller gives up
	Garbage       // HTTP 200 with a body that is not JSON
)

// fake is what every fake shares: its server, its fault and a lock over
// its state.
type fake struct {
	mu      sync.Mutex
	fault   Fault
	calls   int
	srv     *httptest.Server
	release chan struct{}
}

// start serves mux behind the fault; it runs before the fake is shared,
// so every handler sees the fake complete.
func (f *fake) start(t testing.TB, mux *http.ServeMux) {
	f.release = make(chan struct{})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		fault := f.fault
		f.calls++
		f.mu.Unlock()
		switch fault {
		case Fail:
			http.Error(w, `{"code":500,"msg":"internal error of the fake"}`, http.StatusInternalServerError)
		case Hang:
			select {
			case <-r.Context().Done():
			case <-f.release:
			}
		case Garbage:
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"code":0,"data":{<html>garbage`))
		default:
			mux.ServeHTTP(w, r)
		}
	}))
	t.Cleanup(func() { close(f.release); f.srv.Close() })
}

// URL is the fake's base URL.
func (f *fake) URL() string { return f.srv.URL }

// SetFault makes every later call answer as fault says.
func (f *fake) SetFault(fault Fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fault = fault
}

// Calls counts the calls received, answered or not.
func (f *fake) Calls() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// readJSON decodes a request body, answering 400 itself when it cannot.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	if err := json.NewDecoder(r.Body).Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"code": 400, "msg": "bad JSON: " + err.Error()})
		return false
	}
	return true
}

func randomID(prefix string) string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// NoSecrets fails the test if any text holds any of secrets.
func NoSecrets(t testing.TB, texts []string, secrets ...string) {
	t.Helper()
	for _, text := range texts {
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("a message holds the secret %q: %q", s, text)
			}
		}
	}
}
