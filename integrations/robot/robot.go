// Package robot posts admins' alerts to DingTalk and Feishu group robots,
// signed with the robot's secret as each platform asks. A robot's webhook
// URL carries its access token, so errors never show it.
package robot

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"xtraauth/integrations/internal/call"
	"xtraauth/notify"
	"xtraauth/store"
)

// Robot is one group robot; it implements notify.Channel.
type Robot struct {
	name   string // notify.DingTalkRobot or notify.FeishuRobot
	url    string
	secret string
	http   *http.Client
	now    func() time.Time
}

var _ notify.Channel = (*Robot)(nil)

// NewDingTalk is a DingTalk group robot; an empty secret sends unsigned.
func NewDingTalk(webhook, secret string, timeout time.Duration, now func() time.Time) *Robot {
	return &Robot{name: notify.DingTalkRobot, url: webhook, secret: secret, http: &http.Client{Timeout: timeout}, now: now}
}

// NewFeishu is a Feishu group robot; an empty secret sends unsigned.
func NewFeishu(webhook, secret string, timeout time.Duration, now func() time.Time) *Robot {
	return &Robot{name: notify.FeishuRobot, url: webhook, secret: secret, http: &http.Client{Timeout: timeout}, now: now}
}

// DingTalkSign is the sign parameter of a DingTalk robot call at ms
// (unix milliseconds): base64(HMAC-SHA256(secret, ms + "\n" + secret)),
// before URL encoding.
func DingTalkSign(ms int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte(strconv.FormatInt(ms, 10) + "\n" + secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// FeishuSign is the sign field of a Feishu robot call at sec (unix
// seconds): base64(HMAC-SHA256(key sec + "\n" + secret, empty message)).
func FeishuSign(sec int64, secret string) string {
	mac := hmac.New(sha256.New, []byte(strconv.FormatInt(sec, 10)+"\n"+secret))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// Send implements notify.Channel; robots write to their group, not to a person.
func (r *Robot) Send(ctx context.Context, _ store.User, msg notify.Message) error {
	text := msg.Title + "\n" + msg.Text
	if r.name == notify.DingTalkRobot {
		return r.sendDingTalk(ctx, text)
	}
	return r.sendFeishu(ctx, text)
}

func (r *Robot) sendDingTalk(ctx context.Context, text string) error {
	target := r.url
	if r.secret != "" {
		ms := r.now().UnixMilli()
		sep := "?"
		if strings.Contains(target, "?") {
			sep = "&"
		}
		target += sep + "timestamp=" + strconv.FormatInt(ms, 10) + "&sign=" + url.QueryEscape(DingTalkSign(ms, r.secret))
	}
	var out struct {
		ErrCode int    `json:"errcode"`
		ErrMsg  string `json:"errmsg"`
	}
	err := call.JSON(ctx, r.http, call.Request{Name: r.name, Method: http.MethodPost, URL: target,
		Body: map[string]any{"msgtype": "text", "text": map[string]string{"content": text}}}, &out)
	if err == nil && out.ErrCode != 0 {
		return fmt.Errorf("%s: errcode %d: %s", r.name, out.ErrCode, out.ErrMsg)
	}
	return err
}

func (r *Robot) sendFeishu(ctx context.Context, text string) error {
	body := map[string]any{"msg_type": "text", "content": map[string]string{"text": text}}
	if r.secret != "" {
		sec := r.now().Unix()
		body["timestamp"], body["sign"] = strconv.FormatInt(sec, 10), FeishuSign(sec, r.secret)
	}
	// Newer answers carry code and msg, older ones StatusCode.
	var out struct {
		Code          *int   `json:"code"`
		Msg           string `json:"msg"`
		StatusCode    *int   `json:"StatusCode"`
		StatusMessage string `json:"StatusMessage"`
	}
	err := call.JSON(ctx, r.http, call.Request{Name: r.name, Method: http.MethodPost, URL: r.url, Body: body}, &out)
	switch {
	case err != nil:
		return err
	case out.Code != nil && *out.Code != 0:
		return fmt.Errorf("%s: code %d: %s", r.name, *out.Code, out.Msg)
	case out.StatusCode != nil && *out.StatusCode != 0:
		return fmt.Errorf("%s: code %d: %s", r.name, *out.StatusCode, out.StatusMessage)
	case out.Code == nil && out.StatusCode == nil:
		return fmt.Errorf("%s: the answer has no code", r.name)
	}
	return nil
}
