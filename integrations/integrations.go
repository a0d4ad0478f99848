// Package integrations assembles the platform clients the settings turn on
// (DingTalk, Feishu, Coding, the group robots), as notification channels
// and the approval platform, checks their credentials for the CLI, and
// reports how they are doing for GET /api/integrations.
package integrations

import (
	"context"
	"errors"
	"fmt"
	"time"

	"xtraauth/approval"
	"xtraauth/config"
	"xtraauth/integrations/coding"
	"xtraauth/integrations/dingtalk"
	"xtraauth/integrations/feishu"
	"xtraauth/integrations/robot"
	"xtraauth/notify"
	"xtraauth/store"
)

// Names are the platforms GET /api/integrations reports, in its order.
var Names = []string{notify.DingTalk, notify.Feishu, notify.Coding, notify.DingTalkRobot, notify.FeishuRobot}

// Set is the configured clients; a nil one is not configured.
type Set struct {
	cfg           config.Integrations
	DingTalk      *dingtalk.Client
	Feishu        *feishu.Client
	Coding        *coding.Client
	DingTalkRobot *robot.Robot
	FeishuRobot   *robot.Robot
}

// New makes the clients cfg configures; now is their clock.
func New(cfg config.Integrations, now func() time.Time) *Set {
	s := &Set{cfg: cfg}
	if d := cfg.DingTalk; d.Configured() {
		s.DingTalk = dingtalk.New(dingtalk.Config{AppKey: d.AppKey, AppSecret: d.AppSecret, AgentID: d.AgentID,
			APIURL: d.APIURL, OAPIURL: d.OAPIURL, Timeout: cfg.PlatformTimeout, Now: now})
	}
	if f := cfg.Feishu; f.Configured() {
		s.Feishu = feishu.New(feishu.Config{AppID: f.AppID, AppSecret: f.AppSecret, URL: f.URL, Timeout: cfg.PlatformTimeout, Now: now})
	}
	if c := cfg.Coding; c.Configured() {
		s.Coding = coding.New(coding.Config{URL: c.URL, Token: c.Token, Project: c.Project, Timeout: cfg.PlatformTimeout})
	}
	if r := cfg.DingTalkRobot; r.Configured() {
		s.DingTalkRobot = robot.NewDingTalk(r.URL, r.Secret, cfg.PlatformTimeout, now)
	}
	if r := cfg.FeishuRobot; r.Configured() {
		s.FeishuRobot = robot.NewFeishu(r.URL, r.Secret, cfg.PlatformTimeout, now)
	}
	return s
}

// Configured reports whether the platform name is set up.
func (s *Set) Configured(name string) bool {
	switch name {
	case notify.DingTalk:
		return s.DingTalk != nil
	case notify.Feishu:
		return s.Feishu != nil
	case notify.Coding:
		return s.Coding != nil
	case notify.DingTalkRobot:
		return s.DingTalkRobot != nil
	case notify.FeishuRobot:
		return s.FeishuRobot != nil
	}
	return false
}

// Channels are the notification channels configured. DingTalk work notices
// also need the agent id.
func (s *Set) Channels() map[string]notify.Channel {
	out := map[string]notify.Channel{}
	if s.DingTalk != nil && s.cfg.DingTalk.AgentID != "" {
		out[notify.DingTalk] = dingtalk.NewNotices(s.DingTalk)
	}
	if s.Feishu != nil {
		out[notify.Feishu] = feishu.NewMessages(s.Feishu)
	}
	if s.Coding != nil {
		out[notify.Coding] = s.Coding
	}
	if s.DingTalkRobot != nil {
		out[notify.DingTalkRobot] = s.DingTalkRobot
	}
	if s.FeishuRobot != nil {
		out[notify.FeishuRobot] = s.FeishuRobot
	}
	return out
}

