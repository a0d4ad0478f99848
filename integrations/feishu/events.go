package feishu

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"time"
)

// Headers of a signed callback.
const (
	HeaderTimestamp = "X-Lark-Request-Timestamp"
	HeaderNonce     = "X-Lark-Request-Nonce"
	HeaderSignature = "X-Lark-Signature"
)

// MaxSkew is how far a signed callback's timestamp may be from now.
const MaxSkew = 5 * time.Minute

// ErrBadCallback refuses a callback: unsigned, wrongly signed, stale,
// undecryptable, or carrying the wrong token.
var ErrBadCallback = errors.New("feishu callback refused")

// Callback checks event callbacks with the app's verification token and,
// when set, its encrypt key.
type Callback struct {
	Token      string
	EncryptKey string
	Now        func() time.Time
}

// Event is a checked callback.
type Event struct {
	Challenge    string // set for url_verification, to be echoed
	ID           string // the event's id, to refuse replays
	Type         string
	InstanceCode string // set for approval instance events
}

type payload struct {
	Type      string `json:"type"`
	Token     string `json:"token"`
	Challenge string `json:"challenge"`
	UUID      string `json:"uuid"`
	Header    *struct {
		EventID   string `json:"event_id"`
		EventType string `json:"event_type"`
		Token     string `json:"token"`
	} `json:"header"`
	Event *struct {
		Type         string `json:"type"`
		InstanceCode string `json:"instance_code"`
	} `json:"event"`
}

// Parse checks a callback's body and headers and reads it. With an encrypt
// key the body must be {"encrypt":...} and signed; Feishu does not sign
// its url_verification request, so that one alone may come unsigned (it
// changes nothing: its answer echoes the challenge).
func (cb Callback) Parse(h http.Header, body []byte) (Event, error) {
	if cb.Token == "" {
		return Event{}, ErrBadCallback
	}
	plain, signed := body, false
	if cb.EncryptKey != "" {
		if h.Get(HeaderSignature) != "" {
			if !cb.signatureOK(h, body) {
				return Event{}, ErrBadCallback
			}
			signed = true
		}
		var envelope struct {
			Encrypt string `json:"encrypt"`
		}
		if json.Unmarshal(body, &envelope) != nil || envelope.Encrypt == "" {
			return Event{}, ErrBadCallback
		}
		var err error
		if plain, err = Decrypt(envelope.Encrypt, cb.EncryptKey); err != nil {
			return Event{}, ErrBadCallback
		}
	}
	var p payload
	if err := json.Unmarshal(plain, &p); err != nil {
		return Event{}, ErrBadCallback
	}
	token := p.Token
	if p.Header != nil {
		token = p.Header.Token
	}
	if subtle.ConstantTimeCompare([]byte(token), []byte(cb.Token)) != 1 {
		return Event{}, ErrBadCallback
	}
	if p.Type == "url_verification" {
		return Event{Challenge: p.Challenge, ID: "challenge:" + p.Challenge}, nil
	}
	if cb.EncryptKey != "" && !signed {
		return Event{}, ErrBadCallback
	}
	return p.event(plain), nil
}

func (p payload) event(plain []byte) Event {
	e := Event{ID: p.UUID}
	if p.Header != nil {
		e.ID, e.Type = p.Header.EventID, p.Header.EventType
	}
	if p.Event != nil {
		if e.Type == "" {
			e.Type = p.Event.Type
		}
		e.InstanceCode = p.Event.InstanceCode
	}
	if e.ID == "" {
		sum := sha256.Sum256(plain)
		e.ID = "sha256:" + hex.EncodeToString(sum[:])
	}
	return e
}

// signatureOK checks X-Lark-Signature = hex(SHA-256(timestamp + nonce +
// encrypt key + body)) and that the timestamp is recent.
func (cb Callback) signatureOK(h http.Header, body []byte) bool {
	ts, nonce := h.Get(HeaderTimestamp), h.Get(HeaderNonce)
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return false
	}
	if skew := cb.Now().Sub(time.Unix(sec, 0)); skew > MaxSkew || skew < -MaxSkew {
		return false
	}
	want := Sign(ts, nonce, cb.EncryptKey, body)
	return subtle.ConstantTimeCompare([]byte(want), []byte(h.Get(HeaderSignature))) == 1
}

// Sign is a callback's signature, as Feishu computes it.
func Sign(timestamp, nonce, encryptKey string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(timestamp + nonce + encryptKey))
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// Decrypt opens an encrypted callback: base64 of an IV and AES-256-CBC
// ciphertext under SHA-256(encrypt key), PKCS#7 padded.
func Decrypt(encrypted, encryptKey string) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(encrypted)
	if err != nil || len(raw) < 2*aes.BlockSize || len(raw)%aes.BlockSize != 0 {
		return nil, errors.New("not an encrypted callback")
	}
	key := sha256.Sum256([]byte(encryptKey))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return nil, err
	}
	out := make([]byte, len(raw)-aes.BlockSize)
	cipher.NewCBCDecrypter(block, raw[:aes.BlockSize]).CryptBlocks(out, raw[aes.BlockSize:])
	pad := int(out[len(out)-1])
	if pad == 0 || pad > aes.BlockSize || !bytes.Equal(out[len(out)-pad:], bytes.Repeat([]byte{byte(pad)}, pad)) {
		return nil, errors.New("bad padding")
	}
	return out[:len(out)-pad], nil
}

// Encrypt is Decrypt's inverse, as Feishu encrypts callbacks (for fakes
// and tests); iv must be 16 random bytes.
func Encrypt(plain []byte, encryptKey string, iv []byte) (string, error) {
	key := sha256.Sum256([]byte(encryptKey))
	block, err := aes.NewCipher(key[:])
	if err != nil {
		return "", err
	}
	pad := aes.BlockSize - len(plain)%aes.BlockSize
	padded := append(append([]byte{}, plain...), bytes.Repeat([]byte{byte(pad)}, pad)...)
	out := make([]byte, aes.BlockSize+len(padded))
	copy(out, iv[:aes.BlockSize])
	cipher.NewCBCEncrypter(block, out[:aes.BlockSize]).CryptBlocks(out[aes.BlockSize:], padded)
	return base64.StdEncoding.EncodeToString(out), nil
}
