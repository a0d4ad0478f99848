package handlers

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"xtraauth/credential"
	"xtraauth/dms"
	"xtraauth/fault"
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
	Metrics  *metrics.Metrics
	Cookies  cookies
}

// DMSRefreshCookie holds the refresh token DMS's web client trades for a
// new dms-token on a 401.
const DMSRefreshCookie = "dms-refresh-token"

// The DMS messages for a missing and for a bad token.
var (
	errNoDMSToken  = &Error{Status: http.StatusUnauthorized, Kind: fault.Unauthenticated, Text: "can not find dms-token"}
	errBadDMSToken = &Error{Status: http.StatusUnauthorized, Kind: fault.Unauthenticated, Text: "invalid or expired jwt"}
)

// Register adds the routes.
func (h *DMS) Register(r routes) {
	r.dms.POST("/sessions", h.create)
	r.dms.POST("/sessions/refresh", h.refresh)
	r.dms.GET("/sessions/user", h.user, h.authenticate)
	r.dms.DELETE("/sessions", h.delete, h.authenticate)
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
	res, err := logIn(c, h.Login, h.Metrics, body, c.RealIP(), session.KindDMS)
	if err != nil {
		return failClosed(err)
	}
	refresh, err := h.Login.StartRefresh(c.Request().Context(), res.User)
	if err != nil {
		_ = h.Sessions.End(c.Request().Context(), store.Digest(res.Token))
		return failClosed(err)
	}
	c.SetCookie(h.Cookies.cookie(c.Request(), DMSRefreshCookie, refresh.Token, refresh.Session, http.SameSiteStrictMode))
	return h.reply(c, res)
}

// refresh trades the dms-refresh-token cookie for a new dms-token, as DMS
// does; the refresh token itself stays until it expires or the user's
// sessions end.
func (h *DMS) refresh(c echo.Context) error {
	ck, err := c.Cookie(DMSRefreshCookie)
	if err != nil || ck.Value == "" {
		return login.ErrNoRefresh
	}
	digest, ok := h.Resolver.SessionDigest(ck.Value)
	if !ok {
		return login.ErrNoRefresh
	}
	res, err := h.Login.Refresh(c.Request().Context(), digest, session.KindDMS)
	if err != nil {
		return failClosed(err)
	}
	return h.reply(c, res)
}

// reply signs the JWT of a new DMS session and sends it as DMS does, in
// the body and in the dms-token cookie.
func (h *DMS) reply(c echo.Context, res login.Result) error {
	digest := store.Digest(res.Token)
	token, err := h.Tokens.Sign(res.Session, digest)
	if err != nil {
		_ = h.Sessions.End(c.Request().Context(), digest)
		return err
	}
	noStore(c)
	c.SetCookie(h.Cookies.cookie(c.Request(), credential.DMSCookie, token, res.Session, http.SameSiteLaxMode))
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

// delete ends the session and the refresh session, and clears both cookies.
func (h *DMS) delete(c echo.Context) error {
	ctx := c.Request().Context()
	digests := []string{principal(c).SessionDigest}
	if ck, err := c.Cookie(DMSRefreshCookie); err == nil {
		if d, ok := h.Resolver.SessionDigest(ck.Value); ok {
			digests = append(digests, d)
		}
	}
	for _, d := range digests {
		if err := h.Sessions.End(ctx, d); err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	r := c.Request()
	c.SetCookie(h.Cookies.cookie(r, credential.DMSCookie, "", store.Session{}, http.SameSiteLaxMode))
	c.SetCookie(h.Cookies.cookie(r, DMSRefreshCookie, "", store.Session{}, http.SameSiteStrictMode))
	return c.JSON(http.StatusOK, map[string]any{"code": 0, "message": "ok"})
}

// dmsDoor answers as DMS does: {"code":N,"message":"..."}, or just
// {"message":"..."} for a missing or bad token; a wrong password is 401.
var dmsDoor = &door{
	statuses: map[fault.Kind]int{fault.WrongCredentials: http.StatusUnauthorized},
	body: func(e *Error) map[string]any {
		if e.Kind == fault.Unauthenticated {
			return map[string]any{"message": e.Text}
		}
		body := map[string]any{"code": e.Status, "message": e.Text}
		for k, v := range e.Fields {
			body[k] = v
		}
		return body
	},
}