// Platform is the approval platform chosen, nil for the web page alone.
// settings keeps the template or definition made on the platform.
func (s *Set) Platform(settings store.Settings) approval.Platform {
	switch s.cfg.ApprovalPlatform {
	case config.PlatformDingTalk:
		return dingtalk.NewApprovals(s.DingTalk, s.cfg.DingTalk.ProcessCode, settings)
	case config.PlatformFeishu:
		return feishu.NewApprovals(s.Feishu, s.cfg.Feishu.ApprovalCode, settings)
	}
	return nil
}

// Callback checks Feishu's event callbacks; ok is false when they are not
// configured (no Feishu app or no verification token).
func (s *Set) Callback(now func() time.Time) (cb feishu.Callback, ok bool) {
	f := s.cfg.Feishu
	if s.Feishu == nil || f.VerificationToken == "" {
		return feishu.Callback{}, false
	}
	return feishu.Callback{Token: f.VerificationToken, EncryptKey: f.EncryptKey, Now: now}, true
}

// Check tests the credentials of what (dingtalk, feishu, coding, robots).
// Robots have no call that changes nothing, so each configured one posts a
// test message. The result names each platform checked with its error, nil
// when it answered well.
func (s *Set) Check(ctx context.Context, what string) (map[string]error, error) {
	notSet := func(settings string) error { return fmt.Errorf("%s is not configured: set %s", what, settings) }
	switch what {
	case "dingtalk":
		if s.DingTalk == nil {
			return nil, notSet("XTRA_DINGTALK_APP_KEY and XTRA_DINGTALK_APP_SECRET")
		}
		_, err := s.DingTalk.AccessToken(ctx)
		return map[string]error{notify.DingTalk: err}, nil
	case "feishu":
		if s.Feishu == nil {
			return nil, notSet("XTRA_FEISHU_APP_ID and XTRA_FEISHU_APP_SECRET")
		}
		_, err := s.Feishu.TenantAccessToken(ctx)
		return map[string]error{notify.Feishu: err}, nil
	case "coding":
		if s.Coding == nil {
			return nil, notSet("XTRA_CODING_URL, XTRA_CODING_TOKEN and XTRA_CODING_PROJECT")
		}
		return map[string]error{notify.Coding: s.Coding.Check(ctx)}, nil
	case "robots":
		out := map[string]error{}
		msg := notify.Message{Title: "xtraauth", Text: "A test message of xtraauth's connection to this group."}
		for name, r := range map[string]*robot.Robot{notify.DingTalkRobot: s.DingTalkRobot, notify.FeishuRobot: s.FeishuRobot} {
			if r != nil {
				out[name] = r.Send(ctx, store.User{}, msg)
			}
		}
		if len(out) == 0 {
			return nil, notSet("XTRA_DINGTALK_ROBOT_URL or XTRA_FEISHU_ROBOT_URL")
		}
		return out, nil
	}
	return nil, errors.New("want dingtalk, feishu, coding or robots")
}

// Status is one platform's entry in GET /api/integrations.
type Status struct {
	Name          string
	Configured    bool
	OK            bool
	LastError     string
	LastSuccessAt *time.Time
	Pending       int // undelivered notifications and open approvals
}

// StatusStore is what the overview reads.
type StatusStore interface {
	store.IntegrationStatuses
	store.Outbox
	store.Approvals
}

// Overview reports every platform: configured, the outcome of the last
// calls (shared by every process through SQL) and what waits for it.
func (s *Set) Overview(ctx context.Context, st StatusStore) ([]Status, error) {
	recorded, err := st.IntegrationStatuses(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string]store.IntegrationStatus{}
	for _, r := range recorded {
		byName[r.Name] = r
	}
	pending, err := st.PendingDeliveries(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]Status, len(Names))
	for i, name := range Names {
		r := byName[name]
		_, open, err := st.ListApprovals(ctx, store.ApprovalFilter{State: store.ApprovalPending, Platform: name, Limit: 1})
		if err != nil {
			return nil, err
		}
		configured := s.Configured(name)
		out[i] = Status{Name: name, Configured: configured, OK: configured && r.LastError == "",
			LastError: r.LastError, LastSuccessAt: r.LastSuccessAt, Pending: pending[name] + open}
	}
	return out, nil
}
