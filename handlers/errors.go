package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"xtraauth/account"
	"xtraauth/credential"
	"xtraauth/lockout"
	"xtraauth/login"
	"xtraauth/oauth"
	"xtraauth/store"
)

// Error is the one wire error of the API: a status, the text users see,
// extra fields of the body, headers, and a private cause for the log.
type Error struct {
	Status int
	Text   string
	Fields map[string]any
	Header map[string]string
	Cause  error
	bare   bool // DMS token errors are {"message":"..."} alone
}

func (e *Error) Error() string { return e.Text }
func (e *Error) Unwrap() error { return e.Cause }

func newError(status int, text string) *Error { return &Error{Status: status, Text: text} }

// Errors with fixed texts, as XSwitch clients know them.
var (
	errNotAuthorized    = newError(http.StatusUnauthorized, "Not Authorized")
	errForbidden        = newError(http.StatusForbidden, "Forbidden")
	errWrongCredentials = newError(http.StatusForbidden, "Wrong username or password")
	errNoSession        = newError(http.StatusNotFound, "Session Does Not Exist")
	errNotFound         = newError(http.StatusNotFound, "Not Found")
	errInternal         = newError(http.StatusInternalServerError, "Internal Error")
	errUnavailable      = newError(http.StatusServiceUnavailable, "Service Unavailable")
)

func badRequest(text string) *Error { return newError(http.StatusBadRequest, text) }

// toError maps any error to the wire error; unknown errors become 500
// without their internals.
func toError(err error) *Error {
	var e *Error
	var he *echo.HTTPError
	var inv *account.InvalidError
	var locked *lockout.LockedError
	switch {
	case errors.As(err, &e):
		return e
	case errors.As(err, &he):
		return &Error{Status: he.Code, Text: http.StatusText(he.Code), Cause: err}
	case errors.As(err, &inv):
		return badRequest(inv.Reason)
	case errors.As(err, &locked):
		s := locked.RetryAfterSeconds()
		return &Error{Status: http.StatusTooManyRequests, Text: "Too Many Failed Attempts",
			Fields: map[string]any{"retry_after": s}, Header: map[string]string{"Retry-After": strconv.FormatInt(s, 10)}}
	case errors.Is(err, lockout.ErrCaptchaRequired):
		return &Error{Status: http.StatusForbidden, Text: "Captcha Required", Fields: map[string]any{"captcha_required": true}}
	case errors.Is(err, lockout.ErrWrongCaptcha):
		return &Error{Status: http.StatusForbidden, Text: "Wrong Captcha", Fields: map[string]any{"captcha_required": true}}
	case errors.Is(err, login.ErrWrongCredentials):
		return errWrongCredentials
	case errors.Is(err, credential.ErrUnauthenticated):
		return errNotAuthorized
	case errors.Is(err, account.ErrForbidden):
		return errForbidden
	case errors.Is(err, account.ErrWrongOldPassword):
		return newError(http.StatusForbidden, "Wrong Old Password")
	case errors.Is(err, account.ErrBusy):
		return &Error{Status: http.StatusServiceUnavailable, Text: "Service Unavailable",
			Header: map[string]string{"Retry-After": "2"}, Cause: err}
	case errors.Is(err, oauth.ErrSudoNotAllowed):
		return newError(http.StatusForbidden, "Sudo Not Allowed")
	case errors.Is(err, oauth.ErrSudoNotFound):
		return newError(http.StatusNotFound, "Sudo User Not Found")
	case errors.Is(err, oauth.ErrTenant):
		return newError(http.StatusForbidden, "Tenant Not Allowed")
	case errors.Is(err, oauth.ErrBadSudo), errors.Is(err, oauth.ErrBadClientID),
		errors.Is(err, oauth.ErrBadTenantCode), errors.Is(err, oauth.ErrBadTenantName):
		return badRequest(err.Error())
	case errors.Is(err, oauth.ErrInvalidClient):
		return newError(http.StatusUnauthorized, "Invalid Client")
	case errors.Is(err, oauth.ErrTokenNotFound):
		return newError(http.StatusNotFound, "Token Does Not Exist")
	case errors.Is(err, store.ErrNotFound):
		return errNotFound
	case errors.Is(err, store.ErrAlreadyExists):
		return newError(http.StatusConflict, "Already Exists")
	case errors.Is(err, store.ErrLastSuperAdmin):
		return newError(http.StatusConflict, "The last enabled super admin cannot be disabled or deleted")
	}
	return &Error{Status: errInternal.Status, Text: errInternal.Text, Cause: err}
}

// failClosed is for paths that check a secret: a store failure there is
// 503, never a login that skipped a check.
func failClosed(err error) error {
	if e := toError(err); e.Status == http.StatusInternalServerError {
		return &Error{Status: errUnavailable.Status, Text: errUnavailable.Text, Cause: err}
	}
	return err
}

// errorHandler is Echo's HTTPErrorHandler: every error leaves as
// {"code":N,"text":"...","message":"..."} with status N.
func errorHandler(log *slog.Logger) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		e := toError(err)
		if e.Status >= 500 {
			log.Error("request failed", "method", c.Request().Method, "route", c.Path(), "status", e.Status, "err", err)
		}
		writeError(c, e)
	}
}

func writeError(c echo.Context, e *Error) {
	h := c.Response().Header()
	for k, v := range e.Header {
		h.Set(k, v)
	}
	h.Set(echo.HeaderCacheControl, "no-store")
	switch path := c.Request().URL.Path; {
	case strings.HasPrefix(path, dmsPrefix):
		_ = c.JSON(e.Status, dmsBody(e))
		return
	case strings.HasPrefix(path, oauthPrefix):
		_ = c.JSON(e.Status, oauthBody(e))
		return
	}
	body := map[string]any{"code": e.Status, "text": e.Text, "message": e.Text}
	for k, v := range e.Fields {
		body[k] = v
	}
	_ = c.JSON(e.Status, body)
}

// ok is the body of deletes and updates.
func ok(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"code": http.StatusOK, "text": "OK"})
}

// list is the body of every list.
func list(c echo.Context, data any, rowCount, page int) error {
	return c.JSON(http.StatusOK, map[string]any{"code": http.StatusOK, "data": data, "rowCount": rowCount, "page": page})
}

// pathID reads an id from the path; a malformed one names nothing, so 404.
func pathID(c echo.Context, name string) (int64, error) {
	id, err := parseID(c.Param(name))
	if err != nil {
		return 0, errNotFound
	}
	return id, nil
}

func parseID(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 {
		return 0, errors.New("not a positive integer")
	}
	return id, nil
}
