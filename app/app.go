// Package app opens the stores and assembles the services and the HTTP
// handler on them, for the server, the CLI and the tests alike.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"xtraauth/account"
	"xtraauth/approval"
	"xtraauth/captcha"
	"xtraauth/clientaddr"
	"xtraauth/config"
	"xtraauth/credential"
	"xtraauth/dms"
	"xtraauth/handlers"
	"xtraauth/integrations"
	"xtraauth/integrations/feishu"
	"xtraauth/lease"
	"xtraauth/lockout"
	"xtraauth/login"
	"xtraauth/metrics"
	"xtraauth/notify"
	"xtraauth/oauth"
	"xtraauth/session"
	"xtraauth/store/redisstore"
	"xtraauth/store/sqlstore"
	"xtraauth/web"
)

// hashWait is how long a request may wait for a hashing slot before 503.
const hashWait = 2 * time.Second

// dmsRefreshTTL is how long a DMS refresh token lasts, as DMS's does.
const dmsRefreshTTL = 24 * time.Hour

// App holds the opened stores and the services on them.
type App struct {
	Cfg      config.Config
	Log      *slog.Logger
	Now      func() time.Time
	SQL      *sqlstore.Store
	Redis    redis.UniversalClient
	Embedded *redisstore.Embedded // set when Redis runs in-process
	// Detached tells that a command found no server to reach: its Redis is
	// a scratch one, since the server's sessions and counters ended with it.
	Detached bool
	Eph      *redisstore.Store
	Accounts *account.Service
	Sessions *session.Manager
	Lockout  *lockout.Lockout
	Captchas *captcha.Service
	DMS      *dms.Tokens
	OAuth    *oauth.Service
	Metrics  *metrics.Metrics

	// Approvals and notifications.
	Integrations *integrations.Set
	Approvals    *approval.Service
	Notifier     *notify.Sender
	// NotifyTick is how often the sender and the approvals' worker wake
	// (1 s, so a notification's first try is within 2 s of its event).
	NotifyTick       time.Duration
	worker           *lease.Lease
	stopIntegrations context.CancelFunc

	stopBackground context.CancelFunc
	background     sync.WaitGroup
}

// OpenServer opens the stores for the server: the configured Redis, or an
// in-process one when none is configured. now is the clock of every service.
func OpenServer(ctx context.Context, cfg config.Config, log *slog.Logger, now func() time.Time) (*App, error) {
	a := &App{Cfg: cfg, Log: log, Now: now}
	if err := a.openSQL(ctx); err != nil {
		return nil, err
	}
	if cfg.RedisURL == "" && len(cfg.RedisCluster) == 0 {
		emb, err := redisstore.StartEmbedded(cfg.DataDir, now)
		if err != nil {
			a.Close()
			return nil, fmt.Errorf("embedded Redis: %w", err)
		}
		a.Embedded, a.Redis = emb, emb.Client()
	} else if err := a.dialRedis(ctx, cfg.RedisURL); err != nil {
		a.Close()
		return nil, err
	}
	if err := a.wire(ctx); err != nil {
		return nil, err
	}
	a.warnOpenDataDir()
	return a, nil
}

// OpenCLI opens the stores for an operator's command. In embedded mode it
// reaches the running server's Redis through <data dir>/redis.addr; with no
// server running it works on SQL and a scratch Redis (Detached), since the
// server's sessions and counters ended with it.
func OpenCLI(ctx context.Context, cfg config.Config, log *slog.Logger, now func() time.Time) (*App, error) {
	a := &App{Cfg: cfg, Log: log, Now: now}
	if err := a.openSQL(ctx); err != nil {
		return nil, err
	}
	if cfg.RedisURL != "" || len(cfg.RedisCluster) > 0 {
		if err := a.dialRedis(ctx, cfg.RedisURL); err != nil {
			a.Close()
			return nil, err
		}
		return a, a.wire(ctx)
	}
	url, err := redisstore.ReadAddrFile(cfg.DataDir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		a.Close()
		return nil, err
	}
	if url == "" || a.dialRedis(ctx, url) != nil { // none, or a stale file of a server that is gone
		scratch, err := redisstore.StartScratch(now)
		if err != nil {
			a.Close()
			return nil, err
		}
		a.Embedded, a.Redis, a.Detached = scratch, scratch.Client(), true
	}
	return a, a.wire(ctx)
}

// warnOpenDataDir warns when other users may read the data directory
// while it holds the SQLite database or the embedded Redis's password.
func (a *App) warnOpenDataDir() {
	if a.Cfg.DatabaseURL != "" && a.Embedded == nil {
		return
	}
	fi, err := os.Stat(a.Cfg.DataDir)
	if err == nil && fi.Mode().Perm()&0o077 != 0 {
		a.Log.Warn("other users may read the data directory: make it private (chmod 700)",
			"dir", a.Cfg.DataDir, "mode", fmt.Sprintf("%o", fi.Mode().Perm()))
	}
}

