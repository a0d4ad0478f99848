// Package oauth is the OAuth2 client-credentials front door. A client
// trades its id and secret for an access token (kept in the ephemeral store
// as a digest, like sessions); the token acts as the client, or — with sudo
// — as one of the users of the client's tenants. Wrong secrets go through
// the same lockout as passwords, under the client's own namespace, so a
// client named "admin" never locks the user "admin".
package oauth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"xtraauth/fault"
	"xtraauth/store"
)

// Scope is the only scope, spelt as the seed spells it.
const Scope = "sodu"

// Errors a caller can cause.
var (
	ErrInvalidClient  = fault.New(fault.Unauthenticated, "Invalid Client")
	ErrTokenNotFound  = fault.New(fault.NotFound, "Token Does Not Exist")
	ErrSudoNotAllowed = fault.New(fault.Forbidden, "Sudo Not Allowed")
	ErrSudoNotFound   = fault.New(fault.NotFound, "Sudo User Not Found")
	ErrTenant         = fault.New(fault.Forbidden, "Tenant Not Allowed")
	ErrBadSudo        = fault.New(fault.Invalid, "sudo must be uid:ID, loginName:L, email:E, mobile:M or username:L")
	ErrBadClientID    = fault.New(fault.Invalid, "client id must be 1 to 128 characters without ':' or control characters")
)

// Gate is the lockout for client secrets.
type Gate interface {
	// EnterClient refuses a locked client or address, or returns the
	// failures counted so far, for FinishClient.
	EnterClient(ctx context.Context, clientID, address string) (failures int, err error)
	FinishClient(ctx context.Context, clientID, address string, failures int, ok bool) error
}

// Users is what sudo looks users up in.
type Users interface {
	GetUser(ctx context.Context, id int64) (store.User, error)
	GetUserByLogin(ctx context.Context, login string) (store.User, error)
	store.UserFinder
}

// Deps are what the service works on.
type Deps struct {
	Clients store.Clients
	Tenants store.Tenants
	Users   Users
	Tokens  store.AccessTokens
	Audit   store.AuditWriter
	Gate    Gate
	TTL     time.Duration
	Now     func() time.Time
}

// Service issues, checks and revokes access tokens, and resolves sudo.
type Service struct{ d Deps }

// New makes a Service.
func New(d Deps) *Service { return &Service{d: d} }

// Token is an issued access token.
type Token struct {
	Value string
	store.AccessToken
}

// Authenticate checks a client's secret behind the gate. An id that could
// name no client, or a secret longer than any, is refused before anything
// is counted or written.
func (s *Service) Authenticate(ctx context.Context, clientID, secret, address string) (store.Client, error) {
	if !validClientID(clientID) || secret == "" || len(secret) > maxSecretLen {
		return store.Client{}, ErrInvalidClient
	}
	failures, err := s.d.Gate.EnterClient(ctx, clientID, address)
	if err != nil {
		return store.Client{}, err
	}
	c, err := s.d.Clients.GetClient(ctx, clientID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return store.Client{}, err
	}
	digest := store.Digest(secret)
	ok := err == nil && subtle.ConstantTimeCompare([]byte(digest), []byte(c.SecretHash)) == 1
	if err := s.d.Gate.FinishClient(context.WithoutCancel(ctx), clientID, address, failures, ok); err != nil {
		return store.Client{}, err
	}
	if !ok {
		return store.Client{}, ErrInvalidClient
	}
	return c, nil
}

// Issue authenticates the client and issues a token.
func (s *Service) Issue(ctx context.Context, clientID, secret, address string) (Token, error) {
	c, err := s.Authenticate(ctx, clientID, secret, address)
	if err != nil {
		return Token{}, err
	}
	value, err := NewSecret()
	if err != nil {
		return Token{}, err
	}
	now := s.d.Now().UTC()
	t := store.AccessToken{ClientID: c.ID, CreatedAt: now, ExpiresAt: now.Add(s.d.TTL)}
	if err := s.d.Tokens.CreateAccessToken(ctx, store.Digest(value), t); err != nil {
		return Token{}, err
	}
	return Token{Value: value, AccessToken: t}, nil
}

// Lookup finds a live token; ErrTokenNotFound otherwise.
func (s *Service) Lookup(ctx context.Context, value string) (store.AccessToken, error) {
	if value == "" {
		return store.AccessToken{}, ErrTokenNotFound
	}
	t, err := s.d.Tokens.GetAccessToken(ctx, store.Digest(value))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !s.d.Now().Before(t.ExpiresAt)) {
		return store.AccessToken{}, ErrTokenNotFound
	}
	return t, err
}

// Revoke ends a token; ErrTokenNotFound if it was not live.
func (s *Service) Revoke(ctx context.Context, value string) error {
	err := s.d.Tokens.DeleteAccessToken(ctx, store.Digest(value))
	if errors.Is(err, store.ErrNotFound) {
		return ErrTokenNotFound
	}
	return err
}

// ExpiresIn is the seconds a token has left, rounded up: a fresh token
// says its whole lifetime (43200) although the clock moved since it was made.
func (s *Service) ExpiresIn(t store.AccessToken) int64 {
	return int64((t.ExpiresAt.Sub(s.d.Now()) + time.Second - 1) / time.Second)
}

