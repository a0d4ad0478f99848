package approval_test

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"xtraauth/approval"
	"xtraauth/store"
)

func TestParseOutcome(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want approval.Decision
		ok   bool
	}{
		{"approved dev_key #12 by admin on dingtalk", approval.Decision{State: "approved", Kind: "dev_key", ID: 12, Rest: "by admin on dingtalk"}, true},
		{"canceled unlock #3", approval.Decision{State: "canceled", Kind: "unlock", ID: 3}, true},
		{"requested unlock", approval.Decision{}, false},
		{"approved unlock #x", approval.Decision{}, false},
		{"approved unlock #0", approval.Decision{}, false},
		{"approved unlock #-1", approval.Decision{}, false},
		{"", approval.Decision{}, false},
	} {
		got, ok := approval.ParseOutcome(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseOutcome(%q) = %+v, %t", tt.in, got, ok)
		}
	}
}

func FuzzParseOutcome(f *testing.F) {
	f.Add("approved dev_key #12 by admin")
	f.Add("#")
	f.Add("a b #9999999999999999999999")
	f.Fuzz(func(t *testing.T, s string) {
		d, ok := approval.ParseOutcome(s)
		if ok && (d.ID <= 0 || d.State == "" || d.Kind == "") {
			t.Fatalf("ParseOutcome(%q) = %+v", s, d)
		}
	})
}

type ids map[string]string // mobile → platform id

func (m ids) UserID(_ context.Context, u store.User) (string, error) {
	if id, ok := m[u.Mobile]; ok {
		return id, nil
	}
	if u.Mobile == "down" {
		return "", errors.New("platform down")
	}
	return "", approval.ErrNoAccount
}

func TestParticipants(t *testing.T) {
	p := ids{"1": "a1", "2": "a2", "3": "r"}
	a1, a2, stranger, requester := store.User{Mobile: "1"}, store.User{Mobile: "2"}, store.User{Mobile: "9"}, store.User{Mobile: "3"}
	for _, tt := range []struct {
		requester  store.User
		approvers  []store.User
		originator string
		ids        string
		err        bool
	}{
		{requester, []store.User{a1, stranger, a2}, "r", "[a1 a2]", false},
		// A requester not on the platform: an approver starts it, and is
		// no approver of it unless alone.
		{stranger, []store.User{a1, a2}, "a1", "[a2]", false},
		{stranger, []store.User{a1}, "a1", "[a1]", false},
		{requester, []store.User{stranger}, "", "[]", true},
		{requester, []store.User{{Mobile: "down"}}, "", "[]", true},
	} {
		originator, got, err := approval.Participants(context.Background(), p, tt.requester, tt.approvers)
		if originator != tt.originator || fmt.Sprint(got) != tt.ids || (err != nil) != tt.err {
			t.Errorf("Participants(%v, %v) = %q, %v, %v", tt.requester, tt.approvers, originator, got, err)
		}
	}
}
