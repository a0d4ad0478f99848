// Package web holds the embedded page for people: login (with captcha, lock
// messages and unlock requests), logout, one's own dev_keys, requests and
// their approvals, and for admins users, locks, the audit trail, OAuth
// clients and the integrations' status. Plain HTML, CSS and JavaScript: no build step, no CDN. It talks to
// the same JSON API as every client, authenticated by an HttpOnly,
// SameSite=Strict cookie.
package web

import (
	"embed"
	"io/fs"
)

//go:embed static
var files embed.FS

// Files are the page's files: index.html, app.js, style.css.
func Files() fs.FS {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	return sub
}
