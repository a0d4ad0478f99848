package robot_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"xtraauth/integrations/platformtest"
	"xtraauth/integrations/robot"
	"xtraauth/notify"
	"xtraauth/store"
)

// TestSignatures against values computed apart (Python's hmac), as each
// platform's documentation describes them.
func TestSignatures(t *testing.T) {
	if got := robot.DingTalkSign(1577262236757, "SEC000example"); got != "xADucQeWthkFX04IWHs4dGGQeoRWkQXdBEUVejSku30=" {
		t.Errorf("DingTalkSign = %s", got)
	}
	if got := robot.FeishuSign(1599360473, "SEC000example"); got != "fKsOPHKSbN5JcsRuuNePWrRuLX7JTQmJHaigLGqOPmI=" {
		t.Errorf("FeishuSign = %s", got)
	}
}

func TestRobots(t *testing.T) {
	msg := notify.Message{Title: "T", Text: "body"}
	for _, tt := range []struct {
		name  string
		fake  func(testing.TB, func() time.Time) *platformtest.Robot
		robot func(url, secret string, timeout time.Duration, now func() time.Time) *robot.Robot
	}{
		{"dingtalk", platformtest.NewDingTalkRobot, robot.NewDingTalk},
		{"feishu", platformtest.NewFeishuRobot, robot.NewFeishu},
	} {
		t.Run(tt.name, func(t *testing.T) {
			fake := tt.fake(t, time.Now)
			r := tt.robot(fake.Webhook(), fake.Secret, time.Second, time.Now)
			if err := r.Send(context.Background(), store.User{}, msg); err != nil {
				t.Fatal(err)
			}
			if got := fake.Messages(); len(got) != 1 || got[0] != "T\nbody" {
				t.Fatalf("got %q", got)
			}
			for name, r := range map[string]*robot.Robot{
				"wrong secret":     tt.robot(fake.Webhook(), "SECwrong", time.Second, time.Now),
				"unsigned":         tt.robot(fake.Webhook(), "", time.Second, time.Now),
				"clock 2 h behind": tt.robot(fake.Webhook(), fake.Secret, time.Second, func() time.Time { return time.Now().Add(-2 * time.Hour) }),
			} {
				err := r.Send(context.Background(), store.User{}, msg)
				if err == nil || strings.Contains(err.Error(), fake.Token()) || strings.Contains(err.Error(), fake.Secret) {
					t.Errorf("%s: %v", name, err)
				}
			}
			for _, fault := range []platformtest.Fault{platformtest.Fail, platformtest.Garbage, platformtest.Hang} {
				fake.SetFault(fault)
				r := tt.robot(fake.Webhook(), fake.Secret, 200*time.Millisecond, time.Now)
				err := r.Send(context.Background(), store.User{}, msg)
				if err == nil || strings.Contains(err.Error(), fake.Token()) {
					t.Errorf("fault %d: %v", fault, err)
				}
			}
			if len(fake.Messages()) != 1 {
				t.Fatalf("got %q", fake.Messages())
			}
		})
	}
}
