package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"xtraauth/approval"
	"xtraauth/store"
)

// Approvals serves /api/unlock_requests and /api/approvals: requests that
// need an admin's decision, the decisions, and claiming an approved dev_key.
type Approvals struct {
	Approvals *approval.Service
}

// Register adds the routes; unlock requests come from people who cannot
// log in, the rest is behind auth.
func (h *Approvals) Register(r routes) {
	r.api.POST("/unlock_requests", h.requestUnlock)
	r.api.GET("/approvals", h.list, r.auth)
	r.api.GET("/approvals/:id", h.get, r.auth)
	r.api.DELETE("/approvals/:id", h.cancel, r.auth)
	r.api.POST("/approvals/:id/approve", h.decide(true), r.auth, requireAdmin)
	r.api.POST("/approvals/:id/reject", h.decide(false), r.auth, requireAdmin)
	r.api.POST("/approvals/:id/claim", h.claim, r.auth)
}

type approvalJSON struct {
	ID         int64   `json:"id"`
	Kind       string  `json:"kind"`
	State      string  `json:"state"`
	Login      string  `json:"login"`
	UserID     int64   `json:"user_id"`
	Label      string  `json:"label"`
	Reason     string  `json:"reason"`
	Platform   string  `json:"platform"`
	InstanceID *string `json:"instance_id"`
	CreatedAt  *string `json:"created_at"`
	DecidedAt  *string `json:"decided_at"`
	DecidedBy  *string `json:"decided_by"`
	Remark     string  `json:"remark"`
}

func orNull(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func approvalOut(a store.Approval) approvalJSON {
	return approvalJSON{ID: a.ID, Kind: a.Kind, State: a.State, Login: a.Login, UserID: a.UserID, Label: a.Label,
		Reason: a.Reason, Platform: a.Platform, InstanceID: orNull(a.InstanceID), CreatedAt: timeOut(&a.CreatedAt),
		DecidedAt: timeOut(a.DecidedAt), DecidedBy: orNull(a.DecidedBy), Remark: a.Remark}
}

func approvalData(c echo.Context, status int, msg string, a store.Approval) error {
	body := map[string]any{"code": status, "data": approvalOut(a)}
	if msg != "" {
		body["text"], body["message"] = msg, msg
	}
	return c.JSON(status, body)
}

type unlockRequestBody struct {
	Login    text `json:"login"`
	Username text `json:"username"`
	Reason   text `json:"reason"`
}

// requestUnlock answers 202 alike whether or not the login exists or is
// locked; the service looks at it after the answer.
func (h *Approvals) requestUnlock(c echo.Context) error {
	if !h.Approvals.Enabled(store.ApprovalUnlock) {
		return errNotFound
	}
	var b unlockRequestBody
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	login := b.Login
	if login == "" {
		login = b.Username
	}
	err := h.Approvals.RequestUnlock(c.Request().Context(), string(login), string(b.Reason), c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusAccepted, map[string]any{"code": http.StatusAccepted, "text": "Accepted", "message": "Accepted"})
}

func (h *Approvals) list(c echo.Context) error {
	page := queryInt(c, "page", 1)
	perPage := min(queryInt(c, "perPage", 20), maxPerPage)
	found, n, err := h.Approvals.List(c.Request().Context(), principal(c).User, store.ApprovalFilter{
		State: c.QueryParam("state"), Kind: c.QueryParam("kind"), Offset: (page - 1) * perPage, Limit: perPage,
	})
	if err != nil {
		return err
	}
	return listOf(c, found, approvalOut, n, page)
}

func (h *Approvals) get(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	a, err := h.Approvals.Get(c.Request().Context(), principal(c).User, id)
	if err != nil {
		return err
	}
	return approvalData(c, http.StatusOK, "", a)
}

func (h *Approvals) cancel(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	a, err := h.Approvals.Cancel(c.Request().Context(), principal(c).User, id, c.RealIP())
	if err != nil {
		return err
	}
	return approvalData(c, http.StatusOK, "", a)
}

type remarkBody struct {
	Remark text `json:"remark"`
}

func (h *Approvals) decide(approve bool) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, "id")
		if err != nil {
			return err
		}
		var b remarkBody
		if err := decodeOptionalBody(c, &b); err != nil {
			return err
		}
		a, err := h.Approvals.Decide(c.Request().Context(), principal(c).User, id, approve, string(b.Remark), c.RealIP())
		if err != nil {
			return err
		}
		return approvalData(c, http.StatusOK, "", a)
	}
}

func (h *Approvals) claim(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	k, err := h.Approvals.Claim(c.Request().Context(), principal(c).User, id, c.RealIP())
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"code": http.StatusOK, "data": map[string]any{
		"id": k.ID, "label": k.Label, "dev_key": k.Key, "created_at": timeOut(&k.CreatedAt),
	}})
}

// decodeOptionalBody is decodeBody for routes whose body may be left out
// entirely.
func decodeOptionalBody(c echo.Context, dst any) error {
	r := c.Request()
	if r.ContentLength == 0 && r.Header.Get(echo.HeaderContentType) == "" {
		return nil
	}
	return decodeBody(c, dst)
}
