package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

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

// queryInt reads a positive integer query parameter, else def.
func queryInt(c echo.Context, name string, def int) int {
	n, err := strconv.Atoi(c.QueryParam(name))
	if err != nil || n < 1 {
		return def
	}
	return n
}
