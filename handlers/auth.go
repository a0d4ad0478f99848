package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"xtraauth/oauth"
	"xtraauth/session"
)

// Names of the places a token may come in.
const (
	HeaderAuthID  = "X-XTRA-AUTH-ID"
	WebCookie     = "xtra-session"
	DMSCookie     = "dms-token"
	principalKey  = "xtraauth.principal"
	queryTokenKey = "access_token"
)

// credential reads what a request presents: its token, and the sudo an
// OAuth client asks for.
func credential(r *http.Request, address string) session.Credential {
	q := r.URL.Query()
	return session.Credential{
		Token:   requestToken(r),
		Sudo:    oauth.SudoRequest{Sudo: q.Get("sudo"), TenantID: q.Get("tenantId"), TenantCode: q.Get("tenantCode")},
		Address: address,
	}
}

// requestToken returns the request's token from the first place that holds one:
// X-XTRA-AUTH-ID, Authorization: Bearer, ?access_token=, the web page's
// cookie, the dms-token cookie.
func requestToken(r *http.Request) string {
	token, _ := tokenAndPlace(r)
	return token
}

// tokenAndPlace is requestToken that also tells where the token was found:
// a header or the query (""), or the name of the cookie.
func tokenAndPlace(r *http.Request) (token, cookie string) {
	if v := r.Header.Get(HeaderAuthID); v != "" {
		return v, ""
	}
	if v, ok := bearer(r.Header.Get(echo.HeaderAuthorization)); ok {
		return v, ""
	}
	if v := r.URL.Query().Get(queryTokenKey); v != "" {
		return v, ""
	}
	for _, name := range []string{WebCookie, DMSCookie} {
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			return c.Value, name
		}
	}
	return "", ""
}

// needsCSRFHeader: a state-changing request that carries only the web
// page's cookie must also say X-Requested-With: XMLHttpRequest, which a
// cross-site form cannot send and a cross-site script cannot without the
// CORS preflight this server never grants.
func needsCSRFHeader(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	_, cookie := tokenAndPlace(r)
	return cookie == WebCookie && r.Header.Get(echo.HeaderXRequestedWith) != "XMLHttpRequest"
}

var errCSRF = newError(http.StatusForbidden, "Forbidden: send X-Requested-With: XMLHttpRequest with the web page's cookie")

func bearer(h string) (string, bool) {
	const prefix = "bearer "
	if len(h) > len(prefix) && strings.EqualFold(h[:len(prefix)], prefix) {
		return strings.TrimSpace(h[len(prefix):]), true
	}
	return "", false
}

// authenticate resolves the request's credential into a user for the
// handlers after it: 401 without one, 403 for an OAuth client acting as
// itself (user routes need sudo).
func authenticate(r *session.Resolver, address func(*http.Request) string) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			if needsCSRFHeader(c.Request()) {
				return errCSRF
			}
			p, err := r.Resolve(c.Request().Context(), credential(c.Request(), address(c.Request())))
			if errors.Is(err, session.ErrUnauthenticated) {
				return errNotAuthorized
			}
			if err != nil {
				return err
			}
			if p.User.ID == 0 {
				return errForbidden
			}
			c.Set(principalKey, p)
			return next(c)
		}
	}
}

// requireAdmin lets only super admins through; it runs after authenticate.
func requireAdmin(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !principal(c).User.IsSuper {
			return errForbidden
		}
		return next(c)
	}
}

func principal(c echo.Context) session.Principal {
	p, _ := c.Get(principalKey).(session.Principal)
	return p
}
