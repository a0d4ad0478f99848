// Package credential turns what a request presents into who it acts as,
// for every protected route and for forward auth alike. It owns where a
// credential may come from and in which order, the rule that a state-changing
// request authenticated by a cookie must also say X-Requested-With, how a DMS
// JWT unwraps into its session, and which store each kind of credential is
// looked up in: a session token or JWT costs one read of the session store
// (the user's identity is kept beside the session), an OAuth access token
// one read of the token store, a dev_key one SQL read.
package credential

import (
	"net/http"
	"net/url"
	"strings"

	"xtraauth/oauth"
)

// Names of the places a credential may come in.
const (
	HeaderAuthID = "X-XTRA-AUTH-ID"
	WebCookie    = "xtra-session"
	DMSCookie    = "dms-token"
	QueryToken   = "access_token"
)

// Source is where a credential was found.
type Source int

// The sources, in the order they are looked at on /api routes.
const (
	None Source = iota
	FromAuthID
	FromAuthorization
	FromQuery
	FromWebCookie
	FromDMSCookie
)

// Presented is what a request presents: a bearer credential, where it was
// found, and, for OAuth tokens, whom it asks to act as.
type Presented struct {
	Token   string
	From    Source
	Sudo    oauth.SudoRequest
	Address string
}

// Read takes the credential of an /api request from the first place that
// holds one: X-XTRA-AUTH-ID, Authorization (Bearer, or a bare JWT as DMS and
// SQLE send it), ?access_token=, the web page's cookie, the dms-token cookie.
func Read(r *http.Request, address string) Presented {
	q := r.URL.Query()
	p := Presented{Address: address, Sudo: sudoOf(q)}
	p.Token, p.From = fromHeaders(r)
	if p.From == None {
		p.Token, p.From = fromQuery(q)
	}
	if p.From == None {
		p.Token, p.From = fromCookies(r, WebCookie, DMSCookie)
	}
	return p
}

// ReadDMS takes the credential of a /v1/dms request as DMS reads it: the
// dms-token cookie, then the Authorization header.
func ReadDMS(r *http.Request, address string) Presented {
	p := Presented{Address: address}
	p.Token, p.From = fromCookies(r, DMSCookie)
	if p.From == None {
		p.Token, p.From = fromAuthorization(r)
	}
	return p
}

// ReadForwarded is Read for forward auth: the query of the URL the proxy
// asks about stands where the request's own would, for ?access_token= (after
// the headers, before the cookies) and for sudo. That URL is read from
// X-Original-URI (nginx), else X-Forwarded-Uri (Traefik, Caddy), and only
// when fromProxy says the request came from a proxy whose headers are
// believed.
func ReadForwarded(r *http.Request, address string, fromProxy bool) Presented {
	p := Read(r, address)
	original := originalQuery(r)
	if !fromProxy || original == nil {
		return p
	}
	if v := original.Get(QueryToken); v != "" && (p.From == None || p.From > FromQuery) {
		p.Token, p.From = v, FromQuery
	}
	if p.Sudo.Sudo == "" {
		p.Sudo = sudoOf(original)
	}
	return p
}

func originalQuery(r *http.Request) url.Values {
	for _, h := range []string{"X-Original-URI", "X-Forwarded-Uri"} {
		if v := r.Header.Get(h); v != "" {
			if u, err := url.ParseRequestURI(v); err == nil {
				return u.Query()
			}
			return nil
		}
	}
	return nil
}

// NeedsCSRFHeader tells whether the request must be refused for lack of
// X-Requested-With: XMLHttpRequest. A browser sends cookies with requests
// other sites make it send; it lets no other site set that header without a
// CORS preflight, which this server never grants. So a state-changing
// request whose credential came from a cookie must carry it.
func (p Presented) NeedsCSRFHeader(r *http.Request) bool {
	switch r.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	cookie := p.From == FromWebCookie || p.From == FromDMSCookie
	return cookie && r.Header.Get("X-Requested-With") != "XMLHttpRequest"
}

func fromHeaders(r *http.Request) (string, Source) {
	if v := r.Header.Get(HeaderAuthID); v != "" {
		return v, FromAuthID
	}
	return fromAuthorization(r)
}

// fromAuthorization reads "Bearer T", or a bare JWT.
func fromAuthorization(r *http.Request) (string, Source) {
	h := r.Header.Get("Authorization")
	const prefix = "bearer "
	if len(h) > len(prefix) && strings.EqualFold(h[:len(prefix)], prefix) {
		if v := strings.TrimSpace(h[len(prefix):]); v != "" {
			return v, FromAuthorization
		}
		return "", None
	}
	if shapeOf(h) == shapeJWT {
		return h, FromAuthorization
	}
	return "", None
}

func fromQuery(q url.Values) (string, Source) {
	if v := q.Get(QueryToken); v != "" {
		return v, FromQuery
	}
	return "", None
}

func fromCookies(r *http.Request, names ...string) (string, Source) {
	for _, name := range names {
		if c, err := r.Cookie(name); err == nil && c.Value != "" {
			if name == WebCookie {
				return c.Value, FromWebCookie
			}
			return c.Value, FromDMSCookie
		}
	}
	return "", None
}

func sudoOf(q url.Values) oauth.SudoRequest {
	return oauth.SudoRequest{Sudo: q.Get("sudo"), TenantID: q.Get("tenantId"), TenantCode: q.Get("tenantCode")}
}
