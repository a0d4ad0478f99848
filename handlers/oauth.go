package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"xtraauth/fault"
	"xtraauth/metrics"
	"xtraauth/oauth"
	"xtraauth/store"
)

// OAuth serves the client-credentials grant: the seed's GET endpoints under
// /api/oauth2/server, the standard RFC 6749/7662/7009 endpoints under
// /oauth2, and the admin API of clients.
type OAuth struct {
	OAuth   *oauth.Service
	Metrics *metrics.Metrics
}

// Register adds the routes; clients are managed by admins behind auth.
func (h *OAuth) Register(r routes) {
	r.api.GET("/oauth2/server/tokens", h.compatIssue)
	r.api.GET("/oauth2/server/tokens/check", h.compatCheck)
	r.api.GET("/oauth2/server/tokens/revoke", h.compatRevoke)

	r.oauth2.POST("/token", h.token)
	r.oauth2.POST("/introspect", h.introspect)
	r.oauth2.POST("/revoke", h.revoke)

	r.api.GET("/oauth2/clients", h.listClients, r.auth, requireAdmin)
	r.api.POST("/oauth2/clients", h.createClient, r.auth, requireAdmin)
	r.api.DELETE("/oauth2/clients/:id", h.deleteClient, r.auth, requireAdmin)
}

// noStore adds, to the Cache-Control: no-store every answer has
// (noStoreByDefault), the Pragma that RFC 6749 5.1 asks of token replies,
// for HTTP/1.0 caches.
func noStore(c echo.Context) {
	c.Response().Header().Set("Pragma", "no-cache")
}

// compatReply is the seed's token body: expires_in is a string there.
func (h *OAuth) compatReply(c echo.Context, value string, t store.AccessToken) error {
	noStore(c)
	return c.JSON(http.StatusOK, map[string]string{
		"access_token": value, "token_type": "bearer",
		"expires_in": strconv.FormatInt(h.OAuth.ExpiresIn(t), 10), "scope": oauth.Scope,
	})
}

func (h *OAuth) compatIssue(c echo.Context) error {
	if c.QueryParam("grant_type") != "client_credentials" {
		return badRequest("grant_type must be client_credentials")
	}
	t, err := h.OAuth.Issue(c.Request().Context(), c.QueryParam("client_id"), c.QueryParam("client_secret"), c.RealIP())
	h.Metrics.Login("oauth", outcome(err))
	if err != nil {
		return failClosed(err)
	}
	return h.compatReply(c, t.Value, t.AccessToken)
}

func (h *OAuth) compatCheck(c echo.Context) error {
	value := c.QueryParam("token")
	t, err := h.OAuth.Lookup(c.Request().Context(), value)
	if err != nil {
		return err
	}
	return h.compatReply(c, value, t)
}

func (h *OAuth) compatRevoke(c echo.Context) error {
	err := h.OAuth.Revoke(c.Request().Context(), c.QueryParam("token"))
	if errors.Is(err, oauth.ErrTokenNotFound) {
		return c.JSON(http.StatusNotFound, map[string]any{"code": http.StatusNotFound, "msg": "token not found"})
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"code": 0, "msg": "success"})
}

// oauthForm reads an RFC 6749 form body and authenticates the client by
// HTTP Basic (client_secret_basic) or by the form (client_secret_post).
func (h *OAuth) oauthForm(c echo.Context) (form map[string]string, clientID, secret string, err error) {
	if err := decodeBody(c, &form); err != nil {
		return nil, "", "", oauthError(http.StatusBadRequest, "invalid_request", "send an application/x-www-form-urlencoded body")
	}
	if id, sec, ok := c.Request().BasicAuth(); ok {
		// RFC 6749 2.3.1: both are form-urlencoded before Basic encoding
		// (golang.org/x/oauth2 does so), so "a b" arrives as "a+b".
		return form, formUnescape(id), formUnescape(sec), nil
	}
	return form, form["client_id"], form["client_secret"], nil
}

// formUnescape undoes form-urlencoding, leaving what is not validly
// encoded as it came.
func formUnescape(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s
}

func (h *OAuth) token(c echo.Context) error {
	form, id, secret, err := h.oauthForm(c)
	if err != nil {
		return err
	}
	if form["grant_type"] == "" {
		return oauthError(http.StatusBadRequest, "invalid_request", "grant_type is required")
	}
	if form["grant_type"] != "client_credentials" {
		return oauthError(http.StatusBadRequest, "unsupported_grant_type", "only client_credentials is supported")
	}
	t, err := h.OAuth.Issue(c.Request().Context(), id, secret, c.RealIP())
	h.Metrics.Login("oauth", outcome(err))
	if err != nil {
		return oauthClientError(c, err)
	}
	noStore(c)
	return c.JSON(http.StatusOK, map[string]any{
		"access_token": t.Value, "token_type": "Bearer", "expires_in": h.OAuth.ExpiresIn(t.AccessToken), "scope": oauth.Scope,
	})
}

