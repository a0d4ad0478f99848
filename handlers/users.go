package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"xtraauth/account"
	"xtraauth/store"
)

// maxPerPage caps list pages quietly.
const maxPerPage = 1000

// Users serves /api/users in the shapes of the XSwitch front-end.
type Users struct {
	Accounts *account.Service
}

// Register adds the routes behind auth.
func (h *Users) Register(r routes) {
	r.api.GET("/users", h.list, r.auth)
	r.api.GET("/users/me", h.me, r.auth)
	r.api.GET("/users/:id", h.get, r.auth)
	r.api.POST("/users", h.create, r.auth, requireAdmin)
	r.api.PUT("/users/:id", h.update, r.auth)
	r.api.DELETE("/users/:id", h.delete, r.auth, requireAdmin)
}

type userJSON struct {
	ID          int64   `json:"id"`
	Login       string  `json:"login"`
	Name        string  `json:"name"`
	Email       string  `json:"email"`
	Mobile      string  `json:"mobile"`
	Tel         string  `json:"tel"`
	ExtnID      string  `json:"extn_id"`
	Type        string  `json:"type"`
	Domain      string  `json:"domain"`
	Context     string  `json:"context"`
	IsSuper     int     `json:"is_super"`
	Disabled    int     `json:"disabled"`
	TenantID    int64   `json:"tenant_id"`
	LastLoginAt *string `json:"last_login_at"`
	CreatedAt   *string `json:"createdAt"`
	UpdatedAt   *string `json:"updatedAt"`
}

func userOut(u store.User) userJSON {
	return userJSON{
		ID: u.ID, Login: u.Login, Name: u.Name, Email: u.Email, Mobile: u.Mobile, Tel: u.Tel,
		ExtnID: u.ExtnID, Type: u.Type, Domain: u.Domain, Context: u.Context,
		IsSuper: bit(u.IsSuper), Disabled: bit(u.Disabled), TenantID: u.TenantID,
		LastLoginAt: timeOut(u.LastLoginAt), CreatedAt: timeOut(&u.CreatedAt), UpdatedAt: timeOut(&u.UpdatedAt),
	}
}

// timeOut renders RFC 3339 UTC, or null for no time.
func timeOut(t *time.Time) *string {
	if t == nil || t.IsZero() {
		return nil
	}
	s := t.UTC().Format(time.RFC3339)
	return &s
}

// list shows admins every user; others see only themselves, so that the
// seed's example works for any user without showing them anyone else's data.
func (h *Users) list(c echo.Context) error {
	if me := principal(c).User; !me.IsSuper {
		u, err := myself(c, h.Accounts)
		if err != nil {
			return err
		}
		return list(c, []userJSON{userOut(u)}, 1, 1)
	}
	page, perPage, offset := pageQuery(c)
	users, n, err := h.Accounts.Users(c.Request().Context(), store.UserFilter{
		Login: c.QueryParam("login"), Name: c.QueryParam("name"), Type: c.QueryParam("type"),
		Offset: offset, Limit: perPage,
	})
	if err != nil {
		return err
	}
	return listOf(c, users, userOut, n, page)
}

func (h *Users) me(c echo.Context) error {
	u, err := myself(c, h.Accounts)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, userOut(u))
}

// myself reads the request's own user; the session keeps only its identity.
func myself(c echo.Context, accounts *account.Service) (store.User, error) {
	u, err := accounts.User(c.Request().Context(), principal(c).User.ID)
	if errors.Is(err, store.ErrNotFound) { // deleted a moment ago
		return store.User{}, errNotAuthorized
	}
	return u, err
}

func (h *Users) get(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	me := principal(c).User
	if !me.IsSuper && me.ID != id {
		return errForbidden
	}
	u, err := h.Accounts.User(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, userOut(u))
}

// userBody is what clients send; pointers tell absent from empty. Read-only
// and unknown fields (id, login on update, createdAt...) are ignored.
type userBody struct {
	Login       *text  `json:"login"`
	Name        *text  `json:"name"`
	Email       *text  `json:"email"`
	Mobile      *text  `json:"mobile"`
	Tel         *text  `json:"tel"`
	ExtnID      *text  `json:"extn_id"`
	Extn        *text  `json:"extn"`
	Type        *text  `json:"type"`
	Domain      *text  `json:"domain"`
	Context     *text  `json:"context"`
	IsSuper     *flag  `json:"is_super"`
	Disabled    *flag  `json:"disabled"`
	TenantID    *int64 `json:"tenant_id"`
	Password    *text  `json:"password"`
	OldPassword text   `json:"old_password"`
	CaptchaStr  text   `json:"captcha_str"`
	CaptchaID   text   `json:"captcha_id"`
	RevokeKeys  flag   `json:"revoke_dev_keys"`
}

func (b userBody) change() account.Change {
	extn := b.ExtnID
	if extn == nil || *extn == "" {
		extn = b.Extn
	}
	return account.Change{
		Name: str(b.Name), Email: str(b.Email), Mobile: str(b.Mobile), Tel: str(b.Tel),
		ExtnID: str(extn), Type: str(b.Type), Domain: str(b.Domain), Context: str(b.Context),
		IsSuper: (*bool)(b.IsSuper), Disabled: (*bool)(b.Disabled), TenantID: b.TenantID,
		Password: str(b.Password), OldPassword: string(b.OldPassword),
		CaptchaID: string(b.CaptchaID), CaptchaAnswer: string(b.CaptchaStr), RevokeDevKeys: bool(b.RevokeKeys),
	}
}

func str(t *text) *string {
	if t == nil {
		return nil
	}
	s := string(*t)
	return &s
}

func (h *Users) create(c echo.Context) error {
	var b userBody
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	u := store.User{Type: store.UserTypeNormal}
	if b.Login != nil {
		u.Login = string(*b.Login)
	}
	b.change().Apply(&u)
	password := ""
	if b.Password != nil {
		password = string(*b.Password)
	}
	created, err := h.Accounts.Create(c.Request().Context(), u, password)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"code": http.StatusOK, "data": userOut(created)})
}

func (h *Users) update(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	var b userBody
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	p := principal(c)
	actor := account.Actor{User: p.User, SessionDigest: p.SessionDigest, Address: c.RealIP()}
	u, err := h.Accounts.Update(c.Request().Context(), actor, id, b.change())
	if err != nil {
		return failClosed(err)
	}
	return c.JSON(http.StatusOK, map[string]any{"code": http.StatusOK, "text": "OK", "data": userOut(u)})
}

func (h *Users) delete(c echo.Context) error {
	id, err := pathID(c, "id")
	if err != nil {
		return err
	}
	if err := h.Accounts.Delete(c.Request().Context(), id); err != nil {
		return err
	}
	return ok(c)
}
