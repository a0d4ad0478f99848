package feishu_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	larkcore "github.com/larksuite/oapi-sdk-go/v3/core"
	larkevent "github.com/larksuite/oapi-sdk-go/v3/event"

	"xtraauth/integrations/feishu"
)

const (
	key   = "encrypt-key-of-the-test"
	token = "verification-token-of-the-test"
)

var at = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func iv() []byte { return []byte("0123456789abcdef") }

// TestCryptoAsTheSDK: what the SDK encrypts decrypts here and the other
// way round, and signatures agree.
func TestCryptoAsTheSDK(t *testing.T) {
	plain := `{"type":"event_callback","token":"t"}`
	enc, err := larkcore.EncryptedEventMsg(context.Background(), plain, key)
	if err != nil {
		t.Fatal(err)
	}
	if got, err := feishu.Decrypt(enc, key); err != nil || string(got) != plain {
		t.Fatalf("Decrypt(SDK's) = %q, %v", got, err)
	}
	ours, err := feishu.Encrypt([]byte(plain), key, iv())
	if err != nil {
		t.Fatal(err)
	}
	if got, err := larkevent.EventDecrypt(ours, key); err != nil || string(got) != plain {
		t.Fatalf("SDK's EventDecrypt(ours) = %q, %v", got, err)
	}
	if got, want := feishu.Sign("1", "n", key, []byte("body")), larkevent.Signature("1", "n", key, "body"); got != want {
		t.Fatalf("Sign = %s, SDK's %s", got, want)
	}
	if _, err := feishu.Decrypt(enc, "another key"); err == nil {
		t.Fatal("decrypted with another key")
	}
}

func seal(t testing.TB, payload any, ts time.Time) ([]byte, http.Header) {
	plain, _ := json.Marshal(payload)
	enc, err := feishu.Encrypt(plain, key, iv())
	if err != nil {
		t.Fatal(err)
	}
	body, _ := json.Marshal(map[string]string{"encrypt": enc})
	sec := strconv.FormatInt(ts.Unix(), 10)
	return body, http.Header{feishu.HeaderTimestamp: {sec}, feishu.HeaderNonce: {"nonce"},
		feishu.HeaderSignature: {feishu.Sign(sec, "nonce", key, body)}}
}

func TestParse(t *testing.T) {
	cb := feishu.Callback{Token: token, EncryptKey: key, Now: func() time.Time { return at }}
	v1 := map[string]any{"uuid": "u-1", "token": token, "type": "event_callback",
		"event": map[string]any{"type": "approval_instance", "instance_code": "INST-1"}}
	v2 := map[string]any{"schema": "2.0", "header": map[string]any{"event_id": "e-2", "event_type": "approval.instance.status_changed", "token": token},
		"event": map[string]any{"instance_code": "INST-2"}}
	body, h := seal(t, v1, at)
	if ev, err := cb.Parse(h, body); err != nil || ev != (feishu.Event{ID: "u-1", Type: "approval_instance", InstanceCode: "INST-1"}) {
		t.Fatalf("v1 event: %+v, %v", ev, err)
	}
	body, h = seal(t, v2, at.Add(-4*time.Minute))
	if ev, err := cb.Parse(h, body); err != nil || ev != (feishu.Event{ID: "e-2", Type: "approval.instance.status_changed", InstanceCode: "INST-2"}) {
		t.Fatalf("v2 event: %+v, %v", ev, err)
	}
	body, _ = seal(t, map[string]any{"type": "url_verification", "challenge": "c", "token": token}, at)
	if ev, err := cb.Parse(http.Header{}, body); err != nil || ev.Challenge != "c" {
		t.Fatalf("url_verification: %+v, %v", ev, err)
	}
	for name, mk := range map[string]func() ([]byte, http.Header){
		"6 minutes old":   func() ([]byte, http.Header) { return seal(t, v1, at.Add(-6*time.Minute)) },
		"6 minutes ahead": func() ([]byte, http.Header) { return seal(t, v1, at.Add(6*time.Minute)) },
		"unsigned event":  func() ([]byte, http.Header) { b, _ := seal(t, v1, at); return b, http.Header{} },
		"bad timestamp":   func() ([]byte, http.Header) { b, h := seal(t, v1, at); h.Set(feishu.HeaderTimestamp, "x"); return b, h },
		"v2 with v1 token": func() ([]byte, http.Header) {
			return seal(t, map[string]any{"token": token, "header": map[string]any{"token": "no"}}, at)
		},
	} {
		b, h := mk()
		if _, err := cb.Parse(h, b); !errors.Is(err, feishu.ErrBadCallback) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := (feishu.Callback{EncryptKey: key, Now: cb.Now}).Parse(h, body); err == nil {
		t.Error("a callback without a configured token was taken")
	}

	// Without an encrypt key, plain JSON with the token.
	plain := feishu.Callback{Token: token, Now: cb.Now}
	raw, _ := json.Marshal(v1)
	if ev, err := plain.Parse(http.Header{}, raw); err != nil || ev.InstanceCode != "INST-1" {
		t.Fatalf("plain event: %+v, %v", ev, err)
	}
	raw, _ = json.Marshal(map[string]any{"token": "no", "event": map[string]any{"instance_code": "INST-1"}})
	if _, err := plain.Parse(http.Header{}, raw); err == nil {
		t.Fatal("plain event with a wrong token")
	}
	raw, _ = json.Marshal(map[string]any{"token": token, "event": map[string]any{"instance_code": "INST-9"}})
	if ev, err := plain.Parse(http.Header{}, raw); err != nil || len(ev.ID) < 10 {
		t.Fatalf("an event without an id gets one from its content: %+v, %v", ev, err)
	}
}

// FuzzParse: no body or header makes Parse panic, and only well-signed,
// decryptable callbacks with the token pass.
func FuzzParse(f *testing.F) {
	body, h := seal(f, map[string]any{"uuid": "u", "token": token, "event": map[string]any{"instance_code": "I"}}, at)
	f.Add(body, h.Get(feishu.HeaderTimestamp), h.Get(feishu.HeaderSignature))
	f.Add([]byte(`{"encrypt":"AAAA"}`), "1767323045", "00")
	f.Add([]byte(`{"encrypt":""}`), "", "")
	f.Add([]byte(`not json`), "x", "y")
	cb := feishu.Callback{Token: token, EncryptKey: key, Now: func() time.Time { return at }}
	f.Fuzz(func(t *testing.T, body []byte, ts, sig string) {
		h := http.Header{feishu.HeaderTimestamp: {ts}, feishu.HeaderNonce: {"nonce"}, feishu.HeaderSignature: {sig}}
		ev, err := cb.Parse(h, body)
		if err == nil && ev.Challenge == "" && sig != feishu.Sign(ts, "nonce", key, body) {
			t.Fatalf("a wrongly signed event passed: %+v", ev)
		}
	})
}
