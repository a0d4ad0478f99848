package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"xtraauth/credential"
)

const principalKey = "xtraauth.principal"

var errCSRF = newError(http.StatusForbidden, "Forbidden: send X-Requested-With: XMLHttpRequest with a cookie")

// authenticate resolves the request's credential into a user for the
// handlers after it: 401 without one, 403 for an OAuth client acting as
// itself (user routes need sudo), 403 for a state change made with a
// cookie alone.
func authenticate(r *credential.Resolver) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			presented := credential.Read(c.Request(), c.RealIP())
			if presented.NeedsCSRFHeader(c.Request()) {
				return errCSRF
			}
			p, err := r.Resolve(c.Request().Context(), presented)
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

func principal(c echo.Context) credential.Principal {
	p, _ := c.Get(principalKey).(credential.Principal)
	return p
}
