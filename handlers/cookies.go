package handlers

import (
	"net/http"
	"strings"
	"time"

	"xtraauth/clientaddr"
	"xtraauth/store"
)

// cookies decides the Secure flag of the cookies this server sets: on when
// the browser reached us over HTTPS — TLS ending here, a trusted proxy
// saying so in X-Forwarded-Proto — or always when XTRA_PUBLIC_URL is https.
type cookies struct {
	proxies  *clientaddr.Resolver
	httpsURL bool // XTRA_PUBLIC_URL is https
}

func (ck cookies) secure(r *http.Request) bool {
	if r.TLS != nil || ck.httpsURL {
		return true
	}
	return ck.proxies.FromProxy(r.RemoteAddr) && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// cookie is a cookie holding value until session s ends, or, for an empty
// value, one that deletes it. Max-Age, which browsers prefer to Expires,
// counts from when the browser gets the cookie, so a browser whose clock
// is off keeps it just as long.
func (ck cookies) cookie(r *http.Request, name, value string, s store.Session, sameSite http.SameSite) *http.Cookie {
	c := &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, SameSite: sameSite, Secure: ck.secure(r), MaxAge: -1}
	if value != "" {
		c.Expires, c.MaxAge = s.ExpiresAt, int(s.ExpiresAt.Sub(s.CreatedAt)/time.Second)
	}
	return c
}
