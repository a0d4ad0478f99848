package handlers

import (
	"errors"
	"log/slog"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"xtraauth/fault"
	"xtraauth/metrics"
)

// Error is the one wire error of the API: a status, the kind of failure,
// the text users see, extra fields of the body, headers, and a private
// cause for the log. Domain packages say their failures as faults
// (package fault); handlers make Errors only of HTTP's own refusals.
type Error struct {
	Status int
	Kind   fault.Kind
	Text   string
	Fields map[string]any
	Header map[string]string
	Cause  error
}

func (e *Error) Error() string { return e.Text }
func (e *Error) Unwrap() error { return e.Cause }

func newError(status int, text string) *Error { return &Error{Status: status, Text: text} }

// Errors with fixed texts, as XSwitch clients know them.
var (
	errNotAuthorized = newError(http.StatusUnauthorized, "Not Authorized")
	errForbidden     = newError(http.StatusForbidden, "Forbidden")
	errNoSession     = newError(http.StatusNotFound, "Session Does Not Exist")
	errNotFound      = newError(http.StatusNotFound, "Not Found")
	errInternal      = newError(http.StatusInternalServerError, "Internal Error")
	errUnavailable   = newError(http.StatusServiceUnavailable, "Service Unavailable")
)

func badRequest(text string) *Error { return newError(http.StatusBadRequest, text) }

// statuses are the statuses of the kinds of fault on the XSwitch API;
// other doors change some of them.
var statuses = map[fault.Kind]int{
	fault.Invalid: http.StatusBadRequest, fault.Unauthenticated: http.StatusUnauthorized,
	fault.WrongCredentials: http.StatusForbidden, fault.Forbidden: http.StatusForbidden,
	fault.NotFound: http.StatusNotFound, fault.Conflict: http.StatusConflict, fault.Captcha: http.StatusForbidden,
	fault.Locked: http.StatusTooManyRequests, fault.RateLimited: http.StatusTooManyRequests,
	fault.Busy: http.StatusServiceUnavailable,
}

// toError maps any error to the wire error on a door; unknown errors
// become 500 without their internals.
func toError(d *door, err error) *Error {
	var e *Error
	var he *echo.HTTPError
	if errors.As(err, &e) {
		return e
	}
	if errors.As(err, &he) {
		return &Error{Status: he.Code, Text: http.StatusText(he.Code), Cause: err}
	}
	if f, ok := fault.As(err); ok {
		return fromFault(d, f, err)
	}
	return &Error{Status: errInternal.Status, Text: errInternal.Text, Cause: err}
}

// fromFault is the wire error of a fault: its door's status, its text, and
// what its kind adds — the captcha flag, when to try again.
func fromFault(d *door, f fault.Error, cause error) *Error {
	status, ok := d.statuses[f.Kind()]
	if !ok {
		status = statuses[f.Kind()]
	}
	e := &Error{Status: status, Kind: f.Kind(), Text: f.Public(), Cause: cause}
	if f.Kind() == fault.Captcha {
		e.Fields = map[string]any{"captcha_required": true}
	}
	if w, ok := f.(fault.Waiter); ok {
		secs := fault.Seconds(w.TryAgainIn())
		e.Header = map[string]string{"Retry-After": strconv.FormatInt(secs, 10)}
		if f.Kind() != fault.Busy {
			e.Fields = map[string]any{"retry_after": secs}
		}
	}
	return e
}

// failClosed is for paths that check a secret: a store failure there is
// 503, never a login that skipped a check.
func failClosed(err error) error {
	var e *Error
	if _, isFault := fault.As(err); isFault || errors.As(err, &e) {
		return err
	}
	return &Error{Status: errUnavailable.Status, Text: errUnavailable.Text, Cause: err}
}

// statusClientClosed is what the log and the metrics show for a request
// whose client hung up before the answer, as nginx's 499.
const statusClientClosed = 499

// errorHandler is Echo's HTTPErrorHandler: every error leaves in the shape
// of the front door it came through (see door).
func errorHandler(log *slog.Logger, doors *doors) echo.HTTPErrorHandler {
	return func(err error, c echo.Context) {
		if c.Response().Committed {
			return
		}
		if c.Request().Context().Err() != nil {
			// The client hung up: nobody reads an answer, and the store
			// calls it cut short are no failure of ours.
			c.Response().WriteHeader(statusClientClosed)
			return
		}
		d := doors.of(c)
		e := toError(d, err)
		if e.Status >= 500 {
			log.Error("request failed", "method", metrics.Method(c.Request().Method), "route", c.Path(),
				"status", e.Status, "err", err, "cause", e.Cause)
		}
		h := c.Response().Header()
		for k, v := range e.Header {
			h.Set(k, v)
		}
		h.Set(echo.HeaderCacheControl, "no-store")
		_ = c.JSON(e.Status, d.body(e))
	}
}

// ok is the body of deletes and updates.
func ok(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]any{"code": http.StatusOK, "text": "OK"})
}

// list is the body of every list.
func list(c echo.Context, data any, rowCount, page int) error {
	return c.JSON(http.StatusOK, map[string]any{"code": http.StatusOK, "data": data, "rowCount": rowCount, "page": page})
}

// listOf answers items as a list, each as out renders it.
func listOf[T, J any](c echo.Context, items []T, out func(T) J, rowCount, page int) error {
	data := make([]J, len(items))
	for i, it := range items {
		data[i] = out(it)
	}
	return list(c, data, rowCount, page)
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
