package redisstore

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// AddrFile is the file in the data directory that tells other commands of
// the same installation (the CLI) how to reach the embedded Redis.
const AddrFile = "redis.addr"

// tickEvery is how often the embedded server's clock is moved on at least;
// keys expire about this much early or late. A tick costs a walk over
// every key (miniredis charges TTLs key by key), so with many keys the
// ticks space out to keep that walk under tickShare of one core.
const (
	tickEvery = 10 * time.Millisecond
	tickShare = 100         // the walk takes about 1/tickShare of the time
	maxTick   = time.Second // but keys never expire more than this late
)

// Embedded is an in-process Redis (miniredis) for single-binary installs.
// It listens on 127.0.0.1 only and requires a random password, which is
// written with the URL to <dataDir>/redis.addr (mode 0600).
type Embedded struct {
	mr       *miniredis.Miniredis
	now      func() time.Time
	client   *redis.Client
	url      string
	addrPath string
	stop     chan struct{}
	done     chan struct{}
	once     sync.Once
	closeErr error
}

// StartEmbedded starts the embedded server, whose keys expire by the clock
// now, and writes its URL to <dataDir>/redis.addr, creating dataDir (0700)
// if missing.
func StartEmbedded(dataDir string, now func() time.Time) (*Embedded, error) {
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("redisstore: create data dir: %w", err)
	}
	e, err := startEmbedded(now)
	if err != nil {
		return nil, err
	}
	e.addrPath = filepath.Join(dataDir, AddrFile)
	if err := writeFileAtomic(e.addrPath, e.url+"\n"); err != nil {
		_ = e.Close()
		return nil, err
	}
	return e, nil
}

// StartScratch starts an embedded server no other process is told of: for
// a command that finds no running server, whose ephemeral state (sessions,
// counters) ended with that server.
func StartScratch(now func() time.Time) (*Embedded, error) { return startEmbedded(now) }

func startEmbedded(now func() time.Time) (*Embedded, error) {
	mr := miniredis.NewMiniRedis()
	password := rand.Text()
	mr.RequireAuth(password)
	// TTLs follow a clock we set ourselves (see tick); set it before
	// turning ClockTTL on so the first tick measures from now.
	mr.SetTime(now())
	mr.ClockTTL(true)
	if err := mr.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("redisstore: start embedded Redis: %w", err)
	}
	e := &Embedded{
		mr:   mr,
		now:  now,
		url:  fmt.Sprintf("redis://:%s@%s/0", password, mr.Addr()),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	opt, err := redis.ParseURL(e.url)
	if err != nil {
		mr.Close()
		return nil, fmt.Errorf("redisstore: embedded URL: %w", err)
	}
	// The server's own client talks to it through in-memory pipes: no
	// sockets, no system calls. Other processes (the CLI) use the port.
	opt.Dialer = func(context.Context, string, string) (net.Conn, error) {
		client, server := net.Pipe()
		mr.Server().ServeConn(server)
		return client, nil
	}
	e.client = redis.NewClient(opt)
	go e.tick()
	return e, nil
}

// tick moves the server's clock to now, at most every tickEvery.
// miniredis expires keys only by a clock it is given: with ClockTTL it
// charges every key's TTL for the clock's movement when a database is next
// touched, walking all keys. The tick touches it at once, so that walk runs
// here rather than inside a request, and waits tickShare times the walk's
// time before the next one. With time.Now as the clock, differences come
// from the monotonic clock, so wall-clock jumps neither expire keys early
// nor freeze them.
func (e *Embedded) tick() {
	defer close(e.done)
	var walk time.Duration // running average, so one stall does not space the ticks out
	for {
		select {
		case <-e.stop:
			return
		case <-time.After(min(max(tickEvery, tickShare*walk), maxTick)):
			start := e.now()
			e.charge()
			walk += (e.now().Sub(start) - walk) / 8
		}
	}
}

// charge moves the server's clock to now and charges every key's TTL for
// the move.
func (e *Embedded) charge() {
	e.mr.SetTime(e.now())
	e.mr.Exists("")
}

// URL is redis://:<password>@127.0.0.1:<port>/0.
func (e *Embedded) URL() string { return e.url }

// Client is a go-redis client connected to the embedded server.
func (e *Embedded) Client() redis.UniversalClient { return e.client }

// Miniredis exposes the server, for tests.
func (e *Embedded) Miniredis() *miniredis.Miniredis { return e.mr }

// Close stops the server and removes redis.addr unless another server has
// replaced it meanwhile. It is safe to call more than once.
func (e *Embedded) Close() error {
	e.once.Do(func() {
		close(e.stop)
		<-e.done
		err := e.client.Close()
		e.mr.Close()
		e.closeErr = errors.Join(err, e.removeAddrFile())
	})
	return e.closeErr
}

func (e *Embedded) removeAddrFile() error {
	if e.addrPath == "" {
		return nil
	}
	b, err := os.ReadFile(e.addrPath)
	if errors.Is(err, os.ErrNotExist) || (err == nil && strings.TrimSpace(string(b)) != e.url) {
		return nil
	}
	if err == nil {
		err = os.Remove(e.addrPath)
	}
	if err != nil {
		return fmt.Errorf("redisstore: remove %s: %w", AddrFile, err)
	}
	return nil
}

// ReadAddrFile returns the URL of the embedded server of dataDir. The error
// wraps os.ErrNotExist when no embedded server has written one.
func ReadAddrFile(dataDir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dataDir, AddrFile))
	if err != nil {
		return "", fmt.Errorf("redisstore: read %s: %w", AddrFile, err)
	}
	u := strings.TrimSpace(string(b))
	if u == "" {
		return "", fmt.Errorf("redisstore: %s is empty", AddrFile)
	}
	return u, nil
}

// writeFileAtomic writes through a temporary file in the same directory and
// renames it, so a reader never sees a half-written URL. CreateTemp makes
// the file 0600, which keeps the password private from the first byte.
func writeFileAtomic(path, content string) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("redisstore: write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.WriteString(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o600)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("redisstore: write %s: %w", path, err)
	}
	return nil
}
