package handlers

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"xtraauth/approval"
	"xtraauth/integrations"
	"xtraauth/integrations/feishu"
)

// Integrations serves GET /api/integrations for admins and Feishu's event
// callback.
type Integrations struct {
	Set       *integrations.Set
	Store     integrations.StatusStore
	Approvals *approval.Service
	Callback  *feishu.Callback // nil when Feishu's callback is not configured
	Replays   Counter          // remembers callbacks seen
	Log       *slog.Logger
}

// Counter is a fixed-window counter (store.Counters' Hit).
type Counter interface {
	Hit(ctx context.Context, key string, window time.Duration) (int64, error)
}

// replayWindow is how long a callback's id is remembered; signed callbacks
// older than feishu.MaxSkew are refused anyway.
const replayWindow = time.Hour

// Register adds the routes.
func (h *Integrations) Register(r routes) {
	r.api.GET("/integrations", h.list, r.auth, requireAdmin)
	r.api.POST("/integrations/feishu/events", h.feishuEvent)
}

type integrationJSON struct {
	Name          string  `json:"name"`
	Configured    bool    `json:"configured"`
	OK            bool    `json:"ok"`
	LastError     string  `json:"last_error"`
	LastSuccessAt *string `json:"last_success_at"`
	Pending       int     `json:"pending"`
}

func (h *Integrations) list(c echo.Context) error {
	statuses, err := h.Set.Overview(c.Request().Context(), h.Store)
	if err != nil {
		return err
	}
	out := make([]integrationJSON, len(statuses))
	for i, s := range statuses {
		out[i] = integrationJSON{Name: s.Name, Configured: s.Configured, OK: s.OK, LastError: s.LastError,
			LastSuccessAt: timeOut(s.LastSuccessAt), Pending: s.Pending}
	}
	return c.JSON(http.StatusOK, map[string]any{"code": http.StatusOK, "data": out})
}

// feishuEvent checks a callback (signature, decryption, token, replay) and
// answers 401 to anything that fails, having changed nothing. An approval
// event only makes xtraauth read that instance from Feishu's API.
func (h *Integrations) feishuEvent(c echo.Context) error {
	if h.Callback == nil {
		return errNotFound
	}
	raw, err := readBody(c.Request())
	if err != nil {
		return err
	}
	ev, err := h.Callback.Parse(c.Request().Header, raw)
	if err != nil {
		return errNotAuthorized
	}
	ctx := c.Request().Context()
	seen, err := h.Replays.Hit(ctx, "feishu-event:"+ev.ID, replayWindow)
	if err != nil {
		return failClosed(err)
	}
	if seen > 1 {
		return errNotAuthorized
	}
	if ev.Challenge != "" {
		return c.JSON(http.StatusOK, map[string]string{"challenge": ev.Challenge})
	}
	if err := h.Approvals.Refresh(ctx, ev.InstanceCode); err != nil {
		// Polling reads the instance again; Feishu need not resend.
		h.Log.Error("feishu event", "instance", ev.InstanceCode, "err", err)
	}
	return c.JSON(http.StatusOK, map[string]any{})
}
