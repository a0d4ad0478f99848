package bench

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"xtraauth/account"

	"golang.org/x/crypto/argon2"

	"xtraauth/captcha"
	"xtraauth/session"
	"xtraauth/store"
)

// row is one line of the table; run measures it.
type row struct {
	name string
	run  func(*bench) (line, error)
}

// rows are issue 8's table, in its order, plus captcha images.
var rows = []row{
	{"healthz", (*bench).healthz},
	{"auth", (*bench).forwardAuth},
	{"me", (*bench).usersMe},
	{"argon2", (*bench).rawArgon2},
	{"login", (*bench).passwordLogins},
	{"grant", (*bench).grants},
	{"devkey", func(b *bench) (line, error) { return b.devKeyLogins(b.opt.Connections, false) }},
	{"devkey8", func(b *bench) (line, error) { return b.devKeyLogins(8, true) }},
	{"captcha", (*bench).captchaImages},
	{"heap", (*bench).heapPerSession},
}

// mib is a mebibyte, for the RSS goal.
const mib = 1 << 20

func (b *bench) healthz() (line, error) {
	s := b.load(b.opt.Connections, same(call{method: "GET", path: "/healthz"}))
	b.healthzRate = s.rate()
	l := httpLine("GET /healthz", b.opt.Connections, s, 1)
	l.goal = "the baseline"
	return l, nil
}

func (b *bench) forwardAuth() (line, error) {
	return b.withToken("GET /api/auth with a token", "/api/auth", 0.6)
}

func (b *bench) usersMe() (line, error) {
	return b.withToken("GET /api/users/me", "/api/users/me", 0.5)
}

// withToken loads path with a session token; the goal is ratio ÷ /healthz.
func (b *bench) withToken(measure, path string, goal float64) (line, error) {
	token, err := b.sessionToken()
	if err != nil {
		return line{}, err
	}
	s := b.load(b.opt.Connections, same(call{method: "GET", path: path, header: http.Header{"X-Xtra-Auth-Id": {token}}}))
	l := httpLine(measure, b.opt.Connections, s, b.vsHealthz(s.rate()))
	l.goal, l.met = fmt.Sprintf("≥ %.2g", goal), atLeast(l.ratio, goal)
	return l, nil
}

// rawArgon2 hashes with the configured parameters as many at once as the
// server's hashing pool (one per CPU): the most the server could do. It
// runs as a plain process would, without the server's memory limit, which
// trades a little hashing speed for a third less memory.
func (b *bench) rawArgon2() (line, error) {
	b.unlimitMemory()
	defer b.limitMemory()
	p := b.app.Cfg.Argon2
	password, salt := []byte(b.password), make([]byte, account.DefaultHashParams.SaltLen)
	workers := runtime.NumCPU()
	s := load(b.ctx, workers, b.opt.Duration, func(context.Context, int) (int, string, error) {
		argon2.IDKey(password, salt, p.Time, p.Memory, p.Threads, account.DefaultHashParams.KeyLen)
		return http.StatusOK, "", nil
	})
	b.argon2Rate = s.rate()
	l := line{measure: "raw argon2id, same parameters, in process", conns: workers, rate: s.rate(), ratio: math.NaN(),
		p50: s.percentile(0.5), p99: s.percentile(0.99), goal: "the baseline of logins"}
	return l, nil
}

