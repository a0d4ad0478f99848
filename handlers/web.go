package handlers

import (
	"errors"
	"io/fs"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"xtraauth/credential"
	"xtraauth/login"
	"xtraauth/metrics"
	"xtraauth/session"
	"xtraauth/store"
)

// Web serves the embedded page at / and its login and logout, which keep
// the session in an HttpOnly, SameSite=Strict cookie the page's script
// never sees.
type Web struct {
	Files    fs.FS
	Login    *login.Service
	Sessions *session.Manager
	Address  func(*http.Request) string
	Metrics  *metrics.Metrics
}

// pagePolicy lets the page load only its own files, captcha pictures and
// sounds, and be framed by nobody.
const pagePolicy = "default-src 'self'; img-src 'self'; media-src 'self'; frame-ancestors 'none'; form-action 'self'"

// Register adds the routes.
func (h *Web) Register(e *echo.Echo) {
	e.GET("/", h.file("index.html"))
	for _, name := range []string{"app.js", "style.css"} {
		e.GET("/web/"+name, h.file(name))
	}
	e.POST("/web/session", h.login)
	e.DELETE("/web/session", h.logout)
}

// file serves one embedded file with headers that keep the page to itself.
func (h *Web) file(name string) echo.HandlerFunc {
	return func(c echo.Context) error {
		hd := c.Response().Header()
		hd.Set("Content-Security-Policy", pagePolicy)
		hd.Set("X-Frame-Options", "DENY")
		hd.Set("X-Content-Type-Options", "nosniff")
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
	res, err := logIn(c, h.Login, h.Metrics, body, h.Address(c.Request()), session.KindWeb)
	if err != nil {
		return failClosed(err)
	}
	c.SetCookie(h.cookie(c, res.Token, res.Session))
	reply := loginReply(res)
	delete(reply, "token")
	return c.JSON(http.StatusOK, reply)
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
// Max-Age, which browsers prefer to Expires, counts from when the browser
// gets the cookie, so a browser whose clock is off keeps it just as long.
func (h *Web) cookie(c echo.Context, value string, s store.Session) *http.Cookie {
	ck := &http.Cookie{Name: credential.WebCookie, Value: value, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode,
		Secure: c.Request().TLS != nil, MaxAge: -1}
	if value != "" {
		ck.Expires, ck.MaxAge = s.ExpiresAt, int(s.ExpiresAt.Sub(s.CreatedAt)/time.Second)
	}
	return ck
}
