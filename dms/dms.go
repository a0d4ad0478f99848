// Package dms makes and reads the tokens of the DMS/SQLE front door: an
// HS256 JWT (claims uid, name, iat, exp, jti) that a real SQLE/DMS sharing
// the secret can verify. Its jti is a session token in the same session
// store as XSwitch tokens, so a JWT whose session is gone (logout, password
// change, disabling, an embedded restart) is refused: the signature alone
// never revives a session.
package dms

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"xtraauth/store"
)

// ErrInvalid covers every bad, expired or foreign token.
var ErrInvalid = errors.New("invalid or expired jwt")

// Tokens signs and verifies DMS tokens.
type Tokens struct {
	secret []byte
	now    func() time.Time
}

// NewTokens makes Tokens with the shared HS256 secret.
func NewTokens(secret []byte, now func() time.Time) *Tokens {
	return &Tokens{secret: secret, now: now}
}

type claims struct {
	UID  string `json:"uid"`
	Name string `json:"name"`
	jwt.RegisteredClaims
}

// Sign wraps the session token of s in a JWT for u.
func (t *Tokens) Sign(u store.User, s store.Session, sessionToken string) (string, error) {
	c := claims{
		UID:  strconv.FormatInt(u.ID, 10),
		Name: u.Login,
		RegisteredClaims: jwt.RegisteredClaims{
			ID:        sessionToken,
			IssuedAt:  jwt.NewNumericDate(s.CreatedAt),
			ExpiresAt: jwt.NewNumericDate(s.ExpiresAt),
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.secret)
}

// SessionToken verifies a JWT (HS256 only, not expired) and returns the
// session token it carries; the caller still looks the session up.
func (t *Tokens) SessionToken(token string) (string, error) {
	var c claims
	_, err := jwt.ParseWithClaims(token, &c, func(*jwt.Token) (any, error) { return t.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(t.now),
	)
	if err != nil || c.ID == "" {
		return "", ErrInvalid
	}
	return c.ID, nil
}

// LooksLikeJWT tells a JWT from the other bearer credentials (UUID tokens,
// dev_keys), which never hold a dot.
func LooksLikeJWT(token string) bool { return strings.Count(token, ".") == 2 }
