package handlers

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"xtraauth/account"
	"xtraauth/captcha"
	"xtraauth/lockout"
	"xtraauth/metrics"
)

// Captchas serves /api/captchas: make one for a login (or, without one,
// for the client address) and fetch its picture or sound.
type Captchas struct {
	Captchas *captcha.Service
	Lockout  *lockout.Lockout
	Metrics  *metrics.Metrics
}

// Register adds the routes; captchas are for people not yet logged in.
func (h *Captchas) Register(r routes) {
	r.api.GET("/captchas", h.create)
	r.api.GET("/captchas/:id", h.show)
}

// create answers alike for known and unknown logins: the binding is just
// the lower-cased login.
func (h *Captchas) create(c echo.Context) error {
	ctx := c.Request().Context()
	addr := c.RealIP()
	if err := h.Lockout.AllowCaptcha(ctx, addr); err != nil {
		return err
	}
	login := c.QueryParam("login")
	if len(login) > account.MaxLoginLen {
		return badRequest("login is too long")
	}
	binding := captcha.AddressBinding(addr)
	if login != "" {
		binding = captcha.LoginBinding(account.Key(login))
	}
	id, err := h.Captchas.Create(ctx, binding, addr, c.QueryParam("type") == "audio")
	if err != nil {
		return err
	}
	h.Metrics.Captcha()
	return c.JSON(http.StatusOK, map[string]any{"message": "success", "code": http.StatusOK, "data": map[string]any{
		"captcha_id": id, "pic_path": "/api/captchas/" + strconv.FormatInt(id, 10),
	}})
}

func (h *Captchas) show(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	contentType, data, err := h.Captchas.Render(c.Request().Context(), id)
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderCacheControl, "no-store")
	return c.Blob(http.StatusOK, contentType, data)
}