// passwordLogins logs in with right passwords, one user and one address
// per connection, as people do: attempts are counted in advance, per login
// and per address, so right passwords of one account, or 20 of any
// accounts from one address, in flight at once are asked for captchas by
// design.
func (b *bench) passwordLogins() (line, error) {
	n := b.opt.Connections
	calls := make([]call, n)
	err := parallel(n, runtime.NumCPU(), func(i int) error {
		login := "bench-login-" + strconv.Itoa(i)
		if _, err := b.app.Accounts.Create(b.ctx, store.User{Login: login, Name: login, Type: store.UserTypeNormal}, b.password); err != nil {
			return err
		}
		calls[i] = call{method: "POST", path: "/api/sessions", header: jsonHeader(),
			body: mustJSON(map[string]string{"login": login, "password": b.password})}
		return nil
	})
	if err != nil {
		return line{}, err
	}
	debug.FreeOSMemory() // what earlier rows left must not count in this row's peak
	since := ""
	if !resetPeakRSS() {
		since = " since start"
	}
	s := b.loadApart(n, func(w int) call { return calls[w] })
	ratio := math.NaN()
	if b.argon2Rate > 0 {
		ratio = s.rate() / b.argon2Rate
	}
	l := httpLine("password logins, a user and an address per connection", n, s, ratio)
	l.goal = "≥ 0.85 ÷ raw argon2id, RSS ≤ 300 MiB"
	rss, ok := peakRSS()
	if !ok {
		l.note = "÷ raw argon2id; peak RSS unknown (no /proc/self/status)"
		return l, nil
	}
	l.note = fmt.Sprintf("÷ raw argon2id; peak RSS %d MiB%s", rss/mib, since)
	l.met = both(atLeast(ratio, 0.85), yesNo(rss <= 300*mib))
	return l, nil
}

func (b *bench) grants() (line, error) {
	_, secret, err := b.app.OAuth.CreateClient(b.ctx, "bench", false, nil)
	if err != nil {
		return line{}, err
	}
	basic := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape("bench") + ":" + url.QueryEscape(secret)))
	header := http.Header{"Authorization": {"Basic " + basic}, "Content-Type": {"application/x-www-form-urlencoded"}}
	s := b.load(b.opt.Connections, same(call{method: "POST", path: "/oauth2/token", header: header, body: []byte("grant_type=client_credentials")}))
	return b.allRight(httpLine("right-secret client-credential grants", b.opt.Connections, s, b.vsHealthz(s.rate()))), nil
}

// devKeyLogins logs in with one right dev_key from every connection, all
// from one address, as a job with many workers does; with trend the goal
// is also that the rate holds over the run. The address's dev_key block
// is lifted first, so an earlier row cannot decide this one.
func (b *bench) devKeyLogins(conns int, trend bool) (line, error) {
	key, err := b.benchDevKey()
	if err != nil {
		return line{}, err
	}
	if err := b.app.Lockout.Unlock(b.ctx, "address:127.0.0.1", "bench"); err != nil {
		return line{}, err
	}
	body := mustJSON(map[string]string{"login": "bench", "dev_key": key})
	s := b.load(conns, same(call{method: "POST", path: "/api/sessions", header: jsonHeader(), body: body}))
	measure := "right dev_key logins, one address"
	if trend {
		measure = "dev_key logins over the run, one address"
	}
	l := b.allRight(httpLine(measure, conns, s, b.vsHealthz(s.rate())))
	first, last, ok := s.firstAndLast(b.opt.Duration)
	held := "?"
	if ok {
		l.note = fmt.Sprintf("first second %d/s, last %d/s", first, last)
		held = yesNo(float64(last) >= 0.9*float64(first))
	} else {
		l.note = "under 2 s: no first and last second"
	}
	if trend {
		l.goal += ", no fall (last second ≥ 0.9 × first)"
		l.met = both(l.met, held)
	}
	return l, nil
}

// captchaImages draws captchas made beforehand (one per connection; the
// HTTP route making them allows 60 a minute per address).
func (b *bench) captchaImages() (line, error) {
	n := b.opt.Connections
	calls := make([]call, n)
	err := parallel(n, n, func(i int) error {
		id, err := b.app.Captchas.Create(b.ctx, captcha.LoginBinding("bench"), "127.0.0.1", false)
		calls[i] = call{method: "GET", path: "/api/captchas/" + strconv.FormatInt(id, 10)}
		return err
	})
	if err != nil {
		return line{}, err
	}
	s := b.load(n, func(w int) call { return calls[w] })
	l := httpLine("captcha images, GET /api/captchas/{id}", n, s, b.vsHealthz(s.rate()))
	l.goal = "–"
	return l, nil
}

