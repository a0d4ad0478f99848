package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"xtraauth/credential"
	"xtraauth/dms"
	"xtraauth/login"
	"xtraauth/metrics"
	"xtraauth/session"
	"xtraauth/store"
)

// DMS serves /v1/dms/sessions, the DMS/SQLE login: the same accounts,
// lockout and sessions as /api/sessions, with a JWT in the dms-token cookie.
type DMS struct {
	Login    *login.Service
	Sessions *session.Manager
	Resolver *credential.Resolver
	Tokens   *dms.Tokens
	Address  func(*http.Request) string
	Metrics  *metrics.Metrics
}

// dmsPrefix marks the routes whose errors take DMS's body shape.
const dmsPrefix = "/v1/dms/"

// The DMS messages for a missing and for a bad token.
var (
	errNoDMSToken  = &Error{Status: http.StatusUnauthorized, Text: "can not find dms-token", bare: true}
	errBadDMSToken = &Error{Status: http.StatusUnauthorized, Text: "invalid or expired jwt", bare: true}
)

// Register adds the routes.
func (h *DMS) Register(e *echo.Echo) {
	g := e.Group("/v1/dms")
	g.POST("/sessions", h.create)
	g.GET("/sessions/user", h.user, h.authenticate)
	g.DELETE("/sessions", h.delete, h.authenticate)
}

type dmsLoginBody struct {
	Session struct {
		Username   text `json:"username"`
		Password   text `json:"password"`
		CaptchaStr text `json:"captcha_str"`
		CaptchaID  text `json:"captcha_id"`
	} `json:"session"`
}

func (h *DMS) create(c echo.Context) error {
	var b dmsLoginBody
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	body := loginBody{Login: b.Session.Username, Password: b.Session.Password,
		CaptchaStr: b.Session.CaptchaStr, CaptchaID: b.Session.CaptchaID}
	if b.Session.Password == "" && b.Session.Username != "" {
		return badRequest("password is required")
	}
	res, err := logIn(c, h.Login, h.Metrics, body, h.Address(c.Request()), session.KindDMS)
	if errors.Is(err, login.ErrWrongCredentials) {
		return newError(http.StatusUnauthorized, errWrongCredentials.Text)
	}
	if err != nil {
		return failClosed(err)
	}
	digest := store.Digest(res.Token)
	token, err := h.Tokens.Sign(res.Session, digest)
	if err != nil {
		_ = h.Sessions.End(c.Request().Context(), digest)
		return err
	}
	c.SetCookie(&http.Cookie{Name: credential.DMSCookie, Value: token, Path: "/", Expires: res.Session.ExpiresAt,
		HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return c.JSON(http.StatusOK, map[string]any{"data": map[string]string{"token": token}, "code": 0, "message": ""})
}

// authenticate takes the dms-token cookie or the Authorization header and
// answers with DMS's own messages when it is missing or bad.
func (h *DMS) authenticate(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		presented := credential.ReadDMS(c.Request(), c.RealIP())
		if presented.Token == "" {
			return errNoDMSToken
		}
		p, err := h.Resolver.Resolve(c.Request().Context(), presented)
		if errors.Is(err, credential.ErrUnauthenticated) || (err == nil && p.User.ID == 0) {
			return errBadDMSToken
		}
		if err != nil {
			return err
		}
		c.Set(principalKey, p)
		return next(c)
	}
}

func (h *DMS) user(c echo.Context) error {
	u := principal(c).User
	return c.JSON(http.StatusOK, map[string]any{"code": 0, "message": "ok",
		"data": map[string]string{"user_uid": strconv.FormatInt(u.ID, 10), "name": u.Login}})
}

func (h *DMS) delete(c echo.Context) error {
	err := h.Sessions.End(c.Request().Context(), principal(c).SessionDigest)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	c.SetCookie(&http.Cookie{Name: credential.DMSCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	return c.JSON(http.StatusOK, map[string]any{"code": 0, "message": "ok"})
}

// dmsBody renders an error in DMS's shape: {"code":N,"message":"..."}, or
// just {"message":"..."} for its token errors.
func dmsBody(e *Error) map[string]any {
	if e.bare {
		return map[string]any{"message": e.Text}
	}
	body := map[string]any{"code": e.Status, "message": e.Text}
	for k, v := range e.Fields {
		body[k] = v
	}
	return body
}
