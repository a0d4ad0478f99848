package config_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"xtraauth/config"
)

var dingTalkApp = map[string]string{"XTRA_DINGTALK_APP_KEY": "k", "XTRA_DINGTALK_APP_SECRET": "s"}
var feishuApp = map[string]string{"XTRA_FEISHU_APP_ID": "cli_a", "XTRA_FEISHU_APP_SECRET": "s"}

func merge(ms ...map[string]string) map[string]string {
	out := map[string]string{}
	for _, m := range ms {
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

func TestIntegrationDefaults(t *testing.T) {
	c, err := config.Load(nil, envOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	want := config.Integrations{
		Approvals: []string{"unlock"}, ApprovalPlatform: "web", ApprovalPoll: 30 * time.Second,
		PlatformTimeout: 10 * time.Second,
		DingTalk:        config.DingTalk{APIURL: "https://api.dingtalk.com", OAPIURL: "https://oapi.dingtalk.com"},
		Feishu:          config.Feishu{URL: "https://open.feishu.cn"},
	}
	if !reflect.DeepEqual(c.Integrations, want) {
		t.Fatalf("got  %+v\nwant %+v", c.Integrations, want)
	}
	if !c.Integrations.NeedsApproval("unlock") || c.Integrations.NeedsApproval("dev_key") {
		t.Fatal("NeedsApproval")
	}
}

func TestIntegrationSettings(t *testing.T) {
	tests := []struct {
		name  string
		env   map[string]string
		check func(i config.Integrations) bool
	}{
		{"approvals", map[string]string{"XTRA_APPROVALS": "unlock, dev_key"}, func(i config.Integrations) bool {
			return i.NeedsApproval("unlock") && i.NeedsApproval("dev_key")
		}},
		{"no approvals", map[string]string{"XTRA_APPROVALS": ","}, func(i config.Integrations) bool { return len(i.Approvals) == 0 }},
		{"DingTalk alone is the platform", dingTalkApp, func(i config.Integrations) bool {
			return i.ApprovalPlatform == "dingtalk" && i.DingTalk.Configured() && !i.Feishu.Configured()
		}},
		{"Feishu alone is the platform", feishuApp, func(i config.Integrations) bool { return i.ApprovalPlatform == "feishu" }},
		{"both, one chosen", merge(dingTalkApp, feishuApp, map[string]string{"XTRA_APPROVAL_PLATFORM": "feishu"}),
			func(i config.Integrations) bool { return i.ApprovalPlatform == "feishu" }},
		{"configured, web chosen", merge(dingTalkApp, map[string]string{"XTRA_APPROVAL_PLATFORM": "web"}),
			func(i config.Integrations) bool { return i.ApprovalPlatform == "web" }},
		{"poll and timeout", map[string]string{"XTRA_APPROVAL_POLL": "5s", "XTRA_PLATFORM_TIMEOUT": "2s"},
			func(i config.Integrations) bool {
				return i.ApprovalPoll == 5*time.Second && i.PlatformTimeout == 2*time.Second
			}},
		{"URLs lose a trailing slash", map[string]string{"XTRA_FEISHU_URL": "http://127.0.0.1:9/"},
			func(i config.Integrations) bool { return i.Feishu.URL == "http://127.0.0.1:9" }},
		{"robots and Coding", map[string]string{
			"XTRA_DINGTALK_ROBOT_URL": "https://oapi.dingtalk.com/robot/send?access_token=t", "XTRA_DINGTALK_ROBOT_SECRET": "SEC1",
			"XTRA_FEISHU_ROBOT_URL": "https://open.feishu.cn/open-apis/bot/v2/hook/x",
			"XTRA_CODING_URL":       "https://team.coding.net", "XTRA_CODING_TOKEN": "t", "XTRA_CODING_PROJECT": "sec",
		}, func(i config.Integrations) bool {
			return i.DingTalkRobot.Configured() && i.DingTalkRobot.Secret == "SEC1" && i.FeishuRobot.Configured() &&
				i.FeishuRobot.Secret == "" && i.Coding == config.Coding{URL: "https://team.coding.net", Token: "t", Project: "sec"}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := config.Load(nil, envOf(tt.env))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(c.Integrations) {
				t.Fatalf("%+v", c.Integrations)
			}
		})
	}
}

func TestIntegrationFlags(t *testing.T) {
	c, err := load(t, map[string]string{"XTRA_APPROVALS": "unlock"}, "--approvals=dev_key", "--approval-poll=1m",
		"--feishu-url=http://127.0.0.1:1")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Integrations.Approvals, []string{"dev_key"}) || c.Integrations.ApprovalPoll != time.Minute ||
		c.Integrations.Feishu.URL != "http://127.0.0.1:1" {
		t.Fatalf("%+v", c.Integrations)
	}
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	config.AddFlags(fs)
	for _, name := range []string{"dingtalk-app-secret", "feishu-app-secret", "feishu-verification-token",
		"feishu-encrypt-key", "dingtalk-robot-url", "dingtalk-robot-secret", "feishu-robot-url",
		"feishu-robot-secret", "coding-token"} {
		if fs.Lookup(name) != nil {
			t.Errorf("secret flag --%s exists", name)
		}
	}
	for _, name := range []string{"approval-platform", "dingtalk-app-key", "feishu-app-id", "coding-project"} {
		if fs.Lookup(name) == nil {
			t.Errorf("flag --%s missing", name)
		}
	}
}

func TestBadIntegrationSettings(t *testing.T) {
	tests := []struct {
		name, names string
		env         map[string]string
	}{
		{"unknown approval", "XTRA_APPROVALS", map[string]string{"XTRA_APPROVALS": "unlock,sudo"}},
		{"unknown platform", "XTRA_APPROVAL_PLATFORM", map[string]string{"XTRA_APPROVAL_PLATFORM": "slack"}},
		{"both platforms", "XTRA_APPROVAL_PLATFORM", merge(dingTalkApp, feishuApp)},
		{"DingTalk chosen, not set", "XTRA_APPROVAL_PLATFORM", merge(feishuApp, map[string]string{"XTRA_APPROVAL_PLATFORM": "dingtalk"})},
		{"Feishu chosen, not set", "XTRA_APPROVAL_PLATFORM", map[string]string{"XTRA_APPROVAL_PLATFORM": "feishu"}},
		{"DingTalk key without secret", "XTRA_DINGTALK_APP_SECRET", map[string]string{"XTRA_DINGTALK_APP_KEY": "k"}},
		{"DingTalk secret without key", "XTRA_DINGTALK_APP_KEY", map[string]string{"XTRA_DINGTALK_APP_SECRET": "s"}},
		{"Feishu id without secret", "XTRA_FEISHU_APP_SECRET", map[string]string{"XTRA_FEISHU_APP_ID": "a"}},
		{"encrypt key without token", "XTRA_FEISHU_VERIFICATION_TOKEN", merge(feishuApp, map[string]string{"XTRA_FEISHU_ENCRYPT_KEY": "e"})},
		{"robot secret without URL", "XTRA_FEISHU_ROBOT_URL", map[string]string{"XTRA_FEISHU_ROBOT_SECRET": "s"}},
		{"Coding without token", "XTRA_CODING_TOKEN", map[string]string{"XTRA_CODING_URL": "https://c.example", "XTRA_CODING_PROJECT": "p"}},
		{"Coding without project", "XTRA_CODING_PROJECT", map[string]string{"XTRA_CODING_URL": "https://c.example", "XTRA_CODING_TOKEN": "t"}},
		{"Coding without URL", "XTRA_CODING_URL", map[string]string{"XTRA_CODING_TOKEN": "t"}},
		{"poll of zero", "XTRA_APPROVAL_POLL", map[string]string{"XTRA_APPROVAL_POLL": "0s"}},
		{"timeout not a duration", "XTRA_PLATFORM_TIMEOUT", map[string]string{"XTRA_PLATFORM_TIMEOUT": "10"}},
		{"URL without scheme", "XTRA_FEISHU_URL", map[string]string{"XTRA_FEISHU_URL": "open.feishu.cn"}},
		{"robot URL of another scheme", "XTRA_DINGTALK_ROBOT_URL", map[string]string{"XTRA_DINGTALK_ROBOT_URL": "ftp://x/robot?access_token=tok3n"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := config.Load(nil, envOf(tt.env))
			if err == nil {
				t.Fatal("accepted")
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, tt.names+": ") || strings.Contains(msg, "\n") {
				t.Fatalf("error %q does not start by naming %s on one line", msg, tt.names)
			}
			if strings.Contains(msg, "tok3n") {
				t.Fatalf("error %q shows the robot's token", msg)
			}
		})
	}
}
