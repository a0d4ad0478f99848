package handlers

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"xtraauth/account"
	"xtraauth/credential"
	"xtraauth/fault"
	"xtraauth/lockout"
	"xtraauth/login"
	"xtraauth/metrics"
	"xtraauth/oauth"
	"xtraauth/session"
	"xtraauth/store"
)

// Sessions serves POST and DELETE /api/sessions, the XSwitch login.
type Sessions struct {
	Login    *login.Service
	Sessions *session.Manager
	Resolver *credential.Resolver
	Metrics  *metrics.Metrics
}

// Register adds the routes.
func (h *Sessions) Register(r routes) {
	r.api.POST("/sessions", h.create)
	r.api.DELETE("/sessions", h.delete)
}

type loginBody struct {
	Login      text `json:"login"`
	Username   text `json:"username"`
	Password   text `json:"password"`
	DevKey     text `json:"dev_key"`
	CaptchaStr text `json:"captcha_str"`
	CaptchaID  text `json:"captcha_id"`
}

// request checks the body and turns it into a login request; login wins
// over username, and a password over a dev_key.
func (b loginBody) request(address string) (login.Request, error) {
	name := string(b.Login)
	if name == "" {
		name = string(b.Username)
	}
	switch {
	case name == "":
		return login.Request{}, badRequest("login is required")
	case b.Password == "" && b.DevKey == "":
		return login.Request{}, badRequest("password or dev_key is required")
	case len(name) > account.MaxLoginLen:
		return login.Request{}, badRequest("login is too long")
	case len(b.Password) > account.MaxPasswordLen || len(b.DevKey) > account.MaxPasswordLen:
		return login.Request{}, badRequest("password is too long")
	}
	r := login.Request{
		Attempt: account.Attempt{Login: name, Address: address,
			CaptchaID: string(b.CaptchaID), CaptchaAnswer: string(b.CaptchaStr)},
		Password: string(b.Password),
	}
	if r.Password == "" {
		r.DevKey = string(b.DevKey)
	}
	return r, nil
}

func (h *Sessions) create(c echo.Context) error {
	var body loginBody
	if err := decodeBody(c, &body); err != nil {
		return err
	}
	res, err := logIn(c, h.Login, h.Metrics, body, c.RealIP(), session.KindXSwitch)
	if err != nil {
		return failClosed(err)
	}
	return c.JSON(http.StatusOK, loginReply(res))
}

// logIn checks a login body and logs in at the front door kind, counting
// the outcome; every door's login goes through here.
func logIn(c echo.Context, svc *login.Service, m *metrics.Metrics, body loginBody, address, kind string) (login.Result, error) {
	req, err := body.request(address)
	if err != nil {
		return login.Result{}, err
	}
	res, err := svc.Login(c.Request().Context(), req, kind)
	m.Login(kind, outcome(err))
	return res, err
}

func loginReply(res login.Result) map[string]any {
	u := res.User
	authority := "user"
	if u.IsSuper {
		authority = "admin"
	}
	return map[string]any{
		"code":             http.StatusOK,
		"token":            res.Token,
		"user_id":          u.ID,
		"login":            u.Login,
		"name":             u.Name,
		"extn":             u.ExtnID,
		"currentAuthority": authority,
		"super_admin":      bit(u.IsSuper),
		"expires":          res.Session.ExpiresAt.Unix(),
		"system_roles":     map[string]string{"senior_roles_str": "()", "roles_str": "()"},
	}
}

// delete ends the session of the request's token. A dev_key is no
// session, so it gets the seed's 404 like an unknown token.
func (h *Sessions) delete(c echo.Context) error {
	p := credential.Read(c.Request(), c.RealIP())
	if p.Token == "" {
		return errNotAuthorized
	}
	if p.NeedsCSRFHeader(c.Request()) {
		return errCSRF
	}
	digest, found := h.Resolver.SessionDigest(p.Token)
	var err error = store.ErrNotFound
	if found {
		err = h.Sessions.End(c.Request().Context(), digest)
	}
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errNoSession
	case err != nil:
		return &Error{Status: errInternal.Status, Text: errInternal.Text, Cause: err}
	}
	return ok(c)
}

// outcome names a login's result for metrics.
func outcome(err error) string {
	switch {
	case err == nil:
		return "success"
	case errors.Is(err, login.ErrWrongCredentials), errors.Is(err, oauth.ErrInvalidClient):
		return "wrong_credentials"
	case errors.Is(err, lockout.ErrCaptchaRequired):
		return "captcha_required"
	case errors.Is(err, lockout.ErrWrongCaptcha):
		return "wrong_captcha"
	case fault.Is(err, fault.Locked):
		return "locked"
	}
	return "error"
}

func bit(b bool) int {
	if b {
		return 1
	}
	return 0
}