func (a *App) openSQL(ctx context.Context) error {
	s, err := sqlstore.Open(ctx, a.Cfg.DatabaseURL, a.Cfg.DataDir, a.Now)
	if err != nil {
		return fmt.Errorf("XTRA_DATABASE_URL: %w", err)
	}
	s.SetPool(a.Cfg.DatabasePool)
	a.SQL = s
	return nil
}

func (a *App) dialRedis(ctx context.Context, url string) error {
	c, err := redisstore.Dial(ctx, url, a.Cfg.RedisCluster)
	if err != nil {
		if len(a.Cfg.RedisCluster) > 0 {
			return fmt.Errorf("XTRA_REDIS_CLUSTER: %w", err)
		}
		return fmt.Errorf("XTRA_REDIS_URL: %w", err)
	}
	a.Redis = c
	return nil
}

// wire builds the services on the opened stores.
func (a *App) wire(ctx context.Context) error {
	a.Metrics = metrics.New()
	a.Eph = redisstore.New(a.Redis, a.Cfg.RedisPrefix)
	a.Captchas = captcha.New(a.Eph, a.Cfg.CaptchaTTL)
	a.Lockout = lockout.New(a.lockoutConfig(), a.Eph, a.Captchas, a.SQL, a.Now)
	a.Lockout.OnLock(a.Metrics.Lock)
	hasher := account.NewHasher(hashParams(a.Cfg.Argon2), runtime.NumCPU(), hashWait, a.Now, a.Metrics.Hash)
	accounts, err := account.New(ctx, account.Deps{
		Users: a.SQL, DevKeys: a.SQL, Tenants: a.SQL, Sessions: a.Eph, Gate: a.Lockout, Hasher: hasher, Audit: a.SQL, Now: a.Now,
	})
	if err != nil {
		a.Close()
		return err
	}
	a.Accounts = accounts
	secret, err := a.jwtSecret(ctx)
	if err != nil {
		a.Close()
		return err
	}
	a.DMS = dms.NewTokens(secret, a.Now)
	a.OAuth = oauth.New(oauth.Deps{
		Clients: a.SQL, Tenants: a.SQL, Users: a.SQL, Tokens: a.Eph, Audit: a.SQL, Gate: a.Lockout,
		TTL: a.Cfg.OAuthTokenTTL, Now: a.Now,
	})
	a.Sessions = session.NewManager(a.Eph, a.Cfg.SessionTTL, a.Now)
	a.Sessions.SetTTL(session.KindDMS, a.Cfg.DMSTokenTTL)
	a.Sessions.SetTTL(session.KindDMSRefresh, dmsRefreshTTL)
	a.wireIntegrations()
	return nil
}

// workerLease is at least 30 s and outlasts three platform calls, so a
// holder busy with a slow platform keeps it.
func workerLease(timeout time.Duration) time.Duration { return max(30*time.Second, 3*timeout) }

// wireIntegrations builds approvals and notifications on the stores.
func (a *App) wireIntegrations() {
	cfg := a.Cfg.Integrations
	a.Integrations = integrations.New(cfg, a.Now)
	a.NotifyTick = time.Second
	a.worker = lease.New(a.SQL, "worker", workerLease(cfg.PlatformTimeout), a.Now)
	a.Approvals = approval.New(approval.Deps{
		Store: a.SQL, Users: a.SQL, Locks: a.Lockout, Keys: a.Accounts, Counter: a.Eph,
		Platform: a.Integrations.Platform(a.SQL), Lease: a.worker, Kinds: cfg.Approvals, Retry: cfg.ApprovalPoll,
		Now: a.Now, Metrics: a.Metrics, Log: a.Log,
	})
	a.Notifier = notify.New(notify.Deps{
		Store: a.SQL, Users: a.SQL, Channels: a.Integrations.Channels(), Lease: a.worker, PublicURL: a.Cfg.PublicURL,
		Timeout: cfg.PlatformTimeout, Now: a.Now, Metrics: a.Metrics, Log: a.Log,
	})
}

// StartIntegrations runs the background work of approvals and
// notifications until Close: the notification sender and the approvals'
// worker (in the process holding the worker's lease) every NotifyTick, and
// the poll of pending platform approvals every XTRA_APPROVAL_POLL.
func (a *App) StartIntegrations(ctx context.Context) {
	ctx, a.stopIntegrations = context.WithCancel(ctx)
	if err := a.Notifier.Start(ctx); err != nil {
		a.Log.Error("notifications: placing the cursor", "err", err)
	}
	a.background.Go(func() { a.every(ctx, a.NotifyTick, "notifications", a.Notifier.Tick) })
	a.background.Go(func() { a.every(ctx, a.NotifyTick, "approvals", a.Approvals.Work) })
	a.background.Go(func() { a.every(ctx, a.Cfg.Integrations.ApprovalPoll, "approval poll", a.Approvals.Poll) })
}

