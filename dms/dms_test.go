package dms_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"xtraauth/dms"
	"xtraauth/internal/testkit"
	"xtraauth/store"
)

var (
	secret = []byte("0123456789abcdef0123456789abcdef")
	start  = testkit.Start
)

const sessionToken = "5f0c7d9e-1b2a-4c3d-8e4f-a0b1c2d3e4f5"

// sessionDigest is what a JWT's jti names: the session, not its token.
var sessionDigest = store.Digest(sessionToken)

func newTokens(t *testing.T) (*dms.Tokens, *testkit.Clock) {
	t.Helper()
	c := testkit.NewClock()
	return dms.NewTokens(secret, c.Now), c
}

// sign makes a token the way Sign does, for tests that need other claims.
func sign(t *testing.T, m jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	s, err := jwt.NewWithClaims(m, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func goodClaims() jwt.MapClaims {
	return jwt.MapClaims{
		"uid": "3", "name": "admin", "iat": start.Unix(), "exp": start.Add(time.Hour).Unix(), "jti": sessionDigest,
	}
}

// handMade builds header.payload.signature from raw JSON, with an HMAC-SHA256
// signature over the first two parts under key (nil: empty signature).
func handMade(header, payload string, key []byte) string {
	enc := base64.RawURLEncoding
	unsigned := enc.EncodeToString([]byte(header)) + "." + enc.EncodeToString([]byte(payload))
	if key == nil {
		return unsigned + "."
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(unsigned))
	return unsigned + "." + enc.EncodeToString(mac.Sum(nil))
}

func payloadJSON(t *testing.T, c jwt.MapClaims) string {
	t.Helper()
	raw, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return string(raw)
}

func TestSignVerifyRoundTrip(t *testing.T) {
	tokens, _ := newTokens(t)
	s := store.Session{User: store.Identity{ID: 3, Login: "admin"}, CreatedAt: start, ExpiresAt: start.Add(24 * time.Hour)}
	token, err := tokens.Sign(s, sessionDigest)
	if err != nil {
		t.Fatal(err)
	}
	if !dms.LooksLikeJWT(token) {
		t.Fatalf("%q does not look like a JWT", token)
	}
	got, err := tokens.SessionDigest(token)
	if err != nil || got != sessionDigest {
		t.Fatalf("SessionDigest = %q, %v; want %q", got, err, sessionDigest)
	}

	// Independently: the header says HS256 and the claims are DMS's.
	header, payload, _ := strings.Cut(token, ".")
	var h map[string]any
	raw, err := base64.RawURLEncoding.DecodeString(header)
	if err != nil || json.Unmarshal(raw, &h) != nil {
		t.Fatalf("header %q: %v", header, err)
	}
	if h["alg"] != "HS256" || h["typ"] != "JWT" {
		t.Fatalf("header = %v, want alg HS256, typ JWT", h)
	}
	payload, _, _ = strings.Cut(payload, ".")
	var c map[string]any
	raw, err = base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(raw, &c) != nil {
		t.Fatalf("payload %q: %v", payload, err)
	}
	want := map[string]any{"uid": "3", "name": "admin", "iat": float64(start.Unix()),
		"exp": float64(start.Add(24 * time.Hour).Unix()), "jti": sessionDigest,
		"iss": "actiontech dms", "typ": "dms-token"}
	if len(c) != len(want) {
		t.Errorf("claims = %v, want exactly %v", c, want)
	}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("claim %s = %#v, want %#v", k, c[k], v)
		}
	}
	parsed, err := jwt.Parse(token, func(*jwt.Token) (any, error) { return secret, nil },
		jwt.WithValidMethods([]string{"HS256"}), jwt.WithTimeFunc(func() time.Time { return start }))
	if err != nil || !parsed.Valid {
		t.Fatalf("jwt.Parse with the shared secret: %v", err)
	}
}

