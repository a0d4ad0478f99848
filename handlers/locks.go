package handlers

import (
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"xtraauth/account"
	"xtraauth/lockout"
	"xtraauth/store"
)

// Locks serves /api/locks and /api/audit for admins: who is failing, who
// is locked, lifting locks, and the audit trail.
type Locks struct {
	Lockout *lockout.Lockout
	Audit   store.Audit
}

// Register adds the routes behind auth; all are for admins.
func (h *Locks) Register(r routes) {
	r.api.GET("/locks", h.list, r.auth, requireAdmin)
	r.api.DELETE("/locks/:login", h.delete, r.auth, requireAdmin)
	r.api.GET("/audit", h.audit, r.auth, requireAdmin)
}

type lockJSON struct {
	Login           string `json:"login"`
	Failures        int    `json:"failures"`
	CaptchaRequired bool   `json:"captcha_required"`
	LockedUntil     *int64 `json:"locked_until"`
}

func (h *Locks) list(c echo.Context) error {
	entries, err := h.Lockout.List(c.Request().Context())
	if err != nil {
		return err
	}
	return listOf(c, entries, lockOut, len(entries), 1)
}

func lockOut(e lockout.Entry) lockJSON {
	out := lockJSON{Login: e.Name, Failures: e.Failures, CaptchaRequired: e.CaptchaRequired}
	if e.LockedUntil != nil {
		until := e.LockedUntil.Unix()
		out.LockedUntil = &until
	}
	return out
}

func (h *Locks) delete(c echo.Context) error {
	name := c.Param("login")
	// Echo routes on the escaped path whenever it differs from the plain
	// one, and then leaves parameters escaped: a login with a space, or an
	// IPv6 entry ("address:2001:db8::/64"), arrives %-encoded.
	if c.Request().URL.RawPath != "" {
		var err error
		if name, err = url.PathUnescape(name); err != nil {
			return badRequest("malformed login")
		}
	}
	if len(name) > maxLockName {
		return badRequest("login is too long")
	}
	if err := h.Lockout.Unlock(c.Request().Context(), name, principal(c).User.Login); err != nil {
		return err
	}
	return ok(c)
}

// maxLockName bounds what an unlock may name, the longest entry being
// "client:" + a client id, "@" and an IPv6 /64.
const maxLockName = 256

// auditSubject is the subject an admin's filter names: a login matches
// case-insensitively, as everywhere; "client:" and "address:" names are
// kept as they are.
func auditSubject(name string) string {
	if strings.HasPrefix(name, "client:") || strings.HasPrefix(name, "address:") {
		return name
	}
	return account.Key(name)
}

type auditJSON struct {
	ID      int64   `json:"id"`
	At      *string `json:"created_at"`
	Login   string  `json:"login"`
	Address string  `json:"address"`
	Kind    string  `json:"kind"`
	Outcome string  `json:"outcome"`
}

// audit lists the trail, newest first, filtered by login (or a "client:"
// or "address:" entry), kind and a time range [from, to).
func (h *Locks) audit(c echo.Context) error {
	from, err := queryTime(c, "from")
	if err != nil {
		return err
	}
	to, err := queryTime(c, "to")
	if err != nil {
		return err
	}
	page, perPage, offset := pageQuery(c)
	events, n, err := h.Audit.ListAuditEvents(c.Request().Context(), store.AuditFilter{
		Subject: auditSubject(c.QueryParam("login")), Kind: c.QueryParam("kind"), From: from, To: to,
		Offset: offset, Limit: perPage,
	})
	if err != nil {
		return err
	}
	return listOf(c, events, func(e store.AuditEvent) auditJSON {
		return auditJSON{ID: e.ID, At: timeOut(&e.At), Login: e.Subject, Address: e.Address, Kind: e.Kind, Outcome: e.Outcome}
	}, n, page)
}
