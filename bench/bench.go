// Package bench measures a whole xtraauth server under honest load, for
// `xtraauth bench`. It starts the server in-process on a random loopback
// port, on stores of its own (a temporary data dir; a fresh key prefix on a
// real Redis, a fresh schema on PostgreSQL, both removed at the end), makes
// what the rows need through app.App, loads each route with N looping
// connections for D seconds and prints one Markdown table from the one run:
// rates, ratios to /healthz, latency percentiles, answer counts and the
// goals of issue 8. Timing lives here, never in unit tests.
package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"xtraauth/app"
	"xtraauth/config"
	"xtraauth/store"
)

// Options are the command's flags.
type Options struct {
	Connections int           // concurrent connections of a row (default 64)
	Duration    time.Duration // load time of a row (default 5s)
	Only        []string      // run only these rows (see Rows)
	Sessions    int           // sessions made for the heap row
	CPUProfile  string        // file for a CPU profile of the rows, if set
	MemProfile  string        // file for a heap profile taken after the rows, if set
	Progress    io.Writer     // told of each row as it finishes
}

// Rows names the table's rows, in order, for Options.Only.
func Rows() []string {
	names := make([]string, len(rows))
	for i, r := range rows {
		names[i] = r.name
	}
	return names
}

// bench is one run: the server, its client side and what rows made.
type bench struct {
	ctx  context.Context
	app  *app.App
	base string // http://127.0.0.1:PORT
	opt  Options

	healthzRate, argon2Rate float64 // 0 until measured
	unlimitMemory           func()  // stops what limitMemory started
	loadBefore              string  // the machine's load average before the run

	// made on first use
	password string
	user     *store.User
	token    string
	devKey   string
}

// Run benchmarks a server on cfg's kind of stores and writes the table to
// out. log receives the server's request lines (pass a discarding one).
func Run(ctx context.Context, cfg config.Config, opt Options, log *slog.Logger, out io.Writer) (err error) {
	loadBefore := loadAverage()
	chosen, err := choose(opt.Only)
	if err != nil {
		return err
	}
	if opt.Connections < 1 || opt.Duration <= 0 || opt.Sessions < 1 {
		return errors.New("--connections, --duration and --sessions must be positive")
	}
	if opt.Progress == nil {
		opt.Progress = io.Discard
	}
	cfg, undo, err := isolate(ctx, cfg)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, undo()) }()
	a, err := app.OpenServer(ctx, cfg, log, time.Now)
	if err != nil {
		return err
	}
	defer a.Close()
	if a.Embedded == nil {
		defer func() { err = errors.Join(err, deleteKeys(a.Redis, cfg.RedisPrefix)) }()
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: a.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()

	b := &bench{ctx: ctx, app: a, base: "http://" + ln.Addr().String(), opt: opt, password: randomText(), loadBefore: loadBefore}
	b.limitMemory() // as the server does
	defer func() { b.unlimitMemory() }()
	lines, err := b.runProfiled(chosen)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "xtraauth bench: %s\n\n", b.describe())
	writeTable(out, lines)
	return nil
}

// limitMemory runs app.LimitMemory until unlimitMemory, which returns once
// the limit is lifted.
func (b *bench) limitMemory() {
	ctx, stop := context.WithCancel(b.ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		app.LimitMemory(ctx, b.app.Cfg.Argon2.Memory)
	}()
	b.unlimitMemory = func() { stop(); <-done }
}

func choose(only []string) ([]row, error) {
	if len(only) == 0 {
		return rows, nil
	}
	var chosen []row
	for _, r := range rows {
		if slices.Contains(only, r.name) {
			chosen = append(chosen, r)
		}
	}
	for _, name := range only {
		if !slices.Contains(Rows(), name) {
			return nil, fmt.Errorf("--only: no row %q; rows are %s", name, strings.Join(Rows(), ", "))
		}
	}
	return chosen, nil
}

// runProfiled runs the rows inside the profiles asked for.
func (b *bench) runProfiled(chosen []row) ([]line, error) {
	if b.opt.CPUProfile != "" {
		f, err := os.Create(b.opt.CPUProfile)
		if err != nil {
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	var lines []line
	for _, r := range chosen {
		if err := b.ctx.Err(); err != nil {
			return nil, err
		}
		l, err := r.run(b)
		if err != nil {
			return nil, fmt.Errorf("row %s: %w", r.name, err)
		}
		fmt.Fprintf(b.opt.Progress, "%-8s %s\n", r.name, l.summary())
		lines = append(lines, l)
	}
	if b.opt.MemProfile != "" {
		if err := writeHeapProfile(b.opt.MemProfile); err != nil {
			return nil, fmt.Errorf("--memprofile: %w", err)
		}
	}
	return lines, nil
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC() // the profile's in-use figures are as of the last GC
	if err := pprof.WriteHeapProfile(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// describe names the load, the stores, the hash cost and the machine.
func (b *bench) describe() string {
	cfg := b.app.Cfg
	database := "SQLite in a temporary directory"
	if cfg.DatabaseURL != "" {
		database = "PostgreSQL (a schema of its own)"
	}
	redis := "in-process Redis"
	switch {
	case len(cfg.RedisCluster) > 0:
		redis = fmt.Sprintf("Redis Cluster of %d seeds (a key prefix of its own)", len(cfg.RedisCluster))
	case cfg.RedisURL != "":
		redis = "Redis (a key prefix of its own)"
	}
	h := cfg.Argon2
	return fmt.Sprintf("%d connections, %s a row; %s, %s; argon2id m=%d t=%d p=%d; %d CPUs%s%s; %s %s/%s",
		b.opt.Connections, b.opt.Duration, database, redis, h.Memory, h.Time, h.Threads,
		runtime.NumCPU(), cpuModel(), b.loadBefore, runtime.Version(), runtime.GOOS, runtime.GOARCH)
}

// vsHealthz is rate ÷ the /healthz rate, NaN when /healthz was not run.
func (b *bench) vsHealthz(rate float64) float64 {
	if b.healthzRate == 0 {
		return math.NaN()
	}
	return rate / b.healthzRate
}
