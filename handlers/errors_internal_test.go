package handlers

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/labstack/echo/v4"
)

// A client that hangs up before its answer is no server failure: the log
// and the metrics show 499, not an error and a 503.
func TestClientGoneIsNoFailure(t *testing.T) {
	var log strings.Builder
	handle := errorHandler(slog.New(slog.NewTextHandler(&log, nil)), &doors{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	req := httptest.NewRequest(http.MethodPost, "/api/sessions", nil).WithContext(ctx)
	rec := httptest.NewRecorder()
	c := echo.New().NewContext(req, rec)
	handle(failClosed(context.Canceled), c)
	if c.Response().Status != statusClientClosed || log.Len() != 0 {
		t.Fatalf("status %d, log %q; want 499 and nothing logged", c.Response().Status, log.String())
	}

	// while the client waits, a store failure is one
	req = httptest.NewRequest(http.MethodPost, "/api/sessions", nil)
	rec = httptest.NewRecorder()
	c = echo.New().NewContext(req, rec)
	handle(failClosed(errors.New("redis: connection refused")), c)
	if rec.Code != http.StatusServiceUnavailable || !strings.Contains(log.String(), "connection refused") {
		t.Fatalf("status %d, log %q; want 503 and the cause logged", rec.Code, log.String())
	}
}
