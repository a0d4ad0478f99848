package config

import (
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Approval platforms; web means decisions are made in the page only.
const (
	PlatformWeb      = "web"
	PlatformDingTalk = "dingtalk"
	PlatformFeishu   = "feishu"
)

// DingTalk is the DingTalk app of approvals and work notices.
type DingTalk struct {
	AppKey, AppSecret, AgentID, ProcessCode string
	APIURL, OAPIURL                         string
}

// Configured reports whether the app's credentials are set.
func (d DingTalk) Configured() bool { return d.AppKey != "" }

// Feishu is the Feishu app of approvals and messages, and the checks of its
// event callback.
type Feishu struct {
	AppID, AppSecret, ApprovalCode     string
	VerificationToken, EncryptKey, URL string
}

// Configured reports whether the app's credentials are set.
func (f Feishu) Configured() bool { return f.AppID != "" }

// Robot is a group robot's webhook and signing secret.
type Robot struct{ URL, Secret string }

// Configured reports whether the robot's webhook is set.
func (r Robot) Configured() bool { return r.URL != "" }

// Coding is where security incidents become issues.
type Coding struct{ URL, Token, Project string }

// Configured reports whether Coding is set up.
func (c Coding) Configured() bool { return c.URL != "" }

// Integrations are the settings of approvals and notifications.
type Integrations struct {
	Approvals        []string // what needs an admin's approval: unlock, dev_key
	ApprovalPlatform string   // web, dingtalk or feishu, resolved by Load
	ApprovalPoll     time.Duration
	PlatformTimeout  time.Duration // bound of every call to a platform
	DingTalk         DingTalk
	Feishu           Feishu
	DingTalkRobot    Robot
	FeishuRobot      Robot
	Coding           Coding
}

// NeedsApproval reports whether kind (unlock, dev_key) needs an admin's approval.
func (i Integrations) NeedsApproval(kind string) bool { return slices.Contains(i.Approvals, kind) }

func str(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error { *field(c) = v; return nil }
}

func urlTo(field func(*Config) *string) func(*Config, string) error {
	return func(c *Config, v string) error {
		if v == "" {
			*field(c) = ""
			return nil
		}
		u, err := url.Parse(v)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			// Name no more than the scheme: a robot's URL carries its token.
			return errors.New("want an http:// or https:// URL")
		}
		*field(c) = strings.TrimSuffix(v, "/")
		return nil
	}
}

func parseApprovals(c *Config, v string) error {
	c.Integrations.Approvals = nil
	for _, kind := range splitList(v) {
		if kind != "unlock" && kind != "dev_key" {
			return fmt.Errorf("want a comma list of unlock and dev_key, got %q", kind)
		}
		c.Integrations.Approvals = append(c.Integrations.Approvals, kind)
	}
	return nil
}

func parsePlatform(c *Config, v string) error {
	switch v {
	case "", PlatformWeb, PlatformDingTalk, PlatformFeishu:
		c.Integrations.ApprovalPlatform = v
		return nil
	}
	return fmt.Errorf("want dingtalk, feishu or web, got %q", v)
}

func integrationSettings() []setting {
	i := func(c *Config) *Integrations { return &c.Integrations }
	return []setting{
		{"XTRA_APPROVALS", "unlock", "comma list of what needs an admin's approval: unlock, dev_key", parseApprovals},
		{"XTRA_APPROVAL_PLATFORM", "", "dingtalk, feishu or web (default: the one configured)", parsePlatform},
		{"XTRA_APPROVAL_POLL", "30s", "how often pending platform approvals are read", durationTo(func(c *Config) *time.Duration { return &i(c).ApprovalPoll })},
		{"XTRA_PLATFORM_TIMEOUT", "10s", "bound of every call to DingTalk, Feishu, Coding or a robot", durationTo(func(c *Config) *time.Duration { return &i(c).PlatformTimeout })},
		{"XTRA_DINGTALK_APP_KEY", "", "DingTalk app key", str(func(c *Config) *string { return &i(c).DingTalk.AppKey })},
		{"XTRA_DINGTALK_APP_SECRET", "", "DingTalk app secret", str(func(c *Config) *string { return &i(c).DingTalk.AppSecret })},
		{"XTRA_DINGTALK_AGENT_ID", "", "DingTalk agent id of work notices", str(func(c *Config) *string { return &i(c).DingTalk.AgentID })},
		{"XTRA_DINGTALK_PROCESS_CODE", "", "DingTalk approval template (empty: made at start, kept in SQL)", str(func(c *Config) *string { return &i(c).DingTalk.ProcessCode })},
		{"XTRA_DINGTALK_API_URL", "https://api.dingtalk.com", "DingTalk API base URL", urlTo(func(c *Config) *string { return &i(c).DingTalk.APIURL })},
		{"XTRA_DINGTALK_OAPI_URL", "https://oapi.dingtalk.com", "DingTalk old API base URL", urlTo(func(c *Config) *string { return &i(c).DingTalk.OAPIURL })},
		{"XTRA_FEISHU_APP_ID", "", "Feishu app id", str(func(c *Config) *string { return &i(c).Feishu.AppID })},
		{"XTRA_FEISHU_APP_SECRET", "", "Feishu app secret", str(func(c *Config) *string { return &i(c).Feishu.AppSecret })},
		{"XTRA_FEISHU_APPROVAL_CODE", "", "Feishu approval definition (empty: made at start, kept in SQL)", str(func(c *Config) *string { return &i(c).Feishu.ApprovalCode })},
		{"XTRA_FEISHU_VERIFICATION_TOKEN", "", "Feishu event callback token", str(func(c *Config) *string { return &i(c).Feishu.VerificationToken })},
		{"XTRA_FEISHU_ENCRYPT_KEY", "", "Feishu event callback encrypt key", str(func(c *Config) *string { return &i(c).Feishu.EncryptKey })},
		{"XTRA_FEISHU_URL", "https://open.feishu.cn", "Feishu API base URL", urlTo(func(c *Config) *string { return &i(c).Feishu.URL })},
		{"XTRA_DINGTALK_ROBOT_URL", "", "DingTalk group robot webhook", urlTo(func(c *Config) *string { return &i(c).DingTalkRobot.URL })},
		{"XTRA_DINGTALK_ROBOT_SECRET", "", "DingTalk group robot signing secret", str(func(c *Config) *string { return &i(c).DingTalkRobot.Secret })},
		{"XTRA_FEISHU_ROBOT_URL", "", "Feishu group robot webhook", urlTo(func(c *Config) *string { return &i(c).FeishuRobot.URL })},
		{"XTRA_FEISHU_ROBOT_SECRET", "", "Feishu group robot signing secret", str(func(c *Config) *string { return &i(c).FeishuRobot.Secret })},
		{"XTRA_CODING_URL", "", "Coding base URL, e.g. https://team.coding.net", urlTo(func(c *Config) *string { return &i(c).Coding.URL })},
		{"XTRA_CODING_TOKEN", "", "Coding personal access token", str(func(c *Config) *string { return &i(c).Coding.Token })},
		{"XTRA_CODING_PROJECT", "", "Coding project name (the end of its URL)", str(func(c *Config) *string { return &i(c).Coding.Project })},
	}
}

