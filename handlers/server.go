// Package handlers is the HTTP layer: it decodes requests, calls the domain
// packages and encodes their answers. Every error leaves through one error
// handler in one body shape; no domain logic lives here.
package handlers

import (
	"context"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"xtraauth/account"
	"xtraauth/approval"
	"xtraauth/captcha"
	"xtraauth/clientaddr"
	"xtraauth/credential"
	"xtraauth/dms"
	"xtraauth/integrations"
	"xtraauth/integrations/feishu"
	"xtraauth/lockout"
	"xtraauth/login"
	"xtraauth/metrics"
	"xtraauth/oauth"
	"xtraauth/session"
	"xtraauth/store"
)

// Deps are what the HTTP layer calls.
type Deps struct {
	Accounts *account.Service
	Login    *login.Service
	Sessions *session.Manager
	Resolver *credential.Resolver
	DMS      *dms.Tokens
	OAuth    *oauth.Service
	Metrics  *metrics.Metrics
	Lockout  *lockout.Lockout
	Captchas *captcha.Service
	Audit    store.Audit
	Address  *clientaddr.Resolver
	// HTTPSURL tells that XTRA_PUBLIC_URL is https, so every cookie is Secure.
	HTTPSURL bool
	WebFiles fs.FS // the embedded page
	Now      func() time.Time
	// Approvals and notifications.
	Approvals    *approval.Service
	Integrations *integrations.Set
	Statuses     integrations.StatusStore
	Callback     *feishu.Callback // nil when Feishu's event callback is off
	Counters     Counter
	// Ready reports whether the stores answer, for /readyz.
	Ready func(context.Context) error
	Log   *slog.Logger
}

// New builds the HTTP server's router.
func New(d Deps) *echo.Echo {
	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	ds := &doors{}
	e.HTTPErrorHandler = errorHandler(d.Log, ds)
	address := func(r *http.Request) string { return d.Address.Of(r.RemoteAddr, r.Header.Values("X-Forwarded-For")) }
	e.IPExtractor = address
	jar := cookies{proxies: d.Address, httpsURL: d.HTTPSURL}
	e.Use(logRequests(d.Log, d.Metrics, d.Now), middleware.Recover(), noStoreByDefault)
	e.GET("/metrics", echo.WrapHandler(d.Metrics.Handler()))

	e.GET("/healthz", func(c echo.Context) error { return ok(c) })
	e.GET("/readyz", func(c echo.Context) error {
		ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
		defer cancel()
		if err := d.Ready(ctx); err != nil {
			return &Error{Status: errUnavailable.Status, Text: errUnavailable.Text, Cause: err}
		}
		return ok(c)
	})

	r := newRoutes(e, ds, authenticate(d.Resolver))
	for _, resource := range []interface{ Register(routes) }{
		&Sessions{Login: d.Login, Sessions: d.Sessions, Resolver: d.Resolver, Metrics: d.Metrics},
		&Users{Accounts: d.Accounts},
		&DevKeys{Accounts: d.Accounts, Approvals: d.Approvals},
		&Approvals{Approvals: d.Approvals},
		&Integrations{Set: d.Integrations, Store: d.Statuses, Approvals: d.Approvals, Callback: d.Callback,
			Replays: d.Counters, Log: d.Log},
		&Captchas{Captchas: d.Captchas, Lockout: d.Lockout, Metrics: d.Metrics},
		&Locks{Lockout: d.Lockout, Audit: d.Audit},
		&DMS{Login: d.Login, Sessions: d.Sessions, Resolver: d.Resolver, Tokens: d.DMS, Metrics: d.Metrics, Cookies: jar},
		&OAuth{OAuth: d.OAuth, Metrics: d.Metrics},
		&Tenants{OAuth: d.OAuth},
		&ForwardAuth{Resolver: d.Resolver, Proxies: d.Address},
		&Web{Files: d.WebFiles, Login: d.Login, Sessions: d.Sessions, Accounts: d.Accounts, Metrics: d.Metrics,
			Cookies: jar, Now: d.Now, Approvals: d.Approvals},
	} {
		resource.Register(r)
	}
	return e
}

// logRequests writes one line per request and counts it: by the route
// template, never the raw path or query, which may carry tokens.
func logRequests(log *slog.Logger, m *metrics.Metrics, now func() time.Time) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			start := now()
			err := next(c)
			if err != nil {
				c.Error(err)
			}
			route := c.Path()
			if route == "" {
				route = "unmatched"
			}
			took := now().Sub(start)
			status := c.Response().Status
			m.Request(c.Request().Method, route, status, took)
			log.Info("request", "method", metrics.Method(c.Request().Method), "route", route,
				"status", status, "duration", took, "client", c.RealIP())
			return nil
		}
	}
}

// noStoreByDefault keeps every answer out of caches: most carry a token, a
// JWT, a dev_key, a secret or someone's details. The page's own files say
// otherwise for themselves.
func noStoreByDefault(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
		return next(c)
	}
}