// maxSecretLen bounds a presented secret: ours are 43 characters.
const maxSecretLen = 256

// NewSecret makes a random bearer secret (256 bits, URL-safe).
func NewSecret() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// SudoRequest is what a request asks to act as: sudo=KIND:VALUE and
// optionally tenantId or tenantCode.
type SudoRequest struct {
	Sudo       string
	TenantID   string
	TenantCode string
}

// Sudo resolves the user a client's token acts as. The client must have
// the sudo right, the user must be enabled and in a tenant the client may
// use, and a named tenant must be the user's. Every sudo is audited.
func (s *Service) Sudo(ctx context.Context, clientID string, r SudoRequest, address string) (store.User, error) {
	c, err := s.d.Clients.GetClient(ctx, clientID)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, ErrInvalidClient
	}
	if err != nil {
		return store.User{}, err
	}
	if !c.MaySudo {
		return store.User{}, ErrSudoNotAllowed
	}
	u, err := s.findUser(ctx, r.Sudo)
	if err != nil {
		return store.User{}, err
	}
	if err := s.checkTenant(ctx, c, u, r); err != nil {
		return store.User{}, err
	}
	err = s.d.Audit.AddAuditEvent(ctx, store.AuditEvent{
		At: s.d.Now().UTC(), Subject: strings.ToLower(u.Login), Address: address, Kind: "sudo", Outcome: "by client " + c.ID,
	})
	return u, err
}

func (s *Service) findUser(ctx context.Context, sudo string) (store.User, error) {
	kind, value, ok := strings.Cut(sudo, ":")
	if !ok || value == "" {
		return store.User{}, ErrBadSudo
	}
	var u store.User
	var err error
	switch kind {
	case "uid":
		id, perr := strconv.ParseInt(value, 10, 64)
		if perr != nil {
			return store.User{}, ErrSudoNotFound
		}
		u, err = s.d.Users.GetUser(ctx, id)
	case "loginName", "username":
		u, err = s.d.Users.GetUserByLogin(ctx, value)
	case "email":
		u, err = s.d.Users.GetUserByEmail(ctx, value)
	case "mobile":
		u, err = s.d.Users.GetUserByMobile(ctx, value)
	default:
		return store.User{}, ErrBadSudo
	}
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled) {
		return store.User{}, ErrSudoNotFound
	}
	return u, err
}

// checkTenant: the user's tenant must be one the client may use (the
// default one for a client without tenants), and a tenant the request
// names must be the user's.
func (s *Service) checkTenant(ctx context.Context, c store.Client, u store.User, r SudoRequest) error {
	allowed := c.TenantIDs
	if len(allowed) == 0 {
		allowed = []int64{store.DefaultTenantID}
	}
	if !slices.Contains(allowed, u.TenantID) {
		return ErrTenant
	}
	if r.TenantID != "" && r.TenantID != strconv.FormatInt(u.TenantID, 10) {
		return ErrTenant
	}
	if r.TenantCode != "" { // checked too when a tenantId is given: both must name the user's
		t, err := s.d.Tenants.GetTenantByCode(ctx, r.TenantCode)
		if errors.Is(err, store.ErrNotFound) || (err == nil && t.ID != u.TenantID) {
			return ErrTenant
		}
		return err
	}
	return nil
}

// CreateClient adds a client with the tenants named by code and returns
// its secret, shown once.
func (s *Service) CreateClient(ctx context.Context, id string, maySudo bool, tenantCodes []string) (store.Client, string, error) {
	if !validClientID(id) {
		return store.Client{}, "", ErrBadClientID
	}
	c := store.Client{ID: id, MaySudo: maySudo, CreatedAt: s.d.Now().UTC()}
	for _, code := range tenantCodes {
		t, err := s.d.Tenants.GetTenantByCode(ctx, code)
		if err != nil {
			return store.Client{}, "", fmt.Errorf("tenant %q: %w", code, err)
		}
		c.TenantIDs = append(c.TenantIDs, t.ID)
	}
	secret, err := NewSecret()
	if err != nil {
		return store.Client{}, "", err
	}
	c.SecretHash = store.Digest(secret)
	created, err := s.d.Clients.CreateClient(ctx, c)
	return created, secret, err
}

// validClientID: 1 to 128 bytes of UTF-8 without ':' (it ends the id in
// HTTP Basic) or any control character.
func validClientID(id string) bool {
	return id != "" && len(id) <= 128 && utf8.ValidString(id) &&
		!strings.ContainsFunc(id, func(r rune) bool { return r == ':' || unicode.IsControl(r) })
}

// Clients lists every client.
func (s *Service) Clients(ctx context.Context) ([]store.Client, error) {
	return s.d.Clients.ListClients(ctx)
}

// RemoveClient deletes a client and ends its tokens.
func (s *Service) RemoveClient(ctx context.Context, id string) error {
	if err := s.d.Clients.DeleteClient(ctx, id); err != nil {
		return err
	}
	return s.d.Tokens.DeleteClientAccessTokens(ctx, id)
}
