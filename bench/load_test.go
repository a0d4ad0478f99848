package bench

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLoadCountsEveryAnswer: worker i always asks for status i, so the
// tally must hold each status the server answered, under its own code, and
// the sample must be a refusal with its body.
func TestLoadCountsEveryAnswer(t *testing.T) {
	var served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		served.Add(1)
		status, _ := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/"))
		w.WriteHeader(status)
		fmt.Fprintf(w, "answer %d\n", status)
	}))
	defer srv.Close()
	statuses := []int{200, 403, 429, 503}
	b := &bench{ctx: context.Background(), base: srv.URL, opt: Options{Duration: 50 * time.Millisecond}}
	s := b.load(len(statuses), func(w int) call { return call{method: "GET", path: "/" + strconv.Itoa(statuses[w])} })

	counted := 0
	for status, n := range s.statuses {
		if !slices.Contains(statuses, status) || n == 0 {
			t.Errorf("%d answers counted as %d", n, status)
		}
		counted += n
	}
	if len(s.statuses) != len(statuses) || counted != len(s.latencies) {
		t.Errorf("statuses %v for %d latencies, want each of %v", s.statuses, len(s.latencies), statuses)
	}
	if int64(counted) > served.Load() {
		t.Errorf("%d answers counted, %d served", counted, served.Load())
	}
	if !regexp.MustCompile(`^(403|429|503) answer (403|429|503)$`).MatchString(s.sample) || s.sample[:3] != s.sample[len(s.sample)-3:] {
		t.Errorf("sample %q, want a refusal with its trimmed body", s.sample)
	}
	total := 0
	for _, c := range s.perSecond {
		total += c
	}
	if total != len(s.latencies) {
		t.Errorf("per second counts sum to %d, want %d", total, len(s.latencies))
	}
	if !slices.IsSorted(s.latencies) {
		t.Error("latencies are not sorted")
	}
}

// TestLoadCountsTransportErrors as status 0 with the error as the sample.
func TestLoadCountsTransportErrors(t *testing.T) {
	s := load(context.Background(), 2, 10*time.Millisecond, func(context.Context, int) (int, string, error) {
		return 0, "", errors.New("connection refused")
	})
	if len(s.latencies) == 0 || s.statuses[0] != len(s.latencies) || s.sample != "connection refused" {
		t.Fatalf("statuses %v, sample %q: want every step counted as 0 with its error", s.statuses, s.sample)
	}
}

// TestLoadStopsOnCancel: a cancelled context ends the load at once.
func TestLoadStopsOnCancel(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	s := load(ctx, 4, time.Hour, func(context.Context, int) (int, string, error) { return 200, "", nil })
	if len(s.latencies) != 0 {
		t.Fatalf("%d steps after cancel", len(s.latencies))
	}
}

func TestPercentile(t *testing.T) {
	ms := func(ns ...int) []time.Duration {
		var out []time.Duration
		for _, n := range ns {
			out = append(out, time.Duration(n)*time.Millisecond)
		}
		return out
	}
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = i + 1
	}
	for _, tc := range []struct {
		name      string
		latencies []time.Duration
		p         float64
		want      time.Duration
	}{
		{"empty", nil, 0.5, 0},
		{"one", ms(7), 0.99, 7 * time.Millisecond},
		{"median of four", ms(1, 2, 3, 4), 0.5, 2 * time.Millisecond},
		{"p50 of 100", ms(hundred...), 0.5, 50 * time.Millisecond},
		{"p99 of 100", ms(hundred...), 0.99, 99 * time.Millisecond},
		{"p100", ms(1, 2, 3), 1, 3 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := (stats{latencies: tc.latencies}).percentile(tc.p); got != tc.want {
				t.Errorf("percentile(%v) = %v, want %v", tc.p, got, tc.want)
			}
		})
	}
}

func TestFirstAndLast(t *testing.T) {
	s := stats{perSecond: []int{10, 20, 30, 40, 50, 3}} // the 6th second: steps in flight at the end
	if first, last, ok := s.firstAndLast(5 * time.Second); !ok || first != 10 || last != 50 {
		t.Errorf("5s: %d, %d, %v; want 10, 50, true", first, last, ok)
	}
	if _, _, ok := s.firstAndLast(1500 * time.Millisecond); ok {
		t.Error("1.5s has one whole second: want no first and last")
	}
	if _, _, ok := (stats{perSecond: []int{10}}).firstAndLast(3 * time.Second); ok {
		t.Error("a load that stopped early has no last second")
	}
}

