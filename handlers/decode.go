package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
)

// MaxBodyBytes bounds every request body.
const MaxBodyBytes = 64 << 10

var (
	errTooLarge    = newError(http.StatusRequestEntityTooLarge, "Request Entity Too Large")
	errMediaType   = newError(http.StatusUnsupportedMediaType, "Unsupported Media Type: send application/json or application/x-www-form-urlencoded")
	errMalformed   = badRequest("Malformed Body")
	errFormNesting = badRequest("Malformed Body: a form field is given twice")
)

// decodeBody reads a JSON or form body into dst. Form fields become JSON
// strings first, so that one set of struct tags and lenient field types
// serves both encodings.
func decodeBody(c echo.Context, dst any) error {
	ct, _, _ := mime.ParseMediaType(c.Request().Header.Get(echo.HeaderContentType))
	if ct != echo.MIMEApplicationJSON && ct != echo.MIMEApplicationForm {
		return errMediaType
	}
	raw, err := readBody(c.Request())
	if err != nil {
		return err
	}
	if ct == echo.MIMEApplicationForm {
		if raw, err = formToJSON(raw); err != nil {
			return err
		}
	}
	if len(bytes.TrimSpace(raw)) == 0 {
		raw = []byte("{}")
	}
	if err := json.Unmarshal(raw, dst); err != nil {
		return &Error{Status: http.StatusBadRequest, Text: errMalformed.Text, Cause: err}
	}
	return nil
}

func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBodyBytes {
		return nil, errTooLarge
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, MaxBodyBytes+1))
	if err != nil {
		return nil, &Error{Status: http.StatusBadRequest, Text: errMalformed.Text, Cause: err}
	}
	if len(raw) > MaxBodyBytes {
		return nil, errTooLarge
	}
	return raw, nil
}

func formToJSON(raw []byte) ([]byte, error) {
	values, err := url.ParseQuery(string(raw))
	if err != nil {
		return nil, &Error{Status: http.StatusBadRequest, Text: errMalformed.Text, Cause: err}
	}
	flat := make(map[string]string, len(values))
	for k, v := range values {
		if len(v) > 1 {
			return nil, errFormNesting
		}
		flat[k] = v[0]
	}
	return json.Marshal(flat)
}

// text is a string field that also takes a JSON number (clients send
// logins like 1007 unquoted) and treats null as empty.
type text string

func (t *text) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*t = text(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err == nil {
		*t = text(n.String())
		return nil
	}
	if string(b) == "null" {
		*t = ""
		return nil
	}
	return errors.New("want a string")
}

// flag is a 0/1 field that also takes "0"/"1", "true"/"false" and booleans.
type flag bool

func (f *flag) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	switch s {
	case "1", "true":
		*f = true
	case "0", "false", "", "null":
		*f = false
	default:
		return errors.New("want 0 or 1")
	}
	return nil
}

// queryInt reads a positive integer query parameter, else def; one too
// large for an int reads as the largest int.
func queryInt(c echo.Context, name string, def int) int {
	n, err := strconv.Atoi(c.QueryParam(name))
	if (err != nil && !errors.Is(err, strconv.ErrRange)) || n < 1 {
		return def
	}
	return n
}

// queryTime reads a time query parameter given as RFC 3339 or unix
// seconds; absent is the zero time.
func queryTime(c echo.Context, name string) (time.Time, error) {
	t, err := parseTime(c.QueryParam(name))
	if err != nil {
		return time.Time{}, badRequest(name + " must be an RFC 3339 time or unix seconds")
	}
	return t, nil
}

// parseTime reads RFC 3339 (with any fraction of a second) or unix
// seconds; "" is the zero time.
func parseTime(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
		if secs < minUnix || secs > maxUnix {
			return time.Time{}, errors.New("out of range")
		}
		return time.Unix(secs, 0).UTC(), nil
	}
	return time.Parse(time.RFC3339Nano, s)
}

// The years 0001 to 9999, as RFC 3339 and both databases can hold them.
const (
	minUnix = -62135596800
	maxUnix = 253402300799
)

// pageQuery reads a list's page and perPage (capped quietly at
// maxPerPage) and the offset they name. A page past the end names an
// empty page, also one so far that its offset would overflow.
func pageQuery(c echo.Context) (page, perPage, offset int) {
	page = queryInt(c, "page", 1)
	perPage = min(queryInt(c, "perPage", 20), maxPerPage)
	if page-1 > math.MaxInt/perPage {
		return page, perPage, math.MaxInt
	}
	return page, perPage, (page - 1) * perPage
}
