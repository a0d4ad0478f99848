package call_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"xtraauth/integrations/internal/call"
)

// TestErrorsNeverShowTheURL: tokens ride in some platforms' URLs.
func TestErrorsNeverShowTheURL(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body) // so that the server sees the client give up
		switch r.URL.Path {
		case "/hang":
			<-r.Context().Done()
		case "/500":
			http.Error(w, strings.Repeat("long failure ", 100), http.StatusInternalServerError)
		case "/garbage":
			_, _ = w.Write([]byte("<html>"))
		case "/close":
			hj, _ := w.(http.Hijacker)
			conn, _, _ := hj.Hijack()
			conn.Close()
		default:
			_, _ = w.Write([]byte(`{"ok":true}`))
		}
	}))
	defer srv.Close()
	client := &http.Client{Timeout: 2 * time.Second}
	const token = "s3cret-token"
	for path, want := range map[string]string{
		"/hang": "x: timed out", "/500": "x: HTTP 500: long failure", "/garbage": "x: the answer is not the JSON expected: <html>",
		"/close": "x: EOF", "/ok": "",
	} {
		var out struct{ OK bool }
		err := call.JSON(context.Background(), client, call.Request{Name: "x", Method: "POST", URL: srv.URL + path + "?access_token=" + token, Body: map[string]int{"a": 1}}, &out)
		switch {
		case want == "" && (err != nil || !out.OK):
			t.Errorf("%s: %v %+v", path, err, out)
		case want != "" && (err == nil || !strings.HasPrefix(err.Error(), want) || strings.Contains(err.Error(), token) || len(err.Error()) > 300):
			t.Errorf("%s: %v, want %q without the URL", path, err, want)
		}
	}
	err := call.JSON(context.Background(), client, call.Request{Name: "x", Method: "GET", URL: "http://127.0.0.1:1/?access_token=" + token}, &struct{}{})
	if err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("refused connection: %v", err)
	}
}
