package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"xtraauth/account"
	"xtraauth/approval"
	"xtraauth/store"
)

// DevKeys serves /api/dev_keys: a user's own keys; admins may name another
// user with user_id. When dev_keys need approval, a non-admin's new key is
// a request, made once approved and claimed.
type DevKeys struct {
	Accounts  *account.Service
	Approvals *approval.Service
}

// Register adds the routes behind auth.
func (h *DevKeys) Register(r routes) {
	r.api.GET("/dev_keys", h.list, r.auth)
	r.api.POST("/dev_keys", h.create, r.auth)
	r.api.DELETE("/dev_keys/:id", h.delete, r.auth)
}

type devKeyJSON struct {
	ID         int64   `json:"id"`
	Label      string  `json:"label"`
	Prefix     string  `json:"prefix"`
	CreatedAt  *string `json:"created_at"`
	LastUsedAt *string `json:"last_used_at"`
}

// owner is the user a request's keys belong to: the caller, or for admins
// the user named by user_id.
func owner(c echo.Context, userID int64) (int64, error) {
	me := principal(c).User
	if userID == 0 || userID == me.ID {
		return me.ID, nil
	}
	if !me.IsSuper {
		return 0, errForbidden
	}
	return userID, nil
}

func (h *DevKeys) list(c echo.Context) error {
	var uid int64
	if c.QueryParam("user_id") != "" {
		id, err := parseID(c.QueryParam("user_id"))
		if err != nil {
			return badRequest("user_id must be a positive integer")
		}
		uid = id
	}
	uid, err := owner(c, uid)
	if err != nil {
		return err
	}
	keys, err := h.Accounts.DevKeys(c.Request().Context(), uid)
	if err != nil {
		return err
	}
	return listOf(c, keys, func(k store.DevKey) devKeyJSON {
		return devKeyJSON{ID: k.ID, Label: k.Label, Prefix: k.Prefix, CreatedAt: timeOut(&k.CreatedAt), LastUsedAt: timeOut(k.LastUsedAt)}
	}, len(keys), 1)
}

type devKeyBody struct {
	Label  text  `json:"label"`
	Reason text  `json:"reason"` // for an approval
	UserID int64 `json:"user_id"`
}

// origin tells the account service who changes keys, for the audit trail.
func (h *DevKeys) origin(c echo.Context) context.Context {
	return account.WithOrigin(c.Request().Context(),
		account.Origin{Login: principal(c).User.Login, Address: c.RealIP()})
}

func (h *DevKeys) create(c echo.Context) error {
	var b devKeyBody
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	uid, err := owner(c, b.UserID)
	if err != nil {
		return err
	}
	if me := principal(c).User; !me.IsSuper && h.Approvals.Enabled(store.ApprovalDevKey) {
		a, err := h.Approvals.RequestDevKey(c.Request().Context(), me, string(b.Label), string(b.Reason), c.RealIP())
		if err != nil {
			return err
		}
		return approvalData(c, http.StatusAccepted, "Approval Required", a)
	}
	k, err := h.Accounts.CreateDevKey(h.origin(c), uid, string(b.Label))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"code": http.StatusOK, "data": map[string]any{
		"id": k.ID, "label": k.Label, "dev_key": k.Key, "created_at": timeOut(&k.CreatedAt),
	}})
}

// delete revokes a key; someone else's key is "not found" to a non-admin,
// so ids do not tell whose keys exist.
func (h *DevKeys) delete(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	ctx := h.origin(c)
	k, err := h.Accounts.DevKey(ctx, id)
	if err != nil {
		return err
	}
	if me := principal(c).User; !me.IsSuper && k.UserID != me.ID {
		return errNotFound
	}
	if err := h.Accounts.RevokeDevKey(ctx, id); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return ok(c)
}
