package main

import (
	"strings"
	"testing"
	"time"

	"xtraauth/integrations/platformtest"
)

// TestCLIIntegrationsTest checks credentials against fake platforms: ok,
// or the platform's own error and status 1, never showing a secret.
func TestCLIIntegrationsTest(t *testing.T) {
	t.Parallel()
	ding := platformtest.NewDingTalk(t)
	fei := platformtest.NewFeishu(t, "cli_cli_test")
	coding := platformtest.NewCoding(t)
	dingRobot := platformtest.NewDingTalkRobot(t, time.Now)
	feiRobot := platformtest.NewFeishuRobot(t, time.Now)
	good := []string{
		"XTRA_DINGTALK_APP_KEY=" + ding.AppKey, "XTRA_DINGTALK_APP_SECRET=" + ding.AppSecret,
		"XTRA_DINGTALK_API_URL=" + ding.URL(), "XTRA_DINGTALK_OAPI_URL=" + ding.URL(),
		"XTRA_FEISHU_APP_ID=" + fei.AppID, "XTRA_FEISHU_APP_SECRET=" + fei.AppSecret, "XTRA_FEISHU_URL=" + fei.URL(),
		"XTRA_APPROVAL_PLATFORM=dingtalk",
		"XTRA_CODING_URL=" + coding.URL(), "XTRA_CODING_TOKEN=" + coding.Token, "XTRA_CODING_PROJECT=" + coding.Project,
		"XTRA_DINGTALK_ROBOT_URL=" + dingRobot.Webhook(), "XTRA_DINGTALK_ROBOT_SECRET=" + dingRobot.Secret,
		"XTRA_FEISHU_ROBOT_URL=" + feiRobot.Webhook(), "XTRA_FEISHU_ROBOT_SECRET=" + feiRobot.Secret,
	}
	secrets := []string{ding.AppSecret, fei.AppSecret, coding.Token, dingRobot.Secret, dingRobot.Token(), feiRobot.Secret, feiRobot.Token()}
	in := newInstall(t, good...)
	for what, want := range map[string]string{"dingtalk": "ok\n", "feishu": "ok\n", "coding": "ok\n",
		"robots": "dingtalk_robot: ok\nfeishu_robot: ok\n"} {
		if out := in.mustCLI("", "integrations", "test", what); out != want {
			t.Errorf("integrations test %s: %q, want %q", what, out, want)
		}
	}
	if len(dingRobot.Messages()) != 1 || len(feiRobot.Messages()) != 1 {
		t.Errorf("robots got %q and %q", dingRobot.Messages(), feiRobot.Messages())
	}

	bad := newInstall(t, append(good, "XTRA_DINGTALK_APP_SECRET=wrong-"+ding.AppSecret, "XTRA_FEISHU_APP_SECRET=wrong",
		"XTRA_CODING_TOKEN=wrong-"+coding.Token, "XTRA_FEISHU_ROBOT_SECRET=wrong")...)
	for what, want := range map[string]string{"dingtalk": "invalidClientIdOrSecret", "feishu": "app secret invalid",
		"coding": "AuthFailure", "robots": "feishu_robot: code 19021"} {
		out, errOut, err := bad.cli("", "integrations", "test", what)
		if err == nil || !strings.Contains(out, want) || !strings.Contains(errOut, "checks failed") {
			t.Errorf("integrations test %s with bad credentials: %v\n%s%s", what, err, out, errOut)
		}
		for _, s := range secrets {
			if strings.Contains(out+errOut, s) {
				t.Errorf("integrations test %s shows the secret %q", what, s)
			}
		}
	}
	dingRobot.SetFault(platformtest.Hang)
	out, _, err := newInstall(t, append(good, "XTRA_PLATFORM_TIMEOUT=2s")...).cli("", "integrations", "test", "robots")
	if err == nil || !strings.Contains(out, "dingtalk_robot: timed out") || !strings.Contains(out, "feishu_robot: ok") {
		t.Errorf("a hanging robot: %v\n%s", err, out)
	}

	none := newInstall(t)
	for _, what := range []string{"dingtalk", "feishu", "coding", "robots"} {
		_, errOut, err := none.cli("", "integrations", "test", what)
		if err == nil || !strings.Contains(errOut, what+" is not configured: set XTRA_") {
			t.Errorf("integrations test %s unconfigured: %v %s", what, err, errOut)
		}
	}
	if _, errOut, err := none.cli("", "integrations", "test", "slack"); err == nil || !strings.Contains(errOut, "invalid argument") {
		t.Errorf("integrations test slack: %v %s", err, errOut)
	}
}
