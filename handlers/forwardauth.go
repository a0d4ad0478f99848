package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"xtraauth/clientaddr"
	"xtraauth/credential"
)

// ForwardAuth serves GET /api/auth for reverse proxies (nginx auth_request,
// Traefik forwardAuth, Caddy forward_auth): 200 with who the request is,
// else 401. It resolves credentials with the same resolver as every
// protected route.
type ForwardAuth struct {
	Resolver *credential.Resolver
	Proxies  *clientaddr.Resolver
}

// Headers of the answer, for the proxy to copy to the upstream.
const (
	HeaderUserID   = "X-Xtra-User-Id"
	HeaderLogin    = "X-Xtra-Login"
	HeaderRoles    = "X-Xtra-Roles"
	HeaderClientID = "X-Xtra-Client-Id"
)

// Register adds the route.
func (h *ForwardAuth) Register(r routes) {
	r.api.GET("/auth", h.check)
	r.api.HEAD("/auth", h.check)
}

func (h *ForwardAuth) check(c echo.Context) error {
	r := c.Request()
	// The original URL is believed from a configured proxy only; with none
	// configured, whoever calls this endpoint is taken to be the proxy.
	believe := !h.Proxies.Configured() || h.Proxies.FromProxy(r.RemoteAddr)
	p, err := h.Resolver.Resolve(r.Context(), credential.ReadForwarded(r, c.RealIP(), believe))
	if err != nil {
		// Proxies pass on 401 and 403 only (nginx auth_request turns any
		// other status into a 500), so a refused sudo (404 unknown user,
		// 400 malformed) is 403 here, with its text.
		if e := toError(xswitchDoor, err); e.Status != http.StatusUnauthorized && e.Status < http.StatusInternalServerError {
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
