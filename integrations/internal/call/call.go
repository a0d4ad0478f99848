// Package call makes the JSON calls of the small platform clients. Its
// errors name the call, never its URL: DingTalk's old API and the robots
// carry access tokens in their URLs, and errors reach logs and
// GET /api/integrations.
package call

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"
)

// maxResponse bounds what is read of an answer.
const maxResponse = 1 << 20

// Request is one call.
type Request struct {
	Name   string // what the call is, for errors ("dingtalk getbymobile")
	Method string
	URL    string
	Header http.Header
	Body   any // marshalled as JSON; nil for none
}

// StatusError is an answer outside 2xx.
type StatusError struct {
	Name   string
	Status int
	Body   string // the start of the answer
}

func (e *StatusError) Error() string {
	if e.Body == "" {
		return fmt.Sprintf("%s: HTTP %d", e.Name, e.Status)
	}
	return fmt.Sprintf("%s: HTTP %d: %s", e.Name, e.Status, e.Body)
}

// JSON sends r and decodes a 2xx answer into out. A non-2xx answer is a
// *StatusError; its body is still decoded into out when it is JSON, so
// platforms that explain errors in the body can be read.
func JSON(ctx context.Context, client *http.Client, r Request, out any) error {
	var body io.Reader
	if r.Body != nil {
		raw, err := json.Marshal(r.Body)
		if err != nil {
			return fmt.Errorf("%s: %w", r.Name, err)
		}
		body = bytes.NewReader(raw)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, r.URL, body)
	if err != nil {
		return fmt.Errorf("%s: bad URL", r.Name)
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
	}
	res, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("%s: %w", r.Name, unwrapURL(err))
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(res.Body, maxResponse))
	if err != nil {
		return fmt.Errorf("%s: reading the answer: %w", r.Name, unwrapURL(err))
	}
	decodeErr := json.Unmarshal(raw, out)
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return &StatusError{Name: r.Name, Status: res.StatusCode, Body: snippet(raw)}
	}
	if decodeErr != nil {
		return fmt.Errorf("%s: the answer is not the JSON expected: %s", r.Name, snippet(raw))
	}
	return nil
}

// unwrapURL drops the URL that net/http puts in its errors.
func unwrapURL(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return errors.New("timed out")
		}
		return ue.Err
	}
	return err
}

// snippet is the start of an answer, on one line, for an error message.
func snippet(raw []byte) string {
	const max = 200
	s := strings.Join(strings.Fields(string(raw)), " ")
	if len(s) > max {
		s = s[:max]
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return s
}
