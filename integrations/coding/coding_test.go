package coding_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"xtraauth/integrations/coding"
	"xtraauth/integrations/platformtest"
	"xtraauth/notify"
	"xtraauth/store"
)

func TestCoding(t *testing.T) {
	ctx := context.Background()
	fake := platformtest.NewCoding(t)
	c := coding.New(coding.Config{URL: fake.URL(), Token: fake.Token, Project: fake.Project, Timeout: 2 * time.Second})
	if err := c.Check(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.Send(ctx, store.User{}, notify.Message{Title: "Spraying", Text: "from 192.0.2.1", Priority: "1"}); err != nil {
		t.Fatal(err)
	}
	if got := fake.Issues(); len(got) != 1 || got[0] != (platformtest.CodingIssue{Type: "DEFECT", Name: "Spraying", Priority: "1", Description: "from 192.0.2.1"}) {
		t.Fatalf("issues %+v", got)
	}
	for name, c := range map[string]*coding.Client{
		"wrong token":   coding.New(coding.Config{URL: fake.URL(), Token: "wrong", Project: fake.Project, Timeout: time.Second}),
		"wrong project": coding.New(coding.Config{URL: fake.URL(), Token: fake.Token, Project: "other", Timeout: time.Second}),
	} {
		err := c.Send(ctx, store.User{}, notify.Message{Title: "x", Priority: "1"})
		if err == nil || strings.Contains(err.Error(), fake.Token) {
			t.Errorf("%s: %v", name, err)
		}
	}
	for _, fault := range []platformtest.Fault{platformtest.Fail, platformtest.Garbage, platformtest.Hang} {
		fake.SetFault(fault)
		if err := c.Check(ctx); err == nil {
			t.Errorf("fault %d: no error", fault)
		}
	}
}