func TestAcceptsWellFormedForeignToken(t *testing.T) {
	// A token made by anyone holding the secret (a real DMS sharing
	// XTRA_JWT_SECRET) verifies: the session lookup decides the rest.
	tokens, _ := newTokens(t)
	got, err := tokens.SessionDigest(sign(t, jwt.SigningMethodHS256, secret, goodClaims()))
	if err != nil || got != sessionDigest {
		t.Fatalf("SessionDigest = %q, %v; want %q", got, err, sessionDigest)
	}
}

func TestRefusesOtherAlgorithmsAndBadTokens(t *testing.T) {
	tokens, _ := newTokens(t)
	claims := goodClaims()
	payload := payloadJSON(t, claims)
	without := func(key string) jwt.MapClaims {
		c := goodClaims()
		delete(c, key)
		return c
	}
	with := func(key string, v any) jwt.MapClaims {
		c := goodClaims()
		c[key] = v
		return c
	}
	good := sign(t, jwt.SigningMethodHS256, secret, claims)
	head, rest, _ := strings.Cut(good, ".")
	body, sig, _ := strings.Cut(rest, ".")

	cases := map[string]string{
		"alg none (library)":        sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims),
		"alg none, hand made":       handMade(`{"alg":"none","typ":"JWT"}`, payload, nil),
		"alg None":                  handMade(`{"alg":"None","typ":"JWT"}`, payload, nil),
		"alg NONE with a signature": handMade(`{"alg":"NONE","typ":"JWT"}`, payload, secret),
		"alg empty":                 handMade(`{"alg":"","typ":"JWT"}`, payload, secret),
		"no alg":                    handMade(`{"typ":"JWT"}`, payload, secret),
		"HS384, same secret":        sign(t, jwt.SigningMethodHS384, secret, claims),
		"HS512, same secret":        sign(t, jwt.SigningMethodHS512, secret, claims),
		// The classic confusion: an asymmetric alg in the header, the
		// signature an HMAC under the secret.
		"RS256 header, HMAC signature": handMade(`{"alg":"RS256","typ":"JWT"}`, payload, secret),
		"ES256 header, HMAC signature": handMade(`{"alg":"ES256","typ":"JWT"}`, payload, secret),
		"PS256 header, HMAC signature": handMade(`{"alg":"PS256","typ":"JWT"}`, payload, secret),
		"EdDSA header, HMAC signature": handMade(`{"alg":"EdDSA","typ":"JWT"}`, payload, secret),
		"hs256 lower case":             handMade(`{"alg":"hs256","typ":"JWT"}`, payload, secret),
		"another secret":               sign(t, jwt.SigningMethodHS256, []byte("another secret, same length......"), claims),
		"empty secret":                 sign(t, jwt.SigningMethodHS256, []byte{}, claims),
		"signature removed":            head + "." + body + ".",
		"signature of another payload": head + "." + base64.RawURLEncoding.EncodeToString([]byte(payloadJSON(t, with("jti", "other")))) + "." + sig,
		"missing exp":                  sign(t, jwt.SigningMethodHS256, secret, without("exp")),
		"exp not a number":             sign(t, jwt.SigningMethodHS256, secret, with("exp", "tomorrow")),
		"missing jti":                  sign(t, jwt.SigningMethodHS256, secret, without("jti")),
		"empty jti":                    sign(t, jwt.SigningMethodHS256, secret, with("jti", "")),
		"jti not a string":             sign(t, jwt.SigningMethodHS256, secret, with("jti", 42)),
		"not valid yet":                sign(t, jwt.SigningMethodHS256, secret, with("nbf", start.Add(time.Minute).Unix())),
		"already expired":              sign(t, jwt.SigningMethodHS256, secret, with("exp", start.Add(-time.Second).Unix())),
		"expires now":                  sign(t, jwt.SigningMethodHS256, secret, with("exp", start.Unix())),
		"payload not JSON":             handMade(`{"alg":"HS256","typ":"JWT"}`, "not json", secret),
		"header not JSON":              handMade(`not json`, payload, secret),
		"empty":                        "",
		"two dots":                     "..",
		"garbage":                      "a.b.c",
		"a UUID token":                 sessionToken,
		"four parts":                   good + ".x",
	}
	for name, token := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := tokens.SessionDigest(token)
			if !errors.Is(err, dms.ErrInvalid) || got != "" {
				t.Fatalf("SessionDigest(%q) = %q, %v; want ErrInvalid", token, got, err)
			}
		})
	}
}

