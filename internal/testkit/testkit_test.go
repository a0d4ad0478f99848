package testkit_test

import (
	"strings"
	"sync"
	"testing"
	"time"

	"xtraauth/config"
	"xtraauth/internal/testkit"
)

func TestClock(t *testing.T) {
	c := testkit.NewClock()
	if !c.Now().Equal(testkit.Start) {
		t.Fatalf("a new clock at %v, want %v", c.Now(), testkit.Start)
	}
	c.Advance(time.Hour)
	if want := testkit.Start.Add(time.Hour); !c.Now().Equal(want) {
		t.Fatalf("advanced to %v, want %v", c.Now(), want)
	}
	c.Set(testkit.Start)
	if !c.Now().Equal(testkit.Start) {
		t.Fatalf("set to %v, want %v", c.Now(), testkit.Start)
	}
}

// TestCheapHashEnv: the settings a process is given are CheapHash.
func TestCheapHashEnv(t *testing.T) {
	env := map[string]string{}
	for _, kv := range testkit.CheapHashEnv() {
		name, value, _ := strings.Cut(kv, "=")
		env[name] = value
	}
	cfg, err := config.Load(nil, func(name string) string { return env[name] })
	if err != nil {
		t.Fatal(err)
	}
	c := testkit.CheapHash
	if want := (config.Argon2{Memory: c.Memory, Time: c.Time, Threads: c.Threads}); cfg.Argon2 != want {
		t.Fatalf("a process given %q hashes at %+v, want %+v", testkit.CheapHashEnv(), cfg.Argon2, want)
	}
}

// TestLogBuffer: lines written from many goroutines all arrive whole.
func TestLogBuffer(t *testing.T) {
	var buf testkit.LogBuffer
	log := buf.Logger()
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Go(func() { log.Debug("line", "i", i) })
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(buf.String(), "\n"), "\n")
	if len(lines) != 50 || !strings.Contains(lines[0], "level=DEBUG msg=line i=") {
		t.Fatalf("%d lines, the first %q; want 50 debug lines", len(lines), lines[0])
	}
}

// TestServices: a service named in the environment is returned, one that
// is not skips the test.
func TestServices(t *testing.T) {
	t.Setenv("XTRA_TEST_REDIS_CLUSTER", "127.0.0.1:1,127.0.0.1:2")
	if got := testkit.RedisCluster(t); len(got) != 2 || got[1] != "127.0.0.1:2" {
		t.Fatalf("RedisCluster = %q", got)
	}
	for name, get := range map[string]func(testing.TB){
		"XTRA_TEST_DATABASE_URL":  func(t testing.TB) { testkit.DatabaseURL(t) },
		"XTRA_TEST_REDIS_URL":     func(t testing.TB) { testkit.RedisURL(t) },
		"XTRA_TEST_REDIS_CLUSTER": func(t testing.TB) { testkit.RedisCluster(t) },
	} {
		t.Setenv(name, "")
		skipped := false
		t.Run(name, func(t *testing.T) {
			defer func() { skipped = t.Skipped() }()
			get(t)
		})
		if !skipped {
			t.Errorf("%s unset: the test was not skipped", name)
		}
	}
}