// heapPerSession makes Sessions sessions of the bench user, as a job's
// dev_key logins do, and divides the memory they took: the Go heap with the
// in-process Redis, else Redis's used_memory.
func (b *bench) heapPerSession() (line, error) {
	u, err := b.benchUser()
	if err != nil {
		return line{}, err
	}
	n := b.opt.Sessions
	measure, memory := b.memoryGauge()
	before, err := memory()
	if err != nil {
		return line{}, err
	}
	err = parallel(n, b.opt.Connections, func(int) error {
		_, err := b.app.Sessions.Create(b.ctx, store.IdentityOf(u), session.KindXSwitch)
		return err
	})
	if err != nil {
		return line{}, err
	}
	after, err := memory()
	if err != nil {
		return line{}, err
	}
	per := float64(after-before) / float64(n)
	return line{measure: fmt.Sprintf("%s per live session (%d)", measure, n), ratio: math.NaN(),
		goal: "≤ 1 KiB", met: yesNo(per <= 1024), note: fmt.Sprintf("%.0f B a session", per)}, nil
}

// allRight sets the goal of the rows that must never refuse a right
// secret: all 200 and at least a quarter of /healthz.
func (b *bench) allRight(l line) line {
	l.goal = "all 200, ≥ 0.25"
	l.met = both(yesNo(l.statuses[http.StatusOK] == l.count), atLeast(l.ratio, 0.25))
	return l
}

// sessionToken logs the bench user in over HTTP, once.
func (b *bench) sessionToken() (string, error) {
	if b.token != "" {
		return b.token, nil
	}
	if _, err := b.benchUser(); err != nil {
		return "", err
	}
	res, err := b.do(call{method: "POST", path: "/api/sessions", header: jsonHeader(),
		body: mustJSON(map[string]string{"login": "bench", "password": b.password})})
	if err != nil {
		return "", err
	}
	var reply struct{ Token string }
	if err := json.Unmarshal(res, &reply); err != nil || reply.Token == "" {
		return "", fmt.Errorf("logging the bench user in: %s", res)
	}
	b.token = reply.Token
	return b.token, nil
}

func (b *bench) benchUser() (store.User, error) {
	if b.user != nil {
		return *b.user, nil
	}
	u, err := b.app.Accounts.Create(b.ctx, store.User{Login: "bench", Name: "bench", Type: store.UserTypeNormal}, b.password)
	if err != nil {
		return store.User{}, err
	}
	b.user = &u
	return u, nil
}

func (b *bench) benchDevKey() (string, error) {
	if b.devKey != "" {
		return b.devKey, nil
	}
	u, err := b.benchUser()
	if err != nil {
		return "", err
	}
	k, err := b.app.Accounts.CreateDevKey(b.ctx, u.ID, "bench")
	b.devKey = k.Key
	return b.devKey, err
}

// parallel runs do(0..n-1) on at most workers goroutines and returns the
// first error; after one, no new i starts.
func parallel(n, workers int, do func(i int) error) error {
	var next atomic.Int64
	var failed atomic.Bool
	var first error
	var once sync.Once
	var wg sync.WaitGroup
	for range min(n, workers) {
		wg.Go(func() {
			for !failed.Load() {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				if err := do(i); err != nil {
					once.Do(func() { first = err })
					failed.Store(true)
				}
			}
		})
	}
	wg.Wait()
	return first
}

func mustJSON(v any) []byte {
	raw, err := json.Marshal(v)
	if err != nil {
		panic(err) // maps of strings always encode
	}
	return raw
}

func jsonHeader() http.Header { return http.Header{"Content-Type": {"application/json"}} }

// Verdicts of the met column.
func yesNo(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

// atLeast judges a ratio; "?" when it is unknown (its baseline row did not run).
func atLeast(ratio, goal float64) string {
	if math.IsNaN(ratio) {
		return "?"
	}
	return yesNo(ratio >= goal)
}

func both(a, b string) string {
	switch {
	case a == "no" || b == "no":
		return "no"
	case a == "?" || b == "?":
		return "?"
	}
	return "yes"
}