func TestParallel(t *testing.T) {
	var done [100]atomic.Int32
	if err := parallel(100, 7, func(i int) error { done[i].Add(1); return nil }); err != nil {
		t.Fatal(err)
	}
	for i := range done {
		if done[i].Load() != 1 {
			t.Fatalf("item %d ran %d times", i, done[i].Load())
		}
	}
	boom := errors.New("boom")
	var ran atomic.Int32
	err := parallel(1000, 4, func(i int) error {
		ran.Add(1)
		if i == 3 {
			return boom
		}
		return nil
	})
	if !errors.Is(err, boom) || ran.Load() == 1000 {
		t.Fatalf("err %v after %d items: want the error, and no new items after it", err, ran.Load())
	}
}

func TestChoose(t *testing.T) {
	all, err := choose(nil)
	if err != nil || len(all) != len(rows) {
		t.Fatalf("no --only: %d rows, %v", len(all), err)
	}
	two, err := choose([]string{"heap", "healthz"})
	if err != nil || len(two) != 2 || two[0].name != "healthz" || two[1].name != "heap" {
		t.Fatalf("--only heap,healthz: %v, %v; want both, in table order", two, err)
	}
	if _, err := choose([]string{"auth", "nope"}); err == nil || !strings.Contains(err.Error(), `"nope"`) {
		t.Fatalf("--only nope: %v, want an error naming it", err)
	}
}

func TestWriteTable(t *testing.T) {
	var out strings.Builder
	writeTable(&out, []line{
		{measure: "GET /healthz", conns: 64, rate: 24612.4, ratio: 1, p50: 1500 * time.Microsecond, p99: 9 * time.Millisecond,
			count: 10, statuses: map[int]int{200: 7, 429: 1, 503: 1, 404: 1}, goal: "the baseline", sample: "404 nope"},
		{measure: "Go heap per live session", ratio: math.NaN(), goal: "≤ 1 KiB", met: "yes", note: "590 B a session"},
	})
	lines := strings.Split(out.String(), "\n")
	want := []string{
		"| GET /healthz             | 64    | 24612 | 1.00  | 1.5ms | 9.0ms | 7   | 1   | 1   | 1     | the baseline | –   |                 |",
		"| Go heap per live session | –     | –     | –     | –     | –     | –   | –   | –   | –     | ≤ 1 KiB      | yes | 590 B a session |",
	}
	if lines[2] != want[0] || lines[3] != want[1] {
		t.Errorf("table rows:\n%s\n%s\nwant:\n%s\n%s", lines[2], lines[3], want[0], want[1])
	}
	if !strings.Contains(out.String(), "GET /healthz, first answer other than 200: 404 nope") {
		t.Errorf("no sample of the refusal in:\n%s", out.String())
	}
}

// TestRateCountsOnlySuccesses: quick refusals are not throughput.
func TestRateCountsOnlySuccesses(t *testing.T) {
	s := stats{elapsed: 2 * time.Second, latencies: make([]time.Duration, 40), statuses: map[int]int{200: 10, 503: 30}}
	if got := s.rate(); got != 5 {
		t.Errorf("rate %v, want 5 (10 answers 200 in 2 s)", got)
	}
}

// TestLoadApart: each connection of loadApart comes from its own address.
func TestLoadApart(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := net.SplitHostPort(r.RemoteAddr)
		mu.Lock()
		seen[host] = true
		mu.Unlock()
	}))
	defer srv.Close()
	b := &bench{ctx: context.Background(), base: srv.URL, opt: Options{Duration: 20 * time.Millisecond}}
	s := b.loadApart(3, same(call{method: "GET", path: "/"}))
	if s.statuses[200] == 0 || s.statuses[200] != len(s.latencies) {
		t.Fatalf("statuses %v (first refusal %q): want only 200", s.statuses, s.sample)
	}
	want := map[string]bool{"127.0.0.2": true, "127.0.0.3": true, "127.0.0.4": true}
	if !maps.Equal(seen, want) {
		t.Errorf("requests came from %v, want %v", seen, want)
	}
}
