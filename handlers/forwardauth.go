package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/labstack/echo/v4"

	"xtraauth/session"
)

// ForwardAuth serves GET /api/auth for reverse proxies (nginx auth_request,
// Traefik forwardAuth, Caddy forward_auth): 200 with who the request is,
// else 401. It resolves credentials with the same resolver as every
// protected route.
type ForwardAuth struct {
	Resolver *session.Resolver
	Address  func(*http.Request) string
}

// Headers of the answer, for the proxy to copy to the upstream.
const (
	HeaderUserID   = "X-Xtra-User-Id"
	HeaderLogin    = "X-Xtra-Login"
	HeaderRoles    = "X-Xtra-Roles"
	HeaderClientID = "X-Xtra-Client-Id"
)

// Register adds the route.
func (h *ForwardAuth) Register(g *echo.Group) {
	g.GET("/auth", h.check)
	g.HEAD("/auth", h.check)
}

func (h *ForwardAuth) check(c echo.Context) error {
	r := c.Request()
	cred := credential(r, h.Address(r))
	if q := originalQuery(r); q != nil {
		// The proxied URL's ?access_token= stands where this request's own
		// would: after the headers, before the cookies, as on every route.
		if v := q.Get(queryTokenKey); v != "" && !hasHeaderToken(r) && r.URL.Query().Get(queryTokenKey) == "" {
			cred.Token = v
		}
		if cred.Sudo.Sudo == "" {
			cred.Sudo.Sudo, cred.Sudo.TenantID, cred.Sudo.TenantCode = q.Get("sudo"), q.Get("tenantId"), q.Get("tenantCode")
		}
	}
	p, err := h.Resolver.Resolve(r.Context(), cred)
	if errors.Is(err, session.ErrUnauthenticated) {
		return errNotAuthorized
	}
	if err != nil {
		// Proxies pass on 401 and 403 only (nginx auth_request turns any
		// other status into a 500), so a refused sudo (404 unknown user,
		// 400 malformed) is 403 here, with its text.
		if e := toError(err); e.Status != http.StatusUnauthorized && e.Status < http.StatusInternalServerError {
			return &Error{Status: http.StatusForbidden, Text: e.Text, Cause: err}
		}
		return err
	}
	hd := c.Response().Header()
	hd.Set(echo.HeaderCacheControl, "no-store")
	if p.ClientID != "" {
		hd.Set(HeaderClientID, p.ClientID)
	}
	if p.User.ID == 0 {
		hd.Set(HeaderRoles, "client")
		return c.NoContent(http.StatusOK)
	}
	roles := "user"
	if p.User.IsSuper {
		roles = "admin,user"
	}
	hd.Set(HeaderUserID, strconv.FormatInt(p.User.ID, 10))
	hd.Set(HeaderLogin, p.User.Login)
	hd.Set(HeaderRoles, roles)
	return c.NoContent(http.StatusOK)
}

// hasHeaderToken tells whether the request carries a token in a header,
// which comes before any ?access_token=.
func hasHeaderToken(r *http.Request) bool {
	if r.Header.Get(HeaderAuthID) != "" {
		return true
	}
	_, ok := bearer(r.Header.Get(echo.HeaderAuthorization))
	return ok
}

// originalQuery is the query of the URL the proxy is asked about
// (X-Forwarded-Uri from Traefik and Caddy, X-Original-URI from nginx), so
// ?access_token= and ?sudo= work behind a proxy too.
func originalQuery(r *http.Request) url.Values {
	for _, h := range []string{"X-Forwarded-Uri", "X-Original-URI"} {
		if v := r.Header.Get(h); v != "" {
			if u, err := url.ParseRequestURI(v); err == nil {
				return u.Query()
			}
		}
	}
	return nil
}