// finishIntegrations waits for the unlock requests accepted and, when the
// background work ran, hands the worker's lease over at once.
func (a *App) finishIntegrations() {
	if a.Approvals == nil { // the wiring failed
		return
	}
	a.Approvals.Wait()
	if a.stopIntegrations == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := a.worker.Drop(ctx); err != nil {
		a.Log.Error("dropping the worker's lease", "err", err)
	}
}

// every runs f at once and then every d until ctx ends.
func (a *App) every(ctx context.Context, d time.Duration, what string, f func(context.Context) error) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		if err := f(ctx); err != nil && ctx.Err() == nil {
			a.Log.Error("background work failed", "what", what, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// hashParams are the default hashing parameters with the configured cost.
func hashParams(c config.Argon2) account.HashParams {
	p := account.DefaultHashParams
	p.Memory, p.Time, p.Threads = c.Memory, c.Time, c.Threads
	return p
}

// jwtSecret is XTRA_JWT_SECRET, else one generated on the first start and
// kept in SQL, so every process and restart signs alike.
func (a *App) jwtSecret(ctx context.Context) ([]byte, error) {
	if a.Cfg.JWTSecret != "" {
		return []byte(a.Cfg.JWTSecret), nil
	}
	random := make([]byte, 32)
	if _, err := rand.Read(random); err != nil {
		return nil, err
	}
	secret, err := a.SQL.GetOrCreateSetting(ctx, "jwt_secret", hex.EncodeToString(random))
	return []byte(secret), err
}

func (a *App) lockoutConfig() lockout.Config {
	c := lockout.DefaultConfig
	c.CaptchaAfter, c.LockAfter, c.LockFor = a.Cfg.CaptchaAfter, a.Cfg.LockAfter, a.Cfg.LockFor
	return c
}

// Handler builds the HTTP handler of the server.
func (a *App) Handler() http.Handler {
	return handlers.New(handlers.Deps{
		Accounts: a.Accounts,
		Login:    login.New(a.Accounts, a.Sessions, a.Now),
		Sessions: a.Sessions,
		Resolver: credential.NewResolver(a.Sessions, a.Accounts, a.OAuth, a.DMS),
		DMS:      a.DMS,
		OAuth:    a.OAuth,
		Metrics:  a.Metrics,
		WebFiles: web.Files(),
		Lockout:  a.Lockout,
		Captchas: a.Captchas,
		Audit:    a.SQL,
		Address:  clientaddr.New(a.Cfg.TrustedProxies),
		HTTPSURL: strings.HasPrefix(a.Cfg.PublicURL, "https://"),
		Now:      a.Now,
		Ready:    a.ready,
		Log:      a.Log,

		Approvals:    a.Approvals,
		Integrations: a.Integrations,
		Statuses:     a.SQL,
		Callback:     a.feishuCallback(),
		Counters:     a.Eph,
	})
}

func (a *App) feishuCallback() *feishu.Callback {
	cb, ok := a.Integrations.Callback(a.Now)
	if !ok {
		return nil
	}
	return &cb
}

// ready reports whether both stores answer.
func (a *App) ready(ctx context.Context) error {
	if err := a.SQL.Ping(ctx); err != nil {
		return err
	}
	return a.Redis.Ping(ctx).Err()
}

// auditPruneEvery is how often the server deletes audit events older than
// XTRA_AUDIT_RETENTION.
const auditPruneEvery = time.Hour

// StartBackground starts the server's work besides requests, which runs
// until Close: measuring what each kind of stored password hash costs to
// verify (so refusals can all cost the same), and pruning the audit trail.
func (a *App) StartBackground(ctx context.Context) {
	ctx, a.stopBackground = context.WithCancel(ctx)
	a.background.Go(func() {
		if err := a.Accounts.LearnHashCosts(ctx); err != nil && ctx.Err() == nil {
			a.Log.Warn("measuring password hash costs", "err", err)
		}
	})
	a.background.Go(func() {
		for {
			if _, err := a.PruneAudit(ctx); err != nil && ctx.Err() == nil {
				a.Log.Warn("pruning the audit trail", "err", err)
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(auditPruneEvery):
			}
		}
	})
}

// PruneAudit deletes audit events older than XTRA_AUDIT_RETENTION.
func (a *App) PruneAudit(ctx context.Context) (int64, error) {
	return a.SQL.PruneAuditEvents(ctx, a.Now().Add(-a.Cfg.AuditRetention))
}

// Close stops the background work and closes the stores.
func (a *App) Close() {
	for _, stop := range []context.CancelFunc{a.stopBackground, a.stopIntegrations} {
		if stop != nil {
			stop()
		}
	}
	a.background.Wait()
	a.finishIntegrations()
	if a.Redis != nil && a.Embedded == nil {
		_ = a.Redis.Close()
	}
	if a.Embedded != nil {
		_ = a.Embedded.Close()
	}
	if a.SQL != nil {
		_ = a.SQL.Close()
	}
}