func TestExpiry(t *testing.T) {
	tokens, c := newTokens(t)
	s := store.Session{User: store.Identity{ID: 3, Login: "admin"}, CreatedAt: start, ExpiresAt: start.Add(time.Hour)}
	token, err := tokens.Sign(s, sessionDigest)
	if err != nil {
		t.Fatal(err)
	}
	c.Set(start.Add(time.Hour - time.Second))
	if _, err := tokens.SessionDigest(token); err != nil {
		t.Fatalf("one second before exp: %v", err)
	}
	c.Set(start.Add(time.Hour))
	if _, err := tokens.SessionDigest(token); !errors.Is(err, dms.ErrInvalid) {
		t.Fatalf("at exp: %v, want ErrInvalid", err)
	}
	c.Set(start.Add(48 * time.Hour))
	if _, err := tokens.SessionDigest(token); !errors.Is(err, dms.ErrInvalid) {
		t.Fatalf("long after exp: %v, want ErrInvalid", err)
	}
}

func TestLooksLikeJWT(t *testing.T) {
	for token, want := range map[string]bool{
		"a.b.c":                     true,
		"..":                        true,
		sessionToken:                false, // XSwitch tokens
		"1700000000" + sessionToken: false, // dev_keys
		"Zm9vYmFyYmF6cXV4LV9mb29iYXJiYXpxdXgtX2Zvb2Jh": false, // OAuth access tokens
		"a.b":     false,
		"a.b.c.d": false,
		"":        false,
	} {
		if got := dms.LooksLikeJWT(token); got != want {
			t.Errorf("LooksLikeJWT(%q) = %v, want %v", token, got, want)
		}
	}
}

// FuzzSessionDigest: no input makes verification panic, and anything it
// accepts carries a session token.
func FuzzSessionDigest(f *testing.F) {
	c := testkit.NewClock()
	tokens := dms.NewTokens(secret, c.Now)
	good, err := tokens.Sign(store.Session{User: store.Identity{ID: 3, Login: "admin"},
		CreatedAt: start, ExpiresAt: start.Add(time.Hour)}, sessionDigest)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(handMade(`{"alg":"none"}`, `{"jti":"x","exp":99999999999}`, nil))
	f.Add(handMade(`{"alg":"HS256"}`, `{"jti":"x","exp":1e400}`, secret))
	f.Add(handMade(`{"alg":"HS256"}`, `{"jti":"x","exp":-1}`, secret))
	f.Add(handMade(`{"alg":"HS256","crit":["b64"],"b64":false}`, `{"jti":"x","exp":99999999999}`, secret))
	f.Add(handMade(`{"alg":"HS256","kid":{"a":[1,2]}}`, `[]`, secret))
	f.Add(handMade(`null`, `null`, secret))
	f.Add("..")
	f.Add("a.b.c")
	f.Add("")
	f.Fuzz(func(t *testing.T, token string) {
		got, err := tokens.SessionDigest(token)
		switch {
		case err != nil && !errors.Is(err, dms.ErrInvalid):
			t.Fatalf("SessionDigest(%q) error %v is not ErrInvalid", token, err)
		case err != nil && got != "":
			t.Fatalf("SessionDigest(%q) = %q with error %v", token, got, err)
		case err == nil && got == "":
			t.Fatalf("SessionDigest(%q) accepted a token without a session", token)
		}
	})
}
