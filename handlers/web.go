package handlers

import (
	"errors"
	"io/fs"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"xtraauth/account"
	"xtraauth/approval"
	"xtraauth/credential"
	"xtraauth/fault"
	"xtraauth/login"
	"xtraauth/metrics"
	"xtraauth/session"
	"xtraauth/store"
)

// Web serves the embedded page at / (its other files under /web/) and its
// login, session and logout, which keep the session in an HttpOnly,
// SameSite=Strict cookie the page's script never sees.
type Web struct {
	Files    fs.FS
	Login    *login.Service
	Sessions *session.Manager
	Accounts *account.Service
	Metrics  *metrics.Metrics
	Cookies  cookies
	Now      func() time.Time
	// Approvals tells whether a locked login may ask for an unlock.
	Approvals *approval.Service
}

// pagePolicy lets the page load only its own files (no inline script or
// style), captcha pictures and sounds, and be framed by nobody.
const pagePolicy = "default-src 'self'; img-src 'self'; media-src 'self'; object-src 'none'; base-uri 'none'; " +
	"frame-ancestors 'none'; form-action 'self'"

// Register adds the routes; GET /web/session is behind auth.
func (h *Web) Register(r routes) {
	r.page.GET("/", h.file("index.html"))
	entries, err := fs.ReadDir(h.Files, ".")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	for _, f := range entries {
		if !f.IsDir() && f.Name() != "index.html" {
			r.page.GET("/web/"+f.Name(), h.file(f.Name()))
		}
	}
	r.page.POST("/web/session", h.login)
	r.page.GET("/web/session", h.session, r.auth)
	r.page.DELETE("/web/session", h.logout)
}

// file serves one embedded file with headers that keep the page to itself.
func (h *Web) file(name string) echo.HandlerFunc {
	return func(c echo.Context) error {
		hd := c.Response().Header()
		hd.Set("Content-Security-Policy", pagePolicy)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
		hd.Set("Referrer-Policy", "same-origin")
		hd.Set(echo.HeaderCacheControl, "no-cache")
		http.ServeFileFS(c.Response(), c.Request(), h.Files, name)
		return nil
	}
}

// login is POST /api/sessions for the page: the same checks, a cookie
// instead of a token in the body. Like every state change of the page it
// needs X-Requested-With, so no other site can log a visitor in.
func (h *Web) login(c echo.Context) error {
	if c.Request().Header.Get(echo.HeaderXRequestedWith) != "XMLHttpRequest" {
		return errCSRF
	}
	var body loginBody
	if err := decodeBody(c, &body); err != nil {
		return err
	}
	if body.Password == "" {
		body.DevKey = "" // people log in with passwords
	}
	res, err := logIn(c, h.Login, h.Metrics, body, c.RealIP(), session.KindWeb)
	if err != nil {
		return h.refusal(err)
	}
	c.SetCookie(h.cookie(c, res.Token, res.Session))
	reply := loginReply(res)
	delete(reply, "token")
	return c.JSON(http.StatusOK, reply)
}

// refusal is the wire error of a failed login. A lock also says whether
// the page may offer to ask an admin for an unlock: a setting alike for
// every login, so it tells nothing about this one.
func (h *Web) refusal(err error) error {
	if !fault.Is(err, fault.Locked) {
		return failClosed(err)
	}
	e := toError(xswitchDoor, err)
	e.Fields["unlock_requests"] = h.Approvals.Enabled(store.ApprovalUnlock)
	return e
}

// session tells the page who is logged in, when the session ends (null
// for a credential that is no session, such as a dev_key) and the
// server's clock, so that the page counts time without trusting the
// browser's clock.
func (h *Web) session(c echo.Context) error {
	p := principal(c)
	var expires *int64
	if p.Via == credential.ViaSession {
		s, err := h.Sessions.Lookup(c.Request().Context(), p.SessionDigest)
		if errors.Is(err, store.ErrNotFound) { // ended since auth read it
			return errNotAuthorized
		}
		if err != nil {
			return err
		}
		at := s.ExpiresAt.Unix()
		expires = &at
	}
	u, err := myself(c, h.Accounts)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{
		"code": http.StatusOK, "user": userOut(u), "expires": expires, "now": h.Now().Unix(),
	})
}

func (h *Web) logout(c echo.Context) error {
	ck, err := c.Cookie(credential.WebCookie)
	if err != nil || ck.Value == "" {
		return errNotAuthorized
	}
	if c.Request().Header.Get(echo.HeaderXRequestedWith) != "XMLHttpRequest" {
		return errCSRF
	}
	if err := h.Sessions.End(c.Request().Context(), store.Digest(ck.Value)); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	c.SetCookie(h.cookie(c, "", store.Session{}))
	return ok(c)
}

// cookie is the page's session cookie for s; a zero session deletes it.
func (h *Web) cookie(c echo.Context, value string, s store.Session) *http.Cookie {
	return h.Cookies.cookie(c.Request(), credential.WebCookie, value, s, http.SameSiteStrictMode)
}
