package handlers

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"xtraauth/fault"
)

// door is a front door's way of answering errors: the statuses where it
// differs from the XSwitch API's, and the shape of its body. Each front
// door's routes carry their door (see group), so their errors leave in its
// shape.
type door struct {
	statuses map[fault.Kind]int
	body     func(e *Error) map[string]any
}

// xswitchDoor answers {"code":N,"text":"...","message":"..."}: message
// repeats text because axios-based clients show message.
var xswitchDoor = &door{body: func(e *Error) map[string]any {
	body := map[string]any{"code": e.Status, "text": e.Text, "message": e.Text}
	for k, v := range e.Fields {
		body[k] = v
	}
	return body
}}

const doorKey = "xtraauth.door"

// use is middleware that puts d on a route's requests.
func (d *door) use(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		c.Set(doorKey, d)
		return next(c)
	}
}

// doors finds the door of a request: its route's, or, for a request no
// route takes (404, 405, whose answers run no route middleware), the door
// that claimed the prefix of its path; else the XSwitch API's.
type doors struct {
	prefixes []string
	claimed  []*door
}

// claim makes d answer for requests under prefix that no route takes, and
// returns the middleware that puts d on its routes' requests.
func (ds *doors) claim(prefix string, d *door) echo.MiddlewareFunc {
	ds.prefixes, ds.claimed = append(ds.prefixes, prefix), append(ds.claimed, d)
	return d.use
}

func (ds *doors) of(c echo.Context) *door {
	if d, ok := c.Get(doorKey).(*door); ok {
		return d
	}
	for i, p := range ds.prefixes {
		if strings.HasPrefix(c.Request().URL.Path, p) {
			return ds.claimed[i]
		}
	}
	return xswitchDoor
}

// group is a front door's routes under one path prefix: each carries the
// door. (An echo.Group with middleware would catch every unknown path of it
// as a route, answering 404 where 405 is due.)
type group struct {
	e      *echo.Echo
	prefix string
	door   echo.MiddlewareFunc
}

func (g group) add(method, path string, h echo.HandlerFunc, m []echo.MiddlewareFunc) {
	g.e.Add(method, g.prefix+path, h, append([]echo.MiddlewareFunc{g.door}, m...)...)
}

func (g group) GET(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	g.add(http.MethodGet, path, h, m)
}

func (g group) HEAD(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	g.add(http.MethodHead, path, h, m)
}

func (g group) POST(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	g.add(http.MethodPost, path, h, m)
}

func (g group) PUT(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	g.add(http.MethodPut, path, h, m)
}

func (g group) DELETE(path string, h echo.HandlerFunc, m ...echo.MiddlewareFunc) {
	g.add(http.MethodDelete, path, h, m)
}

// routes is what every resource registers its routes on: the front doors'
// groups, and the authentication of protected routes. Authentication is a
// route middleware: as a group one, Echo would also run it for unknown
// paths, turning 404 and 405 into 401.
type routes struct {
	api    group // /api, the XSwitch API (and forward auth)
	dms    group // /v1/dms, the DMS/SQLE door
	oauth2 group // /oauth2, RFC 6749, 7662 and 7009
	page   group // the web page and its session
	auth   echo.MiddlewareFunc
}

func newRoutes(e *echo.Echo, ds *doors, auth echo.MiddlewareFunc) routes {
	return routes{
		api:    group{e: e, prefix: "/api", door: xswitchDoor.use},
		dms:    group{e: e, prefix: "/v1/dms", door: ds.claim("/v1/dms/", dmsDoor)},
		oauth2: group{e: e, prefix: "/oauth2", door: ds.claim("/oauth2/", oauthDoor)},
		page:   group{e: e, prefix: "", door: xswitchDoor.use},
		auth:   auth,
	}
}
