package handlers

import (
	"net/http"

	"github.com/labstack/echo/v4"

	"xtraauth/oauth"
	"xtraauth/store"
)

// Tenants serves /api/tenants for admins: the organisations users belong
// to and OAuth clients act in.
type Tenants struct {
	OAuth *oauth.Service
}

// Register adds the routes behind auth; all are for admins.
func (h *Tenants) Register(r routes) {
	r.api.GET("/tenants", h.list, r.auth, requireAdmin)
	r.api.POST("/tenants", h.create, r.auth, requireAdmin)
}

type tenantJSON struct {
	ID        int64   `json:"id"`
	Code      string  `json:"code"`
	Name      string  `json:"name"`
	CreatedAt *string `json:"created_at"`
}

func tenantOut(t store.Tenant) tenantJSON {
	return tenantJSON{ID: t.ID, Code: t.Code, Name: t.Name, CreatedAt: timeOut(&t.CreatedAt)}
}

func (h *Tenants) list(c echo.Context) error {
	tenants, err := h.OAuth.Tenants(c.Request().Context())
	if err != nil {
		return err
	}
	return listOf(c, tenants, tenantOut, len(tenants), 1)
}

type tenantBody struct {
	Code text `json:"code"`
	Name text `json:"name"`
}

func (h *Tenants) create(c echo.Context) error {
	var b tenantBody
	if err := decodeBody(c, &b); err != nil {
		return err
	}
	t, err := h.OAuth.CreateTenant(c.Request().Context(), string(b.Code), string(b.Name))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, map[string]any{"code": http.StatusOK, "data": tenantOut(t)})
}
