// Package dms makes and reads the tokens of the DMS/SQLE front door: an
// HS256 JWT (claims uid, name, iat, exp, jti, and DMS's iss and typ) that a
// real SQLE/DMS sharing the secret can verify. Its jti is the digest of a
// session in the same session store as XSwitch tokens: it names the session
// without being a credential (anyone who sees a JWT can read its payload),
// and a JWT whose session is gone (logout, password change, disabling, an
// embedded restart) is refused: the signature alone never revives a session.
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

// The issuer and type DMS puts in its tokens.
const (
	Issuer = "actiontech dms"
	Type   = "dms-token"
)

type claims struct {
	UID  string `json:"uid"`
	Name string `json:"name"`
	Typ  string `json:"typ,omitempty"`
	jwt.RegisteredClaims
}

// Sign makes the JWT of session s, whose digest is sessionDigest.
func (t *Tokens) Sign(s store.Session, sessionDigest string) (string, error) {
	c := claims{
		UID:  strconv.FormatInt(s.User.ID, 10),
		Name: s.User.Login,
		Typ:  Type,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    Issuer,
			ID:        sessionDigest,
			IssuedAt:  jwt.NewNumericDate(s.CreatedAt),
			ExpiresAt: jwt.NewNumericDate(s.ExpiresAt),
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, c).SignedString(t.secret)
}

// SessionDigest verifies a JWT (HS256 only, not expired) and returns the
// digest of the session it names; the caller still looks the session up.
func (t *Tokens) SessionDigest(token string) (string, error) {
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
// dev_keys, access tokens), which never hold a dot.
func LooksLikeJWT(token string) bool { return strings.Count(token, ".") == 2 }