// authClient authenticates the calling client of introspect and revoke.
func (h *OAuth) authClient(c echo.Context) (map[string]string, string, error) {
	form, id, secret, err := h.oauthForm(c)
	if err != nil {
		return nil, "", err
	}
	if _, err := h.OAuth.Authenticate(c.Request().Context(), id, secret, c.RealIP()); err != nil {
		return nil, "", oauthClientError(c, err)
	}
	return form, id, nil
}

func (h *OAuth) introspect(c echo.Context) error {
	form, caller, err := h.authClient(c)
	if err != nil {
		return err
	}
	noStore(c)
	t, err := h.OAuth.Lookup(c.Request().Context(), form["token"])
	if errors.Is(err, oauth.ErrTokenNotFound) || (err == nil && t.ClientID != caller) {
		return c.JSON(http.StatusOK, map[string]any{"active": false})
	}
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{
		"active": true, "client_id": t.ClientID, "scope": oauth.Scope, "token_type": "Bearer",
		"exp": t.ExpiresAt.Unix(), "iat": t.CreatedAt.Unix(),
	})
}

// revoke answers 200 for unknown tokens too, as RFC 7009 asks; a client
// can revoke only its own tokens.
func (h *OAuth) revoke(c echo.Context) error {
	form, caller, err := h.authClient(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	t, err := h.OAuth.Lookup(ctx, form["token"])
	if err == nil && t.ClientID == caller {
		err = h.OAuth.Revoke(ctx, form["token"])
	}
	if err != nil && !errors.Is(err, oauth.ErrTokenNotFound) {
		return err
	}
	return c.NoContent(http.StatusOK)
}

// oauthClientError is a failed client authentication: with HTTP Basic,
// RFC 6749 5.2 asks for WWW-Authenticate beside the 401.
func oauthClientError(c echo.Context, err error) error {
	if _, _, basic := c.Request().BasicAuth(); basic && errors.Is(err, oauth.ErrInvalidClient) {
		c.Response().Header().Set("WWW-Authenticate", `Basic realm="xtraauth"`)
	}
	return failClosed(err)
}

func oauthError(status int, code, description string) *Error {
	return &Error{Status: status, Text: description, Fields: map[string]any{"error": code}}
}

// oauthDoor answers as RFC 6749 5.2 does: {"error","error_description"}.
var oauthDoor = &door{body: func(e *Error) map[string]any {
	code, description := oauthCode(e)
	return map[string]any{"error": code, "error_description": description}
}}

func oauthCode(e *Error) (code, description string) {
	if code, ok := e.Fields["error"].(string); ok {
		return code, e.Text
	}
	switch {
	case e.Kind == fault.Unauthenticated:
		return "invalid_client", "client authentication failed"
	case e.Kind == fault.Locked:
		return "invalid_client", "too many failed attempts"
	case e.Status >= http.StatusInternalServerError:
		return "server_error", e.Text
	}
	return "invalid_request", e.Text // malformed bodies, unknown routes, wrong methods
}

type clientJSON struct {
	ID        string  `json:"id"`
	Sudo      int     `json:"sudo"`
	TenantIDs []int64 `json:"tenant_ids"`
	CreatedAt *string `json:"created_at"`
	Secret    string  `json:"client_secret,omitempty"`
}

func clientOut(cl store.Client) clientJSON {
	ids := cl.TenantIDs
	if ids == nil {
		ids = []int64{}
	}
	return clientJSON{ID: cl.ID, Sudo: bit(cl.MaySudo), TenantIDs: ids, CreatedAt: timeOut(&cl.CreatedAt)}
}

func (h *OAuth) listClients(c echo.Context) error {
	clients, err := h.OAuth.Clients(c.Request().Context())
	if err != nil {
		return err
	}
	return listOf(c, clients, clientOut, len(clients), 1)
}

type clientBody struct {
	ID      text   `json:"id"`
	Sudo    flag   `json:"sudo"`
	Tenants []text `json:"tenants"`
}

func (h *OAuth) createClient(c echo.Context) error {
	var b clientBody
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	codes := make([]string, len(b.Tenants))
	for i, t := range b.Tenants {
		codes[i] = string(t)
	}
	cl, secret, err := h.OAuth.CreateClient(c.Request().Context(), string(b.ID), bool(b.Sudo), codes)
	if errors.Is(err, store.ErrNotFound) { // a tenant code names no tenant: the body is wrong
		return badRequest("unknown tenant in " + strings.Join(codes, ", "))
	}
	if err != nil {
		return err
	}
	out := clientOut(cl)
	out.Secret = secret
	noStore(c)
	return c.JSON(http.StatusOK, map[string]any{"code": http.StatusOK, "data": out})
}

func (h *OAuth) deleteClient(c echo.Context) error {
	if err := h.OAuth.RemoveClient(c.Request().Context(), c.Param("id")); err != nil {
		return err
	}
	return ok(c)
}