// integrationSecrets are environment only: the secrets, and the robots'
// webhook URLs, which carry their access tokens.
var integrationSecrets = []string{
	"XTRA_DINGTALK_APP_SECRET", "XTRA_FEISHU_APP_SECRET", "XTRA_FEISHU_VERIFICATION_TOKEN",
	"XTRA_FEISHU_ENCRYPT_KEY", "XTRA_DINGTALK_ROBOT_URL", "XTRA_DINGTALK_ROBOT_SECRET",
	"XTRA_FEISHU_ROBOT_URL", "XTRA_FEISHU_ROBOT_SECRET", "XTRA_CODING_TOKEN",
}

// checkIntegrations refuses half-configured platforms, naming the missing
// setting, and resolves the approval platform.
func checkIntegrations(i *Integrations) error {
	for _, pair := range []struct{ have, need, setting string }{
		{i.DingTalk.AppKey, i.DingTalk.AppSecret, "XTRA_DINGTALK_APP_SECRET"},
		{i.DingTalk.AppSecret, i.DingTalk.AppKey, "XTRA_DINGTALK_APP_KEY"},
		{i.Feishu.AppID, i.Feishu.AppSecret, "XTRA_FEISHU_APP_SECRET"},
		{i.Feishu.AppSecret, i.Feishu.AppID, "XTRA_FEISHU_APP_ID"},
		{i.Feishu.EncryptKey, i.Feishu.VerificationToken, "XTRA_FEISHU_VERIFICATION_TOKEN"},
		{i.DingTalkRobot.Secret, i.DingTalkRobot.URL, "XTRA_DINGTALK_ROBOT_URL"},
		{i.FeishuRobot.Secret, i.FeishuRobot.URL, "XTRA_FEISHU_ROBOT_URL"},
		{i.Coding.URL, i.Coding.Token, "XTRA_CODING_TOKEN"},
		{i.Coding.URL, i.Coding.Project, "XTRA_CODING_PROJECT"},
		{i.Coding.Token + i.Coding.Project, i.Coding.URL, "XTRA_CODING_URL"},
	} {
		if pair.have != "" && pair.need == "" {
			return fmt.Errorf("%s: required by the other settings of its platform", pair.setting)
		}
	}
	switch p := i.ApprovalPlatform; {
	case p == "" && i.DingTalk.Configured() && i.Feishu.Configured():
		return errors.New("XTRA_APPROVAL_PLATFORM: both DingTalk and Feishu are configured: choose dingtalk, feishu or web")
	case p == "" && i.DingTalk.Configured():
		i.ApprovalPlatform = PlatformDingTalk
	case p == "" && i.Feishu.Configured():
		i.ApprovalPlatform = PlatformFeishu
	case p == "":
		i.ApprovalPlatform = PlatformWeb
	case p == PlatformDingTalk && !i.DingTalk.Configured():
		return errors.New("XTRA_APPROVAL_PLATFORM: dingtalk needs XTRA_DINGTALK_APP_KEY and XTRA_DINGTALK_APP_SECRET")
	case p == PlatformFeishu && !i.Feishu.Configured():
		return errors.New("XTRA_APPROVAL_PLATFORM: feishu needs XTRA_FEISHU_APP_ID and XTRA_FEISHU_APP_SECRET")
	}
	return nil
}
